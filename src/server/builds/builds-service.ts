/**
 * Builds as CodeBuild's StartBuild, StopBuild, RetryBuild, BatchGetBuilds, ListBuilds… see them.
 * A started build waits QUEUED until an agent leases it (agents-service.ts).
 *
 * Errors: API_NOT_FOUND for an unknown project or build, API_INVALID_INPUT for bad overrides.
 */
import type { BuildJob, PipelineActionRef } from '../../core/build-job.js';
import { NagareError } from '../../core/errors.js';
import type { EnvironmentVariable } from '../../core/project.js';
import type { BuildFilter, JobToClose, Page, PageRequest, StoredBuild } from '../../core/store.js';
import { applyBuildLife } from '../../core/build-life.js';
import { buildJobRouting, queuedBuild } from './build-records.js';
import { explainQueued } from './queued-explanations.js';
import type { FleetsService } from '../agents/fleets-service.js';
import type { ServerContext } from '../server-context.js';
import { buildEvents } from '../events/aws-events.js';
import { buildTraceParent, pipelineActionTrace, traceIdOf, type TraceContext } from '../events/trace.js';

export interface StartBuildInput {
  readonly projectName: string;
  readonly sourceVersion?: string | undefined;
  readonly environmentVariablesOverride?: readonly EnvironmentVariable[] | undefined;
  readonly buildspecOverride?: string | undefined;
  readonly timeoutInMinutesOverride?: number | undefined;
  readonly imageOverride?: string | undefined;
  /** StartBuild's fleetOverride: the build runs in this fleet (name or ARN) instead of the project's. */
  readonly fleetOverride?: { readonly fleetArn: string } | undefined;
  readonly queuedTimeoutInMinutesOverride?: number | undefined;
  readonly gitCloneDepthOverride?: number | undefined;
  readonly initiator: string;
  /** The uuid part of the build id; a pipeline action derives it from the action attempt, so it is started once. */
  readonly buildUuid?: string | undefined;
  /** A pipeline action's build: its input artifacts replace the project's source (CODEPIPELINE). */
  readonly pipeline?: {
    readonly inputArtifacts: readonly { readonly name: string; readonly blobKey: string }[];
    readonly primarySource: string | undefined;
    readonly action: PipelineActionRef;
  } | undefined;
  /** The API caller's `traceparent`: the build joins that trace, under the caller's span. */
  readonly traceParent?: TraceContext | undefined;
  /** A build of a build batch (build-batches-service.ts). */
  readonly batch?: { readonly identifier: string; readonly batchArn: string } | undefined;
}

export class BuildsService {
  constructor(
    private readonly context: ServerContext,
    private readonly fleets: FleetsService,
  ) {}

