/**
 * Keeps a build's lease: a heartbeat every `intervalMs` carrying the live phases, and one soon after
 * a phase change (at most every PHASE_BEAT_GAP_MS). One attempt per
 * beat (the next beat carries newer phases anyway), so an unreachable server costs nothing but a
 * warning, and the build runs on while it restarts. The answer says whether a stop was requested;
 * AGENT_LEASE_EXPIRED means the server has given up on this agent and already ended the build.
 */
import type { PhaseRecord, PhaseType } from '../core/build-phases.js';
import { isLeaseExpired, type AgentClient, type HeartbeatBody } from '../client/agent-client.js';
import type { AgentLogger } from './agent-logger.js';

export interface HeartbeatOptions {
  readonly client: AgentClient;
  readonly buildId: string;
  readonly intervalMs: number;
  readonly logger: AgentLogger;
  readonly onStopRequested: () => void;
  readonly onLeaseLost: () => void;
}

/**
 * Phase changes are sent at most this often: a trivial build ends before a second beat would go
 * (its phases arrive with `complete`), and a long one shows its new phase this late at most.
 */
export const PHASE_BEAT_GAP_MS = 500;

export class JobHeartbeat {
  private body: HeartbeatBody = {};
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private failing = false;
  /** The body changed since the last beat. */
  private changed = false;
  private lastBeatAt = Date.now();

  constructor(private readonly options: HeartbeatOptions) {}

  /** What the next beat reports. */
  update(phases: readonly PhaseRecord[], currentPhase: PhaseType, started: boolean): void {
    this.body = { phases, currentPhase, started };
    this.changed = true;
  }

  /**
   * Starts beating: at once, or, when the lease's answer stood for the first beat (protocol
   * version 2), one interval after the lease.
   */
  start(leaseAnswer?: { readonly stopRequested: boolean }): void {
    if (!leaseAnswer) {
      this.beatNow();
      return;
    }
    this.lastBeatAt = Date.now();
    if (leaseAnswer.stopRequested) this.options.onStopRequested();
    this.schedule();
  }

  /** The phases changed (after `update`): a beat goes at once, or PHASE_BEAT_GAP_MS after the last. */
  phaseChanged(): void {
    if (this.stopped || this.inFlight) return;
    this.schedule();
  }

  /** Sends one beat at once, unless one is in flight. */
  beatNow(): void {
    if (this.stopped || this.inFlight) return;
    clearTimeout(this.timer);
    this.changed = false;
    this.lastBeatAt = Date.now();
    this.inFlight = this.beat().finally(() => {
      this.inFlight = undefined;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const wait = this.changed ? Math.min(this.options.intervalMs, this.lastBeatAt + PHASE_BEAT_GAP_MS - Date.now()) : this.options.intervalMs;
    if (wait <= 0) this.beatNow();
    else this.timer = setTimeout(() => this.beatNow(), wait);
  }

  /** No more beats; resolves once a beat in flight has been answered. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
  }

  private async beat(): Promise<void> {
    const { client, buildId, logger } = this.options;
    try {
      const { stopRequested } = await client.heartbeat(buildId, this.body, { retry: false });
      if (this.failing) logger.info(`heartbeat of ${buildId} answered again`);
      this.failing = false;
      if (stopRequested && !this.stopped) this.options.onStopRequested();
    } catch (error) {
      if (this.stopped) return;
      if (isLeaseExpired(error)) {
        logger.warn(`lease of ${buildId} expired; the server has ended the build`);
        this.stopped = true;
        this.options.onLeaseLost();
        return;
      }
      if (!this.failing) logger.warn(`heartbeat of ${buildId} failed (${error instanceof Error ? error.message : String(error)}); the build goes on`);
      this.failing = true;
    }
  }
}
