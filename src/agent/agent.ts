/**
 * The agent: registers once, then leases builds from the server (long poll) and runs them one at
 * a time, until stopped. Agents only dial out; a server restart is ridden out by retrying.
 *
 * `stop()` is graceful: no new lease is taken, a running build is stopped (reported STOPPED) and
 * its log and result are sent, then the loop ends. Nothing here exits the process.
 */
import type { StatusType } from '../core/build-phases.js';
import { AgentApiError, AgentClient, type RetryPolicy } from '../client/agent-client.js';
import { silentLogger, type AgentLogger } from './agent-logger.js';
import { reportJobFault } from './job-fault.js';
import { runBuildJob } from './run-build-job.js';

export interface AgentOptions {
  readonly serverUrl: string;
  /** A registration token (or an API token). */
  readonly token: string;
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Builds get fresh directories here; the local cache lives here too. */
  readonly workDir: string;
  /** Forces an executor; by default `shell` for the images `shell` and `nagare/shell`, Docker otherwise. */
  readonly executorKind?: 'shell' | 'docker' | undefined;
  /** The agent's own environment (shell builds start from it; git runs with it). */
  readonly hostEnvironment: Readonly<Record<string, string>>;
  /** Long-poll wait per lease call, at most 60 (default 20). */
  readonly pollSeconds?: number | undefined;
  readonly heartbeatMs?: number | undefined;
  readonly killGraceMs?: number | undefined;
  /** Bytes of log kept per build (finding 11); default 256 MiB. */
  readonly logLimitBytes?: number | undefined;
  readonly retry?: Partial<RetryPolicy> | undefined;
  readonly logger?: AgentLogger | undefined;
  /** Called after each build the agent reported (tests, metrics). */
  readonly onBuildFinished?: ((buildId: string, status: StatusType | undefined) => void) | undefined;
}

export interface RunningAgent {
  readonly agentId: string;
  /** Resolves when the agent loop has ended (after `stop`, or on an error it cannot get past). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const logger = options.logger ?? silentLogger;
  // Aborted by stop(): ends the long poll and any retry wait outside a build.
  const stopping = new AbortController();
  const client = new AgentClient({
    serverUrl: options.serverUrl,
    retry: options.retry,
    onRetry: (what, error, delayMs) => logger.warn(`${what} failed (${error.message}); retrying in ${Math.round(delayMs)} ms`),
    onFailover: (from, to, error) => logger.warn(`${from} stopped answering (${error.message}); moving to ${to}`),
  });
  let { agentId } = await client.register(options.token, options.name, options.tags);
  logger.info(`registered with ${client.serverUrl} as ${agentId} (${options.name})`);

  const loop = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      let job;
      try {
        job = await client.lease(Math.min(options.pollSeconds ?? 20, 60), { signal: stopping.signal });
      } catch (error) {
        if (stopping.signal.aborted) return;
        if (error instanceof AgentApiError && error.code === 'AUTH_INVALID_TOKEN') {
          // The server forgot this agent's session (a new data directory): register again.
          ({ agentId } = await client.register(options.token, options.name, options.tags));
          logger.warn(`session refused; registered again as ${agentId}`);
          continue;
        }
        throw error;
      }
      if (!job) continue;
      logger.info(`leased ${job.buildId}`);
      try {
        const outcome = await runBuildJob({
          client,
          job,
          workDir: options.workDir,
          executorKind: options.executorKind,
          hostEnvironment: options.hostEnvironment,
          heartbeatMs: options.heartbeatMs ?? 2000,
          killGraceMs: options.killGraceMs,
          logLimitBytes: options.logLimitBytes,
          logger,
          signal: stopping.signal,
        });
        options.onBuildFinished?.(job.buildId, outcome.buildStatus);
      } catch (error) {
        // nagare's own failure on this host: reported at once, so the build ends FAULT with the reason.
        logger.error(`build ${job.buildId} could not be run: ${error instanceof Error ? error.message : String(error)}`);
        const reported = await reportJobFault(client, job, options.name, error, logger, stopping.signal);
        options.onBuildFinished?.(job.buildId, reported ? 'FAULT' : undefined);
      }
    }
  };
  const done = loop().catch((error: unknown) => {
    logger.error(`agent stopped: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  });
  // Surfaced through `done`; a caller that never awaits it must not crash the process.
  done.catch(() => undefined);

  return {
    get agentId() {
      return agentId;
    },
    done,
    async stop() {
      stopping.abort(new Error('agent stopping'));
      await done.catch(() => undefined);
    },
  };
}
