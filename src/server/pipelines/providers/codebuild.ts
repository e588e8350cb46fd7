/**
 * CodeBuild actions (Build and Test): a build of the configured project, with EnvironmentVariables
 * as overrides; with `BatchEnabled: true`, a build batch of the project (build-batches-service.ts)
 * whose id is derived from the action attempt, so that it is started once. A batch's result: its
 * builds' primary artifacts under output artifacts named after their identifiers (secondary ones
 * as `<identifier>_<artifact identifier>`), as CodeBuild's sample-pipeline-batch says; with
 * `CombineArtifacts: true`, the one output artifact is all builds' artifacts in one zip.
 */
import type { EnvironmentVariable } from '../../../core/project.js';
import type { StoredBuild, StoredBuildBatch } from '../../../core/store.js';
import type { Services } from '../../services.js';
import type { ActionAttempt, ActionProvider, ActionResult } from './action-provider.js';
import { actionBuildUuid, buildActionProvider } from './build-action.js';

const singleBuild = buildActionProvider({
  provider: 'CodeBuild',
  actionTypes: [{ category: 'Build', owner: 'AWS' }, { category: 'Test', owner: 'AWS' }],
  projectName: (_pipelineName, configuration) => configuration.ProjectName ?? '',
  startInput: (_services, { effect }) => Promise.resolve({
    projectName: effect.configuration.ProjectName ?? '',
    environmentVariablesOverride: parseEnvironmentVariables(effect.configuration.EnvironmentVariables),
  }),
});

const isBatch = (configuration: Readonly<Record<string, string>>): boolean => configuration.BatchEnabled?.toLowerCase() === 'true';

export const codeBuildProvider: ActionProvider = {
  ...singleBuild,
  resultEvents: ['BuildStateChanged', 'BuildBatchStateChanged'],
  async run(services, attempt) {
    if (!isBatch(attempt.effect.configuration)) return singleBuild.run(services, attempt);
    const { effect, ref, pipelineName } = attempt;
    const projectName = effect.configuration.ProjectName ?? '';
    try {
      const batch = await services.buildBatches.start({
        projectName,
        environmentVariablesOverride: parseEnvironmentVariables(effect.configuration.EnvironmentVariables),
        initiator: `codepipeline/${pipelineName}`,
        batchUuid: actionBuildUuid(ref),
        combineArtifacts: effect.configuration.CombineArtifacts?.toLowerCase() === 'true',
        pipeline: { inputArtifacts: Object.entries(effect.inputArtifacts).map(([name, blobKey]) => ({ name, blobKey })), primarySource: effect.primaryInput, action: ref },
      });
      return batch.status === 'IN_PROGRESS' ? undefined : batchResult(services, batch, effect);
    } catch (error) {
      return { ok: false, message: error instanceof Error ? error.message : String(error) };
    }
  },
  resultFrom(event) {
    if (event.type !== 'BuildBatchStateChanged') return singleBuild.resultFrom(event);
    const { batch } = event;
    const ref = batch.state.pipeline?.action;
    if (!ref || batch.status === 'IN_PROGRESS') return undefined;
    const builds = new Map(event.builds.map((build) => [build.id, build]));
    return { ref, result: (effect) => batchOutcome(batch, effect, builds) };
  },
  async abandon(services, attempt) {
    if (!isBatch(attempt.configuration)) return singleBuild.abandon(services, attempt);
    const id = `${attempt.configuration.ProjectName ?? ''}:${actionBuildUuid(attempt.ref)}`;
    const batch = await services.context.store.buildBatches.get(id);
    if (batch?.status === 'IN_PROGRESS') await services.buildBatches.stop(id);
  },
};

async function batchResult(services: Services, batch: StoredBuildBatch, effect: ActionAttempt['effect']): Promise<ActionResult> {
  const { builds } = await services.buildBatches.batchGet([batch.id]);
  return batchOutcome(batch, effect, builds);
}

/** Outputs by identifier: each output is the artifact of the latest build of the group it names. */
function batchOutcome(batch: StoredBuildBatch, effect: ActionAttempt['effect'], builds: ReadonlyMap<string, StoredBuild>): ActionResult {
  if (batch.status !== 'SUCCEEDED') return { ok: false, message: `Build batch ${batch.id} ended ${batch.status}`, externalExecutionId: batch.id };
  if (effect.outputArtifactNames.length === 0) return { ok: true, outputArtifacts: {}, outputVariables: {}, summary: `Build batch ${batch.id} succeeded`, externalExecutionId: batch.id };
  const combined = batch.state.combinedArtifactKey;
  const [only] = effect.outputArtifactNames;
  if (effect.configuration.CombineArtifacts?.toLowerCase() === 'true' && only !== undefined) {
    if (!combined) return { ok: false, message: `Build batch ${batch.id} has no combined artifact (none of its builds produced a primary artifact)`, externalExecutionId: batch.id };
    return { ok: true, outputArtifacts: { [only]: combined }, outputVariables: {}, summary: `Build batch ${batch.id} succeeded`, externalExecutionId: batch.id };
  }
  const outputArtifacts: Record<string, string> = {};
  for (const name of effect.outputArtifactNames) {
    const [identifier, artifactIdentifier] = splitOutputName(name, batch);
    const buildId = batch.state.groups.find((group) => group.entry.identifier === identifier)?.buildIds.at(-1);
    const build = buildId === undefined ? undefined : builds.get(buildId);
    const data = build ? build.record : undefined;
    const artifact = artifactIdentifier === undefined ? data?.artifacts : data?.secondaryArtifacts.find((a) => a.artifactIdentifier === artifactIdentifier);
    if (!artifact) return { ok: false, message: `Build batch ${batch.id} has no artifact for output ${name}: with BatchEnabled, outputs are named after a build's identifier (or <identifier>_<artifact identifier>)`, externalExecutionId: batch.id };
    outputArtifacts[name] = artifact.blobKey;
  }
  return { ok: true, outputArtifacts, outputVariables: {}, summary: `Build batch ${batch.id} succeeded`, externalExecutionId: batch.id };
}

function splitOutputName(name: string, batch: StoredBuildBatch): [string, string | undefined] {
  if (batch.state.groups.some((group) => group.entry.identifier === name)) return [name, undefined];
  const at = batch.state.groups.map((group) => group.entry.identifier).find((identifier) => name.startsWith(`${identifier}_`));
  return at === undefined ? [name, undefined] : [at, name.slice(at.length + 1)];
}

/** The spec checked the JSON's shape (spec/pipeline-providers.ts). */
function parseEnvironmentVariables(json: string | undefined): EnvironmentVariable[] {
  if (!json) return [];
  const parsed = JSON.parse(json) as { name: string; value: string; type?: EnvironmentVariable['type'] }[];
  return parsed.map((v) => ({ name: v.name, value: v.value, type: v.type ?? 'PLAINTEXT' }));
}