  async startBuild(input: StartBuildInput): Promise<StoredBuild> {
    const { store, clock, settings } = this.context;
    const project = await store.projects.get(input.projectName);
    if (!project) throw new NagareError('API_NOT_FOUND', `Project cannot be found: ${input.projectName}`, { details: { resource: 'project' } });
    const timeout = input.timeoutInMinutesOverride ?? project.timeoutInMinutes;
    if (!Number.isInteger(timeout) || timeout < 5 || timeout > 2160) {
      throw new NagareError('API_INVALID_INPUT', `timeoutInMinutesOverride must be a whole number of minutes from 5 to 2160, not ${timeout}`);
    }
    // The fleet must exist now; the job keeps its ARN, so a re-queued orphan keeps the override.
    const fleetArn = input.fleetOverride === undefined ? undefined : (await this.fleets.get(input.fleetOverride.fleetArn)).arn;
    const overrides = new Map((input.environmentVariablesOverride ?? []).map((v) => [v.name, v]));
    const variables = [...project.environment.environmentVariables.filter((v) => !overrides.has(v.name)), ...overrides.values()];
    const now = clock();
    const buildId = `${project.name}:${input.buildUuid ?? this.context.newId()}`;
    const parent = input.traceParent ?? (input.pipeline ? await pipelineActionTrace(store, input.pipeline.action) : undefined);
    const job: BuildJob = {
      buildId,
      traceParent: buildTraceParent(buildId, parent),
      ...(parent ? { parentSpanId: parent.spanId } : {}),
      buildNumber: await store.projects.nextBuildNumber(project.name),
      projectName: project.name,
      initiator: input.initiator,
      startTime: now,
      region: settings.region,
      accountId: settings.accountId,
      source: input.pipeline
        ? { type: 'CODEPIPELINE', location: undefined, sourceVersion: input.sourceVersion, gitCloneDepth: undefined }
        : { type: project.source.type, location: project.source.location, sourceVersion: input.sourceVersion ?? project.sourceVersion, gitCloneDepth: input.gitCloneDepthOverride ?? project.source.gitCloneDepth },
      buildspec: input.buildspecOverride ?? project.source.buildspec,
      image: input.imageOverride ?? project.environment.image,
      ...(project.environment.privilegedMode ? { privilegedMode: true } : {}),
      ...(project.environment.registryCredential ? { registryCredential: project.environment.registryCredential.credential } : {}),
      environmentVariables: variables,
      artifacts: project.artifacts,
      secondaryArtifacts: project.secondaryArtifacts,
      cacheEnabled: project.cache.type !== 'NO_CACHE',
      timeoutInMinutes: timeout,
      queuedTimeoutInMinutes: input.queuedTimeoutInMinutesOverride ?? project.queuedTimeoutInMinutes,
      ...(fleetArn === undefined ? {} : { fleetArn }),
      ...(input.pipeline ? { inputArtifacts: input.pipeline.inputArtifacts, primarySource: input.pipeline.primarySource, pipelineAction: input.pipeline.action } : {}),
      ...(input.batch ? { batch: input.batch } : {}),
    };
    const build = queuedBuild(job, now);
    try {
      // One transaction: a crash can no longer leave a QUEUED build that no job will ever run.
      await store.builds.insertQueued(build, { ...buildJobRouting(job, project), id: build.id, projectName: project.name, queuedAt: now, payload: { queuedTimeoutInMinutes: job.queuedTimeoutInMinutes } }, buildEvents(this.context, undefined, build));
    } catch (error) {
      // The same action attempt started twice (a retried effect, two servers): one build.
      const existing = input.buildUuid === undefined ? undefined : await store.builds.get(build.id);
      if (error instanceof NagareError && error.code === 'STORE_CONFLICT' && existing) return existing;
      throw error;
    }
    this.context.notifier.notify('jobs');
    this.context.logger.info({ buildId: build.id, project: project.name, initiator: input.initiator, traceId: traceIdOf(job.traceParent) }, 'build queued');
    this.context.events.publish({ type: 'BuildStateChanged', build });
    return build;
  }

  /** StopBuild: a queued build ends STOPPED at once; a running one is told through its agent's heartbeat. */
  async stopBuild(id: string): Promise<StoredBuild> {
    const { store, clock } = this.context;
    const build = await this.require(id);
    if (build.currentPhase === 'COMPLETED') return build;
    // A QUEUED build with no job (left by a crash) has nothing that would ever see the stop request.
    if (build.currentPhase === 'QUEUED') {
      // Only while its job is still queued: a job leased meanwhile is stopped through its agent.
      const stopped = await this.finish(build, 'STOPPED', { statusCode: 'BUILD_STOPPED', message: 'Build was stopped while queued' }, clock(), { state: 'QUEUED' });
      if (stopped) return stopped;
    }
    const updated = await store.builds.update(id, { stopRequested: true });
    this.context.notifier.notify(`build:${id}`);
    return updated ?? build;
  }

  /** RetryBuild: a new build of the same project with the same job settings. */
  async retryBuild(id: string, initiator: string): Promise<StoredBuild> {
    const previous = (await this.require(id)).record.job;
    return this.startBuild({
      projectName: previous.projectName,
      sourceVersion: previous.source.sourceVersion,
      buildspecOverride: previous.buildspec,
      timeoutInMinutesOverride: previous.timeoutInMinutes,
      imageOverride: previous.image,
      environmentVariablesOverride: previous.environmentVariables,
      initiator,
    });
  }

