/**
 * The server's clockwork: builds whose agent stopped renewing the lease, builds that waited in
 * the queue past their queued timeout, and QUEUED builds that lost their job. A lost build that
 * never started goes back to the queue, at most `maxJobAttempts` leases in all; one that started,
 * or ran out of attempts, ends FAULT with the reason, never left "running" or "queued" forever.
 * With retention configured it also prunes old builds and executions (history-retention.ts).
 */
import type { Job, StoredBuild } from '../../core/store.js';
import { NagareError } from '../../core/errors.js';
import { buildJobRouting } from './build-records.js';
import type { BuildsService } from './builds-service.js';
import { pruneHistory, type RetentionSettings } from '../history/history-retention.js';
import type { Component } from '../interval-runner.js';
import type { ServerContext } from '../server-context.js';
import type { StatusType } from '../../core/build-phases.js';
import { traceIdOf } from '../events/trace.js';

/** The statuses `nagare_builds` always reports. */
const BUILD_STATUSES: readonly StatusType[] = ['IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'FAULT', 'TIMED_OUT', 'STOPPED'];

const PRUNE_EVERY_MS = 15 * 60 * 1000;

export class Scheduler {
  private lastPrune: number | undefined;

  constructor(
    private readonly context: ServerContext,
    private readonly builds: BuildsService,
    private readonly retention: RetentionSettings = {},
  ) {}

  /** The sweep as a component of the interval runner (one server of a cluster at a time). */
  component(intervalMs: number): Component {
    return { name: 'scheduler', intervalMs, run: () => this.sweep() };
  }

  /**
   * Called once before `start` by a server coming up: agents holding leases could not heartbeat
   * while no server ran, so every lease gets at least one lease duration from now before it counts
   * as lost (a build that outlived a restart finishes instead of ending AGENT_LOST).
   */
  async grantRestartGrace(): Promise<void> {
    const { store, clock, settings, logger } = this.context;
    const extended = await store.jobs.extendLeases(clock() + settings.leaseMs);
    if (extended > 0) logger.info({ leases: extended, graceMs: settings.leaseMs }, 'leases held before this start given a grace period');
  }

  /** One pass; also called directly by tests. */
  async sweep(): Promise<void> {
    await this.expireLeases();
    await this.requeueOrphans();
    await this.expireQueued();
    const { metrics, store } = this.context;
    metrics.queueDepth.set(await store.jobs.depth());
    // Every status is set on every sweep, 0 when none is left: a gauge not set keeps its last value.
    const counts = await store.builds.countByStatus();
    metrics.buildsByStatus.reset();
    for (const status of new Set([...BUILD_STATUSES, ...Object.keys(counts)])) metrics.buildsByStatus.set({ status }, counts[status] ?? 0);
    await this.pruneWhenDue();
  }

  /** Retention runs at start and then every PRUNE_EVERY_MS: windows are days, so more often gains nothing. */
  private async pruneWhenDue(): Promise<void> {
    const now = this.context.clock();
    if (this.lastPrune !== undefined && now - this.lastPrune < PRUNE_EVERY_MS) return;
    if (this.retention.buildsDays === undefined && this.retention.executionsDays === undefined) return;
    this.lastPrune = now;
    await pruneHistory(this.context, this.retention, now);
  }

  private async expireLeases(): Promise<void> {
    const { store, clock, metrics, logger } = this.context;
    for (const job of await store.jobs.expired(clock())) {
      // Deploy jobs are the deployments sweep's (server/deployments/deployment-effects.ts).
      if (job.kind !== 'build') continue;
      metrics.leaseExpiries.inc();
      const build = await store.builds.get(job.id);
      const attemptsLeft = job.attempts < this.context.settings.maxJobAttempts;
      if (!job.started && attemptsLeft && build && build.currentPhase !== 'COMPLETED' && (await store.jobs.requeue(job.id, clock()))) {
        // The next agent logs from sequence 0: what the lost one sent before any command ran is replaced.
        await store.builds.update(job.id, { logNextSequence: 0, logBytes: 0, currentPhase: 'QUEUED' });
        logger.warn({ buildId: job.id, agentId: job.leaseOwner, traceId: traceIdOf(build.record.job.traceParent) }, 'agent lost before the build started; re-queued');
        this.context.notifier.notify('jobs');
        continue;
      }
      if (!build || build.currentPhase === 'COMPLETED') {
        await store.jobs.cancel(job.id);
        continue;
      }
      // Only if the lease is still the one that ran out: an agent that renewed it meanwhile keeps its build.
      await this.builds.finish(build, 'FAULT', { statusCode: 'AGENT_LOST', message: lostMessage(job, build, clock()) }, clock(), { state: 'LEASED', leaseOwner: job.leaseOwner, leaseEndedBefore: clock() });
    }
  }

  /**
   * QUEUED builds with no job (a crash between the two inserts before they shared a transaction)
   * get their job, keeping their place and queued timeout (queued at the build's start time).
   */
  private async requeueOrphans(): Promise<void> {
    const { store, logger, notifier } = this.context;
    for (const build of await store.builds.queuedWithoutJob(100)) {
      const project = await store.projects.get(build.projectName);
      const payload = { queuedTimeoutInMinutes: build.record.job.queuedTimeoutInMinutes ?? project?.queuedTimeoutInMinutes ?? 480 };
      try {
        await store.jobs.enqueue({ ...buildJobRouting(build.record.job, project), id: build.id, projectName: build.projectName, queuedAt: build.startTime, payload });
      } catch (error) {
        // Another server's scheduler enqueued it first.
        if (error instanceof NagareError && error.code === 'STORE_CONFLICT') continue;
        throw error;
      }
      logger.warn({ buildId: build.id, traceId: traceIdOf(build.record.job.traceParent) }, 'queued build had no job; queued it again');
      notifier.notify('jobs');
    }
  }

  private async expireQueued(): Promise<void> {
    const { store, clock } = this.context;
    const now = clock();
    // Five minutes is the shortest queued timeout CodeBuild allows.
    for (const job of await store.jobs.queuedBefore(now - 5 * 60_000)) {
      const limit = Number(job.payload.queuedTimeoutInMinutes ?? 480) * 60_000;
      if (job.queuedAt + limit > now) continue;
      const build = await store.builds.get(job.id);
      if (!build) continue;
      await this.builds.finish(build, 'TIMED_OUT', { statusCode: 'BUILD_TIMED_OUT', message: `Build waited in the queue longer than ${limit / 60_000} minutes` }, now, { state: 'QUEUED' });
    }
  }
}

/** Why a lost build ended: its last agent, and how many agents it wore out before running a command. */
function lostMessage(job: Job, build: StoredBuild, now: number): string {
  const agent = build.record.agentId ?? job.leaseOwner ?? 'unknown';
  const last = `Agent ${agent} stopped reporting; its lease expired at ${new Date(job.leaseExpiresAt ?? now).toISOString()}`;
  return job.started ? last : `The build failed on ${job.attempts} agents before running a command and is not leased again; last: ${last}`;
}
