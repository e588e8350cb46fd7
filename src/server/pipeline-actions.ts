/**
 * What each pipeline action provider does (reference §3.2): CodeCommit sources zip a commit into
 * the artifact store; CodeBuild and Commands actions run as builds whose input artifacts the agent
 * unpacks; a manual approval is announced to the approval webhook, signed.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { PipelineActionRef } from '../core/build-job.js';
import type { RequestApprovalEffect, RunActionEffect } from '../core/pipeline-execution.js';
import type { EnvironmentVariable } from '../core/project.js';
import type { StoredBuild } from '../core/store.js';
import { recordOf } from './build-records.js';
import type { ActionResult } from './pipeline-driver.js';
import type { ServerContext } from './server-context.js';
import type { Services } from './services.js';

/** Decision 17: `<pipeline>/<artifact>/<random 7 chars>`, under the blob store's artifact-store folder. */
export function pipelineArtifactKey(pipelineName: string, artifactName: string): string {
  const random = randomBytes(8).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 7);
  return `artifact-store/${pipelineName}/${artifactName}/${random}`;
}

export async function runSourceAction(services: Services, pipelineName: string, effect: RunActionEffect): Promise<ActionResult> {
  const repository = effect.configuration.RepositoryName ?? '';
  const branch = effect.configuration.BranchName ?? '';
  try {
    const commit = effect.sourceRevision?.revisionValue ?? (await services.repositories.resolveRef(repository, branch));
    const info = await services.repositories.commitInfo(repository, commit);
    const outputArtifacts: Record<string, string> = {};
    for (const name of effect.outputArtifactNames) {
      const key = pipelineArtifactKey(pipelineName, name);
      await services.context.blobs.put(key, await services.repositories.archive(repository, commit));
      outputArtifacts[name] = key;
    }
    const firstLine = info.message.split('\n')[0] ?? '';
    return {
      ok: true,
      outputArtifacts,
      outputVariables: {
        CommitId: commit,
        BranchName: branch,
        RepositoryName: repository,
        CommitMessage: info.message.trim(),
        AuthorDate: new Date(info.authorDate).toISOString(),
        CommitterDate: new Date(info.committerDate).toISOString(),
      },
      summary: firstLine,
      externalExecutionId: commit,
      revision: { revisionId: commit, revisionSummary: firstLine, created: info.committerDate },
    };
  } catch (error) {
    return { ok: false, message: `Could not fetch ${repository}@${effect.sourceRevision?.revisionValue ?? branch}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** The project an action's build belongs to (CodeBuild's ProjectName, or the pipeline's Commands project). */
export function actionProjectName(pipelineName: string, provider: string, configuration: Readonly<Record<string, string>>): string {
  return provider === 'Commands' ? commandsProjectName(pipelineName) : configuration.ProjectName ?? '';
}

/** A UUID-shaped id fixed by the action attempt: the build id of that attempt, whoever starts it. */
export function actionBuildUuid(ref: PipelineActionRef): string {
  const hex = createHash('sha256').update(JSON.stringify([ref.pipelineName, ref.executionId, ref.stageName, ref.actionName, ref.attempt])).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-b${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Starts the build of a CodeBuild or Commands action; its result comes back when it completes. */
export async function startActionBuild(services: Services, pipelineName: string, effect: RunActionEffect, ref: PipelineActionRef): Promise<ActionResult | { ok: true; started: string }> {
  const provider = effect.actionTypeId.provider;
  const inputArtifacts = Object.entries(effect.inputArtifacts).map(([name, blobKey]) => ({ name, blobKey }));
  const pipeline = { inputArtifacts, primarySource: effect.primaryInput, action: ref };
  const initiator = `codepipeline/${pipelineName}`;
  try {
    if (provider === 'CodeBuild') {
      const variables = parseEnvironmentVariables(effect.configuration.EnvironmentVariables);
      const build = await services.builds.startBuild({ projectName: effect.configuration.ProjectName ?? '', initiator, environmentVariablesOverride: variables, pipeline, buildUuid: actionBuildUuid(ref) });
      return { ok: true, started: build.id };
    }
    if (provider === 'Commands') {
      const projectName = await commandsProject(services, pipelineName);
      const buildspecOverride = ['version: 0.2', 'phases:', '  build:', '    commands:', ...effect.commands.map((c) => `      - ${JSON.stringify(c)}`), ''].join('\n');
      const build = await services.builds.startBuild({ projectName, initiator, buildspecOverride, imageOverride: 'shell', pipeline, buildUuid: actionBuildUuid(ref) });
      return { ok: true, started: build.id };
    }
    return { ok: false, message: `Action provider ${provider} is not supported by nagare yet` };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/** A build's outcome as the action's result: artifacts by output name, exported variables. */
export function buildResult(build: StoredBuild, effect: RunActionEffect): ActionResult {
  const data = recordOf(build);
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

/** The approval webhook: announced once per approval, signed with HMAC-SHA256 of the body. */
export async function notifyApproval(context: ServerContext, pipelineName: string, effect: RequestApprovalEffect): Promise<void> {
  context.logger.info({ pipeline: pipelineName, stage: effect.stage, action: effect.action, expires: new Date(effect.expiresAt).toISOString() }, 'manual approval waiting');
  const { approvalWebhookUrl, approvalWebhookSecret, publicUrl, region } = context.settings;
  if (!approvalWebhookUrl) return;
  const body = JSON.stringify({
    region,
    consoleLink: `${publicUrl}/api/v1/pipelines/${encodeURIComponent(pipelineName)}`,
    approval: {
      pipelineName,
      stageName: effect.stage,
      actionName: effect.action,
      token: effect.token,
      expires: new Date(effect.expiresAt).toISOString(),
      externalEntityLink: effect.externalEntityLink,
      approvalReviewLink: `${publicUrl}/api/v1/pipelines/${encodeURIComponent(pipelineName)}/state`,
      customData: effect.customData,
    },
  });
  const signature = createHmac('sha256', approvalWebhookSecret ?? '').update(body).digest('hex');
  await fetch(approvalWebhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-nagare-signature-256': `sha256=${signature}` }, body, signal: AbortSignal.timeout(10_000) })
    .catch((error: unknown) => context.logger.warn({ err: error, pipeline: pipelineName }, 'approval webhook could not be delivered'));
}

function parseEnvironmentVariables(json: string | undefined): EnvironmentVariable[] {
  if (!json) return [];
  const parsed = JSON.parse(json) as { name: string; value: string; type?: EnvironmentVariable['type'] }[];
  return parsed.map((v) => ({ name: v.name, value: v.value, type: v.type ?? 'PLAINTEXT' }));
}

/** Commands actions run as builds of one hidden-in-plain-sight project per pipeline. */
function commandsProjectName(pipelineName: string): string {
  return `codepipeline-${pipelineName.replace(/[^A-Za-z0-9_-]/g, '-')}-commands`.slice(0, 255);
}

async function commandsProject(services: Services, pipelineName: string): Promise<string> {
  const name = commandsProjectName(pipelineName);
  const existing = await services.context.store.projects.get(name);
  if (!existing) {
    await services.projects.create({
      name,
      description: `Commands actions of pipeline ${pipelineName}`,
      source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: ["true"]\n' },
      environment: { image: 'shell' },
      artifacts: { type: 'NO_ARTIFACTS' },
    }).catch(() => undefined); // created meanwhile by another action
  }
  return name;
}