  async batchGet(ids: readonly string[]): Promise<{ builds: StoredBuild[]; notFound: string[] }> {
    const builds = await this.context.store.builds.getMany(ids);
    const found = new Set(builds.map((b) => b.id));
    const order = new Map(ids.map((id, i) => [id, i]));
    builds.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
    return { builds: await explainQueued(this.context, builds), notFound: ids.filter((id) => !found.has(id)) };
  }

  /** The build; a QUEUED one that no connected agent can take says why in its QUEUED phase. */
  async get(id: string): Promise<StoredBuild> {
    const [build] = await explainQueued(this.context, [await this.require(id)]);
    return build ?? this.require(id);
  }

  /** Build ids newest first (unless ASCENDING), of the builds matching every filter given. */
  list(page: PageRequest, filter: BuildFilter = {}): Promise<Page<string>> {
    return this.context.store.builds.listIds(filter, page);
  }

  /** API_NOT_FOUND when there is no such project. */
  async listForProject(projectName: string, page: PageRequest, filter: Omit<BuildFilter, 'projectName'> = {}): Promise<Page<string>> {
    if (!(await this.context.store.projects.get(projectName))) throw new NagareError('API_NOT_FOUND', `Project cannot be found: ${projectName}`);
    return this.list(page, { ...filter, projectName });
  }

  /**
   * BatchDeleteBuilds: finished builds are deleted; running ones are refused (as CodeBuild does). A
   * QUEUED build without a job (left by a crash) is deleted too: nothing would ever run or end it.
   */
  async batchDelete(ids: readonly string[]): Promise<{ deleted: string[]; notDeleted: { id: string; statusCode: string }[] }> {
    const { store } = this.context;
    const builds = await store.builds.getMany(ids);
    const byId = new Map(builds.map((b) => [b.id, b]));
    const orphans = new Set<string>();
    for (const build of builds) if (build.currentPhase === 'QUEUED' && !(await store.jobs.get(build.id))) orphans.add(build.id);
    const deletable = ids.filter((id) => byId.get(id)?.currentPhase === 'COMPLETED' || orphans.has(id));
    const notDeleted = ids.filter((id) => !deletable.includes(id)).map((id) => ({ id, statusCode: byId.has(id) ? 'BUILD_IN_PROGRESS' : 'BUILD_NOT_FOUND' }));
    const deleted = await store.builds.delete(deletable);
    return { deleted, notDeleted };
  }

  /** Ends a build that no agent will finish; shared with the scheduler. */
  /**
   * Ends a build the server decided the end of, closing its job in the same transaction while the
   * job is as `job` says (a build with no job row, left by a crash, is ended alone). Undefined,
   * changing nothing, when the job is not so or the build has ended already.
   */
  async finish(build: StoredBuild, status: 'STOPPED' | 'TIMED_OUT' | 'FAULT', context: { statusCode: string; message: string }, at: number, job: JobToClose): Promise<StoredBuild | undefined> {
    const { store } = this.context;
    // Made from the build as it is when its job closes: what was stored since `build` was read stays.
    const patch = (current: StoredBuild) => applyBuildLife(current, { type: 'ENDED_BY_SERVER', status, context, at });
    const events = (before: StoredBuild, after: StoredBuild) => buildEvents(this.context, before, after);
    let updated = await store.builds.endWithJob(build.id, job, patch, events);
    if (!updated && !(await store.jobs.get(build.id))) {
      const current = await store.builds.get(build.id);
      if (current && current.currentPhase !== 'COMPLETED') updated = await store.builds.update(build.id, patch(current), events);
    }
    if (!updated) return undefined;
    this.context.metrics.buildsFinished.inc({ status });
    this.context.notifier.notify(`build:${build.id}`);
    this.context.logger.info({ buildId: build.id, status, reason: context.message, traceId: traceIdOf(build.record.job.traceParent) }, 'build ended by the server');
    this.context.events.publish({ type: 'BuildPhaseChanged', buildId: build.id, previousPhase: build.currentPhase, currentPhase: updated.currentPhase });
    this.context.events.publish({ type: 'BuildStateChanged', build: updated });
    return updated;
  }

  private async require(id: string): Promise<StoredBuild> {
    const build = await this.context.store.builds.get(id);
    if (!build) throw new NagareError('API_NOT_FOUND', `Build cannot be found: ${id}`, { details: { resource: 'build' } });
    return build;
  }
}
