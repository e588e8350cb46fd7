/**
 * What the providers whose actions run as builds (CodeBuild, Commands) share: the build of an
 * attempt has an id derived from the attempt, so it is found before one is started and started
 * once; its result comes when the build ends (BuildStateChanged); abandoning it is StopBuild.
 */
import { createHash } from 'node:crypto';
import type { PipelineActionRef } from '../../../core/build-job.js';
import type { StoredBuild } from '../../../core/store.js';
import type { StartBuildInput } from '../../builds/builds-service.js';
import type { DomainEvent } from '../../events/event-bus.js';
import type { Services } from '../../services.js';
import type { AbandonedAttempt, ActionAttempt, ActionProvider, ActionResult, EventResult } from './action-provider.js';

/** How one build-running provider differs from another: its project and how it starts the build. */
export interface BuildActionKind {
  readonly provider: string;
  readonly actionTypes: ActionProvider['actionTypes'];
  /** The project the attempt's build belongs to. */
  projectName(pipelineName: string, configuration: Readonly<Record<string, string>>): string;
  /** StartBuild's input, less what every action build has (initiator, pipeline, build uuid). */
  startInput(services: Services, attempt: ActionAttempt): Promise<Omit<StartBuildInput, 'initiator' | 'pipeline' | 'buildUuid'>>;
}

export function buildActionProvider(kind: BuildActionKind): ActionProvider {
  return {
    provider: kind.provider,
    actionTypes: kind.actionTypes,
    resultEvents: ['BuildStateChanged'],
    async run(services, attempt) {
      const existing = await buildOf(services, attempt.ref, kind.projectName(attempt.pipelineName, attempt.effect.configuration));
      if (existing) return existing.currentPhase === 'COMPLETED' && existing.buildStatus !== 'IN_PROGRESS' ? buildResult(existing, attempt.effect) : undefined;
      const { effect, ref, pipelineName } = attempt;
      const inputArtifacts = Object.entries(effect.inputArtifacts).map(([name, blobKey]) => ({ name, blobKey }));
      try {
        await services.builds.startBuild({
          ...(await kind.startInput(services, attempt)),
          // The commit the primary input came from: CODEBUILD_RESOLVED_SOURCE_VERSION in the build.
          sourceVersion: effect.primaryInputRevision,
          initiator: `codepipeline/${pipelineName}`,
          pipeline: { inputArtifacts, primarySource: effect.primaryInput, action: ref },
          buildUuid: actionBuildUuid(ref),
        });
        return undefined;
      } catch (error) {
        return { ok: false, message: error instanceof Error ? error.message : String(error) };
      }
    },
    resultFrom(event) {
      return event.type === 'BuildStateChanged' ? endedBuild(event) : undefined;
    },
    async abandon(services: Services, attempt: AbandonedAttempt) {
      const build = await buildOf(services, attempt.ref, kind.projectName(attempt.pipelineName, attempt.configuration));
      if (build && build.currentPhase !== 'COMPLETED') await services.builds.stopBuild(build.id);
    },
  };
}

/** A UUID-shaped id fixed by the action attempt: the build id of that attempt, whoever starts it. */
export function actionBuildUuid(ref: PipelineActionRef): string {
  const hex = createHash('sha256').update(JSON.stringify([ref.pipelineName, ref.executionId, ref.stageName, ref.actionName, ref.attempt])).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-b${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The build of this action attempt, if it was started: its id is derived from the attempt. */
function buildOf(services: Services, ref: PipelineActionRef, projectName: string): Promise<StoredBuild | undefined> {
  return services.context.store.builds.get(`${projectName}:${actionBuildUuid(ref)}`);
}

function endedBuild(event: Extract<DomainEvent, { type: 'BuildStateChanged' }>): EventResult | undefined {
  const { build } = event;
  const { job } = build.record;
  const ref = job.pipelineAction;
  // A build of a batch answers to its batch (BuildBatchStateChanged), not to the action itself.
  if (!ref || job.batch !== undefined || build.currentPhase !== 'COMPLETED') return undefined;
  return { ref, result: (effect) => buildResult(build, effect) };
}

/** A build's outcome as the action's result: artifacts by output name, exported variables. */
export function buildResult(build: StoredBuild, effect: ActionAttempt['effect']): ActionResult {
  const data = build.record;
  if (build.buildStatus !== 'SUCCEEDED') {
    const failed = data.phases.find((p) => p.phaseStatus !== undefined && p.phaseStatus !== 'SUCCEEDED');
    const reason = failed ? ` in ${failed.phaseType}${failed.contexts[0] ? `: ${failed.contexts[0].message}` : ''}` : '';
    return { ok: false, message: `Build ${build.id} ended ${build.buildStatus}${reason}`, externalExecutionId: build.id };
  }
  const outputArtifacts: Record<string, string> = {};
  for (const [index, name] of effect.outputArtifactNames.entries()) {
    const artifact = index === 0 && effect.outputArtifactNames.length === 1 ? data.artifacts : data.secondaryArtifacts.find((a) => a.artifactIdentifier === name) ?? (index === 0 ? data.artifacts : undefined);
    if (!artifact) return { ok: false, message: `Build ${build.id} produced no artifact for output ${name} (buildspec artifacts or secondary-artifacts.${name})`, externalExecutionId: build.id };
    outputArtifacts[name] = artifact.blobKey;
  }
  const outputVariables = Object.fromEntries(data.exportedEnvironmentVariables.map((v) => [v.name, v.value]));
  return { ok: true, outputArtifacts, outputVariables, summary: `Build ${build.id} succeeded`, externalExecutionId: build.id };
}
