/**
 * The server's clockwork: builds whose agent stopped renewing the lease, and builds that waited in
 * the queue past their queued timeout. A lost build that never started goes back to the queue;
 * one that started ends FAULT with the reason, never left "running" forever.
 */
import { recordOf } from './build-records.js';
import type { BuildsService } from './builds-service.js';
import type { ServerContext } from './server-context.js';

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly context: ServerContext,
    private readonly builds: BuildsService,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep().catch((error: unknown) => this.context.logger.error({ err: error }, 'scheduler sweep failed')).finally(() => {
        this.running = undefined;
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; also called directly by tests. */
  async sweep(): Promise<void> {
    await this.expireLeases();
    await this.expireQueued();
    const { metrics, store } = this.context;
    metrics.queueDepth.set(await store.jobs.depth());
    for (const [status, count] of Object.entries(await store.builds.countByStatus())) metrics.buildsByStatus.set({ status }, count);
  }

  private async expireLeases(): Promise<void> {
    const { store, clock, metrics, logger } = this.context;
    for (const job of await store.jobs.expired(clock())) {
      metrics.leaseExpiries.inc();
      const build = await store.builds.get(job.id);
      if (!job.started && build && build.currentPhase !== 'COMPLETED' && (await store.jobs.requeue(job.id))) {
        // The next agent logs from sequence 0: what the lost one sent before any command ran is replaced.
        await store.builds.update(job.id, { logNextSequence: 0, logBytes: 0, currentPhase: 'QUEUED' });
        logger.warn({ buildId: job.id, agentId: job.leaseOwner }, 'agent lost before the build started; re-queued');
        this.context.notifier.notify('jobs');
        continue;
      }
      await store.jobs.cancel(job.id);
      if (!build || build.currentPhase === 'COMPLETED') continue;
      const agent = recordOf(build).agentId ?? job.leaseOwner ?? 'unknown';
      await this.builds.finish(build, 'FAULT', {
        statusCode: 'AGENT_LOST',
        message: `Agent ${agent} stopped reporting; its lease expired at ${new Date(job.leaseExpiresAt ?? clock()).toISOString()}`,
      }, clock());
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
      if (!build || !(await store.jobs.cancel(job.id))) continue;
      await this.builds.finish(build, 'TIMED_OUT', { statusCode: 'BUILD_TIMED_OUT', message: `Build waited in the queue longer than ${limit / 60_000} minutes` }, now);
    }
  }
}
