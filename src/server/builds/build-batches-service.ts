/**
 * Build batches as CodeBuild's StartBuildBatch, BatchGetBuildBatches, ListBuildBatches(ForProject),
 * StopBuildBatch, RetryBuildBatch and DeleteBuildBatch see them. A batch's builds are ordinary
 * builds on the queue (any agent may take each), started by `advance` in the order the pure
 * scheduler of core/build-batch.ts gives; `advance` runs when a build of the batch changes state
 * and from the periodic reconciliation, so a batch carries on after a restart or a lost event.
 *
 * The batch buildspec is read by the server, so it must be inline (the project's buildspec or
 * `buildspecOverride`); a build of the batch may still name its own buildspec file in the source.
 *
 * Errors: API_NOT_FOUND (project, batch), API_INVALID_INPUT (no batch section, a broken one, a
 * retry of a batch that did not fail), UNSUPPORTED_FEATURE (a batchspec that is a file of the source).
 */
import { createHash } from 'node:crypto';
import { advanceBatch, endBatchPhases, planBatch, type BatchEntryStatus, type BatchPipelineInput, type BuildBatchGroup, type BuildBatchState } from '../../core/build-batch.js';
import { NagareError, SpecErrors } from '../../core/errors.js';
import type { EnvironmentVariable } from '../../core/project.js';
import type { Page, PageRequest, StoredBuild, StoredBuildBatch } from '../../core/store.js';
import { parseBuildspec } from '../../spec/buildspec.js';
import type { ServerContext } from '../server-context.js';
import type { Component } from '../interval-runner.js';
import { combineArtifactZips } from './combined-artifacts.js';
import type { BuildsService } from './builds-service.js';

export interface StartBuildBatchInput {
  readonly projectName: string;
  readonly sourceVersion?: string | undefined;
  readonly buildspecOverride?: string | undefined;
  readonly environmentVariablesOverride?: readonly EnvironmentVariable[] | undefined;
  readonly imageOverride?: string | undefined;
  readonly buildTimeoutInMinutesOverride?: number | undefined;
  readonly initiator: string;
  /** The uuid part of the batch id; a pipeline action derives it from the action attempt, so it is started once. */
  readonly batchUuid?: string | undefined;
  /** A pipeline action's batch: its builds read the action's input artifacts. */
  readonly pipeline?: BatchPipelineInput | undefined;
  /** CodePipeline's CombineArtifacts: combine whatever the buildspec says. */
  readonly combineArtifacts?: boolean | undefined;
}

/** How many times an update lost to a concurrent one is tried again. */
const MAX_SAVE_ATTEMPTS = 20;

export class BuildBatchesService {
  constructor(private readonly context: ServerContext, private readonly builds: BuildsService) {}

  async start(input: StartBuildBatchInput): Promise<StoredBuildBatch> {
    const { store, clock, settings } = this.context;
    const project = await store.projects.get(input.projectName);
    if (!project) throw new NagareError('API_NOT_FOUND', `Project cannot be found: ${input.projectName}`, { details: { resource: 'project' } });
    const buildspec = input.buildspecOverride ?? project.source.buildspec;
    if (buildspec === undefined || !isInline(buildspec)) {
      throw new NagareError('UNSUPPORTED_FEATURE', `nagare reads a batch from an inline buildspec only; ${buildspec === undefined ? 'the project has none' : `\`${buildspec}\` is a file of the source`}. Put the batch buildspec in the project's buildspec or pass buildspecOverride (its builds may still name buildspec files of the source).`, { details: { feature: 'batch buildspec file' } });
    }
    const spec = parseBatchspec(buildspec);
    if (!spec.batch) throw new NagareError('API_INVALID_INPUT', 'The buildspec has no `batch` section; StartBuildBatch needs one (use StartBuild for a single build).');
    const combineArtifacts = input.combineArtifacts === true || spec.batch.combineArtifacts;
    if (combineArtifacts && input.pipeline === undefined) {
      // `nagare build` combines them; the server does not build the combined zip yet, and never ignores it silently.
      throw new NagareError('UNSUPPORTED_FEATURE', '`batch.combine-artifacts` is supported by nagare build and by pipeline actions (CombineArtifacts), not yet by StartBuildBatch; remove it and read each build\'s artifact from its build group.', { details: { feature: 'batch.combine-artifacts' } });
    }
    const now = clock();
    const id = `${project.name}:${input.batchUuid ?? this.context.newId()}`;
    const existing = input.batchUuid === undefined ? undefined : await store.buildBatches.get(id);
    if (existing) return existing;
    const state: BuildBatchState = {
      arn: `arn:aws:codebuild:${settings.region}:${settings.accountId}:build-batch/${id}`,
      initiator: input.initiator,
      sourceVersion: input.sourceVersion,
      buildspec,
      kind: spec.batch.kind,
      fastFail: spec.batch.fastFail,
      combineArtifacts,
      groups: planBatch(spec.batch).map((entry) => ({ entry, buildIds: [], status: 'PENDING' })),
      phases: [
        { phaseType: 'SUBMITTED', phaseStatus: 'SUCCEEDED', startTime: now, endTime: now },
        { phaseType: 'DOWNLOAD_BATCHSPEC', phaseStatus: 'SUCCEEDED', startTime: now, endTime: now },
        { phaseType: 'IN_PROGRESS', phaseStatus: undefined, startTime: now, endTime: undefined },
      ],
      stopRequested: false,
      imageOverride: input.imageOverride,
      environmentVariablesOverride: input.environmentVariablesOverride ?? [],
      timeoutInMinutes: input.buildTimeoutInMinutesOverride,
      pipeline: input.pipeline,
    };
    const batchNumber = await store.buildBatches.nextBatchNumber(project.name);
    try {
      await store.buildBatches.insert({ id, projectName: project.name, batchNumber, status: 'IN_PROGRESS', startTime: now, endTime: undefined, state });
    } catch (error) {
      // The same action attempt started twice (a retried effect, two servers): one batch.
      const started = input.batchUuid === undefined ? undefined : await store.buildBatches.get(id);
      if (error instanceof NagareError && error.code === 'STORE_CONFLICT' && started) return started;
      throw error;
    }
    this.context.logger.info({ batchId: id, project: project.name, builds: state.groups.length }, 'build batch started');
    return this.advance(id);
  }

  /**
   * Brings the batch up to date with its builds: records their ends, starts what may start, stops
   * what fast-fail or a stop request says, and ends the batch when nothing is left. Safe to call
   * any number of times, from any server: each build's id is derived from the batch, the entry
   * and the attempt, so a build is started once.
   */
  async advance(id: string): Promise<StoredBuildBatch> {
    for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt += 1) {
      const batch = await this.require(id);
      if (batch.status !== 'IN_PROGRESS') return batch;
      const next = await this.step(batch);
      if (next === batch) return batch;
      const saved = await this.context.store.buildBatches.update(next);
      if (saved) {
        if (saved.status !== 'IN_PROGRESS') {
          this.context.logger.info({ batchId: id, status: saved.status }, 'build batch ended');
          const builds = await this.context.store.builds.getMany(saved.state.groups.flatMap((group) => group.buildIds.slice(-1)));
          this.context.events.publish({ type: 'BuildBatchStateChanged', batch: saved, builds });
        }
        return saved;
      }
    }
    throw new NagareError('STORE_CONFLICT', `Build batch ${id} kept changing while it was being advanced; it is advanced again by the next reconciliation`);
  }

  private async step(batch: StoredBuildBatch): Promise<StoredBuildBatch> {
    const { state } = batch;
    const latest = state.groups.flatMap((group) => group.buildIds.slice(-1));
    const builds = new Map((await this.context.store.builds.getMany(latest)).map((build) => [build.id, build]));
    let groups: BuildBatchGroup[] = state.groups.map((group) => ({ ...group, status: statusFrom(group, builds) }));
    const statuses = Object.fromEntries(groups.map((group) => [group.entry.identifier, group.status]));
    const progress = advanceBatch(groups.map((group) => group.entry), statuses, { fastFail: state.fastFail, parallel: Number.MAX_SAFE_INTEGER, stopRequested: state.stopRequested });
    for (const identifier of progress.stop) {
      const buildId = groups.find((group) => group.entry.identifier === identifier)?.buildIds.at(-1);
      if (buildId) await this.builds.stopBuild(buildId);
    }
    groups = await Promise.all(groups.map(async (group): Promise<BuildBatchGroup> => {
      const identifier = group.entry.identifier;
      if (progress.cancel.includes(identifier)) return { ...group, status: 'STOPPED' };
      if (!progress.start.includes(identifier)) return group;
      const build = await this.startEntry(batch, group);
      return { ...group, buildIds: [...group.buildIds, build.id], status: 'IN_PROGRESS' };
    }));
    const changed = JSON.stringify(groups) !== JSON.stringify(state.groups) || progress.status !== 'IN_PROGRESS';
    if (!changed) return batch;
    const ended = progress.status !== 'IN_PROGRESS';
    const combining = ended && progress.status === 'SUCCEEDED' && state.combineArtifacts;
    const started = this.context.clock();
    const combinedArtifactKey = combining ? await this.combine(batch, groups, builds) : undefined;
    const now = this.context.clock();
    const phases = combining ? [...state.phases.map((phase) => (phase.endTime === undefined ? { ...phase, endTime: started, phaseStatus: 'SUCCEEDED' } : phase)), { phaseType: 'COMBINE_ARTIFACTS' as const, phaseStatus: undefined, startTime: started, endTime: undefined }] : state.phases;
    return {
      ...batch,
      status: progress.status,
      endTime: ended ? now : undefined,
      state: { ...state, groups, combinedArtifactKey, phases: ended ? endBatchPhases(phases, progress.status, now) : phases },
    };
  }

  /** The builds' primary artifacts in one zip, a folder per identifier (combined-artifacts.ts). */
  private async combine(batch: StoredBuildBatch, groups: readonly BuildBatchGroup[], builds: ReadonlyMap<string, StoredBuild>): Promise<string> {
    const parts = groups.flatMap((group) => {
      const build = builds.get(group.buildIds.at(-1) ?? '');
      const blobKey = build ? build.record.artifacts?.blobKey : undefined;
      return blobKey ? [{ identifier: group.entry.identifier, blobKey }] : [];
    });
    const key = `build-batches/${batch.id}/combined.zip`;
    await combineArtifactZips(this.context.blobs, parts, key, this.context.settings.maxArtifactBytes);
    return key;
  }

  private startEntry(batch: StoredBuildBatch, group: BuildBatchGroup): Promise<StoredBuild> {
    const { state } = batch;
    const { entry } = group;
    const overrides = new Map(state.environmentVariablesOverride.map((variable) => [variable.name, variable]));
    for (const [name, value] of Object.entries(entry.env.variables)) overrides.set(name, { name, value, type: 'PLAINTEXT' });
    return this.builds.startBuild({
      projectName: batch.projectName,
      sourceVersion: state.sourceVersion,
      buildspecOverride: entry.buildspec ?? state.buildspec,
      environmentVariablesOverride: [...overrides.values()],
      imageOverride: entry.env.image ?? state.imageOverride,
      timeoutInMinutesOverride: state.timeoutInMinutes,
      initiator: state.initiator,
      buildUuid: derivedUuid(`${batch.id}/${entry.identifier}/${group.buildIds.length + 1}`),
      batch: { identifier: entry.identifier, batchArn: state.arn },
      ...(state.pipeline ? { pipeline: state.pipeline } : {}),
    });
  }

  /** StopBuildBatch: running builds are stopped, pending ones never start; the batch ends STOPPED. */
  async stop(id: string): Promise<StoredBuildBatch> {
    await this.change(id, (batch) => (batch.status === 'IN_PROGRESS' ? { ...batch, state: { ...batch.state, stopRequested: true } } : undefined));
    return this.advance(id);
  }

  /** RetryBuildBatch: a failed (or stopped) batch runs its failed builds again, or all of them. */
  async retry(id: string, retryType: 'RETRY_ALL_BUILDS' | 'RETRY_FAILED_BUILDS'): Promise<StoredBuildBatch> {
    const now = this.context.clock();
    await this.change(id, (batch) => {
      if (batch.status !== 'FAILED' && batch.status !== 'STOPPED') {
        throw new NagareError('API_INVALID_INPUT', `Build batch ${id} is ${batch.status}; only a batch that failed or was stopped can be retried`);
      }
      const groups = batch.state.groups.map((group): BuildBatchGroup => (retryType === 'RETRY_ALL_BUILDS' || group.status !== 'SUCCEEDED' ? { ...group, status: 'PENDING' } : group));
      const phases = batch.state.phases.map((phase, index) => (index === batch.state.phases.length - 1 ? { ...phase, phaseStatus: 'RETRY', endTime: now } : phase));
      return {
        ...batch, status: 'IN_PROGRESS', endTime: undefined,
        state: { ...batch.state, groups, stopRequested: false, phases: [...phases, { phaseType: 'SUBMITTED', phaseStatus: 'SUCCEEDED', startTime: now, endTime: now }, { phaseType: 'IN_PROGRESS', phaseStatus: undefined, startTime: now, endTime: undefined }] },
      };
    });
    return this.advance(id);
  }

  /** DeleteBuildBatch: the batch and its finished builds; a batch still running is refused. */
  async delete(id: string): Promise<{ statusCode: string; buildsDeleted: string[]; buildsNotDeleted: { id: string; statusCode: string }[] }> {
    const batch = await this.require(id);
    if (batch.status === 'IN_PROGRESS') throw new NagareError('API_INVALID_INPUT', `Build batch ${id} is still running; stop it (StopBuildBatch) before deleting it`);
    const ids = batch.state.groups.flatMap((group) => group.buildIds);
    const { deleted, notDeleted } = await this.builds.batchDelete(ids);
    await this.context.store.buildBatches.delete(id);
    const arnOf = (buildId: string): string => `arn:aws:codebuild:${this.context.settings.region}:${this.context.settings.accountId}:build/${buildId}`;
    return { statusCode: 'BATCH_DELETED', buildsDeleted: deleted.map(arnOf), buildsNotDeleted: notDeleted };
  }

  /** The batches and the latest build of each of their groups (for build group summaries). */
  async batchGet(ids: readonly string[]): Promise<{ batches: StoredBuildBatch[]; builds: ReadonlyMap<string, StoredBuild>; notFound: string[] }> {
    const batches = await this.context.store.buildBatches.getMany(ids);
    const order = new Map(ids.map((id, index) => [id, index]));
    batches.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
    const buildIds = batches.flatMap((batch) => batch.state.groups.flatMap((group) => group.buildIds));
    const builds = new Map((await this.context.store.builds.getMany(buildIds)).map((build) => [build.id, build]));
    const found = new Set(batches.map((batch) => batch.id));
    return { batches, builds, notFound: ids.filter((id) => !found.has(id)) };
  }

  list(page: PageRequest, filter: { readonly projectName?: string | undefined; readonly status?: string | undefined } = {}): Promise<Page<string>> {
    return this.context.store.buildBatches.listIds(filter, page);
  }

  async listForProject(projectName: string, page: PageRequest, status?: string): Promise<Page<string>> {
    if (!(await this.context.store.projects.get(projectName))) throw new NagareError('API_NOT_FOUND', `Project cannot be found: ${projectName}`, { details: { resource: 'project' } });
    return this.list(page, { projectName, status });
  }

  /** Advances every batch still in progress (the scheduler's sweep). */
  async reconcile(): Promise<void> {
    for (const id of await this.context.store.buildBatches.inProgress(100)) {
      await this.advance(id).catch((error: unknown) => this.context.logger.error({ err: error, batchId: id }, 'advancing a build batch failed'));
    }
  }

  /** The periodic sweep: batches whose builds' events were missed (a restart, another server) carry on. */
  component(intervalMs: number): Component {
    return { name: 'build-batches', intervalMs, run: () => this.reconcile() };
  }

  /** Advances a batch whenever one of its builds changes state; returns the unsubscribe function. */
  subscribe(): () => void {
    return this.context.events.subscribe('BuildStateChanged', async ({ build }) => {
      const batchArn = build.record.job.batch?.batchArn;
      if (batchArn !== undefined) await this.advance(BuildBatchesService.batchIdOf(batchArn));
    });
  }

  /** The batch id of a build's batch ARN. */
  static batchIdOf(batchArn: string): string {
    return batchArn.slice(batchArn.indexOf(':build-batch/') + ':build-batch/'.length);
  }

  private async change(id: string, update: (batch: StoredBuildBatch) => StoredBuildBatch | undefined): Promise<void> {
    for (let attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt += 1) {
      const next = update(await this.require(id));
      if (!next || (await this.context.store.buildBatches.update(next))) return;
    }
    throw new NagareError('STORE_CONFLICT', `Build batch ${id} kept changing; try again`);
  }

  private async require(id: string): Promise<StoredBuildBatch> {
    const batch = await this.context.store.buildBatches.get(id);
    if (!batch) throw new NagareError('API_NOT_FOUND', `Build batch cannot be found: ${id}`, { details: { resource: 'build batch' } });
    return batch;
  }
}

function statusFrom(group: BuildBatchGroup, builds: ReadonlyMap<string, StoredBuild>): BatchEntryStatus {
  const buildId = group.buildIds.at(-1);
  if (group.status !== 'IN_PROGRESS' || buildId === undefined) return group.status;
  const build = builds.get(buildId);
  if (!build) return 'FAULT';
  return build.currentPhase === 'COMPLETED' ? build.buildStatus : 'IN_PROGRESS';
}

function parseBatchspec(text: string): ReturnType<typeof parseBuildspec> {
  try {
    return parseBuildspec(text, 'buildspec');
  } catch (error) {
    if (error instanceof SpecErrors) throw new NagareError('API_INVALID_INPUT', `The batch buildspec is not valid: ${error.errors.map((e) => e.describe()).join('; ')}`);
    throw error;
  }
}

function isInline(value: string): boolean {
  return value.includes('\n') || /^\s*version\s*:/.test(value);
}

/** A UUID-shaped id derived from `seed`, so that the same batch entry attempt is one build. */
function derivedUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
