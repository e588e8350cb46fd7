/**
 * One leased deploy job, start to end: the lifecycle of one deployment on this instance, run by
 * the host side (src/deploy/instance-deployment.ts, the very code `nagare deploy local` runs),
 * with each event reported as it ends, heartbeats while hooks run, and every event's result
 * reported at the end.
 *
 * The bundle is fetched when DownloadBundle comes (the events before it run the last revision's
 * scripts and need none): streamed to a file in this deployment's directory of the deployment
 * root, refused past `maxBundleBytes`, and removed once the host side has unpacked its own copy.
 * A failed event is a result, never an exception. A stop request, a deployment that no longer
 * wants this instance (an answer's `stopRequested`) or the agent's shutdown stop the running
 * hook's process group: its event fails and the rest are Skipped. A lost lease ends the job
 * without completing: the server has already failed the instance.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NagareError } from '../core/errors.js';
import { AgentApiError, isLeaseExpired, type AgentClient } from '../client/agent-client.js';
import { DeploymentRoot } from '../deploy/deployment-root.js';
import { runInstanceDeployment, takeInterruptedEvents, type LifecycleEventResult } from '../deploy/instance-deployment.js';
import { markEventEnded, markEventStarted } from '../deploy/ongoing-events.js';
import { deployJobId, type DeployJobPayload } from '../protocol/deploy-job.js';
import type { AgentLogger } from './agent-logger.js';

export interface DeployJobContext {
  readonly client: AgentClient;
  readonly jobId: string;
  readonly job: DeployJobPayload;
  /** The instance's deployment root (the CodeDeploy agent's layout, src/deploy/deployment-root.ts). */
  readonly deploymentRoot: string;
  /** What hook scripts inherit: the agent's environment without nagare's variables and credentials. */
  readonly hookEnvironment: Readonly<Record<string, string>>;
  readonly heartbeatMs: number;
  /** A bundle larger than this is refused (DownloadBundle fails) before more of it is written. */
  readonly maxBundleBytes: number;
  readonly logger: AgentLogger;
  /** Aborted when the agent shuts down: the running hook is stopped and the results reported. */
  readonly signal: AbortSignal;
  readonly now?: () => number;
}

export interface DeployJobOutcome {
  /** Every event's result, as reported; empty when the lease was lost before the end. */
  readonly events: readonly LifecycleEventResult[];
  readonly leaseLost: boolean;
}

export async function runDeployJob(context: DeployJobContext): Promise<DeployJobOutcome> {
  const { client, jobId, logger } = context;
  // The ids name directories: checked (plain names only) before anything is started.
  const bundleFile = path.join(new DeploymentRoot(context.deploymentRoot).deploymentDir(context.job.deploymentGroupId, context.job.deploymentId), 'bundle-download');
  const stop = new AbortController();
  let leaseLost = false;
  const stopWith = (reason: string): void => {
    if (stop.signal.aborted) return;
    logger.info(`stopping deploy job ${jobId}: ${reason}`);
    stop.abort();
  };
  const onAgentStop = (): void => stopWith('the agent is stopping');
  context.signal.addEventListener('abort', onAgentStop, { once: true });
  if (context.signal.aborted) onAgentStop();
  const loseLease = (): void => {
    if (!leaseLost) logger.warn(`lease of deploy job ${jobId} expired; the server has ended the instance's deployment`);
    leaseLost = true;
    stop.abort();
  };
  const lease = keepLease(context, () => stopWith('the server asked for it'), loseLease);
  // Reports go out in order, one at a time, while the lifecycle runs on.
  let reports = Promise.resolve();
  const report = (result: LifecycleEventResult): void => {
    logger.info(`${context.job.deploymentId} ${result.name} ${result.status}${result.diagnostics ? `: ${result.diagnostics.message}` : ''}`);
    reports = reports.then(async () => {
      if (leaseLost) return;
      try {
        const answer = await client.deployEvent(jobId, result);
        if (answer.stopRequested) stopWith('the deployment no longer wants this instance');
      } catch (error) {
        if (isLeaseExpired(error)) loseLease();
        else logger.warn(`could not report ${result.name} of ${jobId} (${describe(error)}); it goes with the result`);
      }
    });
  };
  try {
    const events = await runLifecycle(context, bundleFile, stop.signal, report);
    await reports;
    await lease.stop();
    if (leaseLost) return { events: [], leaseLost: true };
    await client.deployComplete(jobId, events);
    const failed = events.find((event) => event.status === 'Failed');
    logger.info(`deploy job ${jobId} ${failed ? `Failed in ${failed.name}` : 'Succeeded'}`);
    return { events, leaseLost: false };
  } catch (error) {
    if (isLeaseExpired(error) || leaseLost) return { events: [], leaseLost: true };
    throw error;
  } finally {
    context.signal.removeEventListener('abort', onAgentStop);
    await lease.stop();
    await rm(bundleFile, { force: true }).catch((error: unknown) => logger.warn(`could not remove ${bundleFile}: ${describe(error)}`));
  }
}

/**
 * The job's events in order: those before DownloadBundle, then the bundle fetched, then the rest.
 * An event that fails (or a stop) ends the run; the events after it are Skipped.
 */
async function runLifecycle(context: DeployJobContext, bundleFile: string, signal: AbortSignal, report: (result: LifecycleEventResult) => void): Promise<LifecycleEventResult[]> {
  const { job } = context;
  const now = context.now ?? Date.now;
  const at = job.events.indexOf('DownloadBundle');
  const beforeBundle = at < 0 ? job.events : job.events.slice(0, at);
  const fromBundle = at < 0 ? [] : job.events.slice(at);
  const run = (events: readonly string[]): Promise<readonly LifecycleEventResult[]> => runInstanceDeployment({
    deploymentId: job.deploymentId,
    applicationName: job.applicationName,
    deploymentGroupName: job.deploymentGroupName,
    deploymentGroupId: job.deploymentGroupId,
    bundle: { path: bundleFile, type: job.bundleType },
    deploymentRoot: context.deploymentRoot,
    fileExistsBehavior: job.fileExistsBehavior,
    ignoreApplicationStopFailures: job.ignoreApplicationStopFailures,
    events,
  }, { signal, environment: context.hookEnvironment, onEvent: report, now });
  const skipped = (names: readonly string[]): LifecycleEventResult[] => names.map((name) => {
    const result: LifecycleEventResult = { name, status: 'Skipped', startTime: now(), endTime: now() };
    report(result);
    return result;
  });

  const results = [...(await run(beforeBundle))];
  if (fromBundle.length === 0) return results;
  if (signal.aborted || results.some((result) => result.status === 'Failed')) return [...results, ...skipped(fromBundle)];
  const failure = await fetchBundle(context, bundleFile, signal, now);
  if (failure) {
    report(failure);
    return [...results, failure, ...skipped(fromBundle.slice(1))];
  }
  return [...results, ...(await run(fromBundle))];
}

/**
 * Streams the job's bundle into `file` under the deployment root, at most `maxBundleBytes`.
 * Undefined when it arrived; otherwise DownloadBundle's Failed result with the reason. Marked as
 * an event in progress, so that an agent killed meanwhile reports DownloadBundle failed.
 */
async function fetchBundle(context: DeployJobContext, file: string, signal: AbortSignal, now: () => number): Promise<LifecycleEventResult | undefined> {
  const { job } = context;
  const startTime = now();
  await markEventStarted(context.deploymentRoot, { deploymentId: job.deploymentId, deploymentGroupId: job.deploymentGroupId, event: 'DownloadBundle', startTime });
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await rm(file, { force: true });
    const { body, declaredBytes } = await context.client.openBundle(context.jobId, { signal });
    if (declaredBytes !== undefined && declaredBytes > context.maxBundleBytes) {
      await body.cancel();
      throw tooLarge(context.maxBundleBytes, declaredBytes);
    }
    // 'wx': a fresh file, never written through whatever a hook may have left at that name.
    await pipeline(Readable.fromWeb(body), byteLimit(context.maxBundleBytes), createWriteStream(file, { flags: 'wx', mode: 0o600 }), { signal });
    return undefined;
  } catch (error) {
    if (isLeaseExpired(error)) throw error;
    await rm(file, { force: true });
    const message = signal.aborted ? 'The bundle download was stopped because the deployment was stopped' : `The bundle could not be downloaded: ${describe(error)}`;
    return { name: 'DownloadBundle', status: 'Failed', startTime, endTime: now(), diagnostics: { errorCode: 'UnknownError', scriptName: '', message, logTail: '' } };
  } finally {
    await markEventEnded(context.deploymentRoot, job.deploymentId);
  }
}

/** Passes bytes through until `maxBytes`, then fails the stream: a bundle is untrusted input. */
function byteLimit(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > maxBytes) done(tooLarge(maxBytes));
      else done(null, chunk);
    },
  });
}

function tooLarge(maxBytes: number, declared?: number): NagareError {
  const size = declared === undefined ? 'more than' : `${declared} bytes,`;
  return new NagareError('BUILD_ARCHIVE_INVALID', `the bundle is ${size} ${maxBytes} bytes, the most this agent accepts`);
}

/**
 * Renews the job's lease every `heartbeatMs` while the lifecycle runs. One attempt per beat (the
 * next one will do as well), so a restarting server costs a warning; AGENT_LEASE_EXPIRED means the
 * server has given up on this instance's deployment.
 */
function keepLease(context: DeployJobContext, onStopRequested: () => void, onLeaseLost: () => void): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = false;
  let failing = false;
  const beat = async (): Promise<void> => {
    try {
      const { stopRequested } = await context.client.deployHeartbeat(context.jobId, { retry: false });
      failing = false;
      if (stopRequested && !stopped) onStopRequested();
    } catch (error) {
      if (stopped) return;
      if (isLeaseExpired(error)) {
        stopped = true;
        onLeaseLost();
        return;
      }
      if (!failing) context.logger.warn(`heartbeat of deploy job ${context.jobId} failed (${describe(error)}); the deployment goes on`);
      failing = true;
    }
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      inFlight = beat().finally(() => {
        inFlight = undefined;
        schedule();
      });
    }, context.heartbeatMs);
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}

/**
 * A deploy job this agent could not run (an error of nagare's own on this host, not a failed
 * event): reported at once, its first event not yet ended Failed with the reason and the rest
 * Skipped, rather than left for the lease to run out. False when the report could not be sent.
 */
export async function reportDeployFault(client: AgentClient, jobId: string, job: DeployJobPayload, agentName: string, error: unknown, logger: AgentLogger): Promise<boolean> {
  const now = Date.now();
  const events: LifecycleEventResult[] = job.events.map((name, index) => index === 0
    ? { name, status: 'Failed', startTime: now, endTime: now, diagnostics: { errorCode: 'UnknownError', scriptName: '', message: `Agent ${agentName} could not run the deployment: ${describe(error)}`, logTail: '' } }
    : { name, status: 'Skipped', startTime: now, endTime: now });
  try {
    await client.deployComplete(jobId, events);
    return true;
  } catch (reportError) {
    if (!isLeaseExpired(reportError)) logger.warn(`could not report the fault of deploy job ${jobId} (${describe(reportError)}); its lease will run out`);
    return false;
  }
}

/**
 * At start: the lifecycle event a killed predecessor on this instance was running (its marker in
 * the deployment root), reported Failed as the CodeDeploy agent reports its code 7, so that the
 * deployment goes on by its rules; nothing of it runs again. A report the server refuses (it had
 * already given up on the instance) is logged and dropped.
 */
export async function reportInterruptedEvents(client: AgentClient, deploymentRoot: string, instanceName: string, logger: AgentLogger, signal: AbortSignal): Promise<void> {
  for (const { deploymentId, result } of await takeInterruptedEvents(deploymentRoot)) {
    const jobId = deployJobId(deploymentId, instanceName);
    try {
      const answer = await client.deployInterrupted(jobId, result, { signal });
      logger.warn(`${result.name} of deployment ${deploymentId} was running when this instance's agent stopped: reported Failed${answer.stopRequested ? ' (the server had already ended it)' : ''}`);
    } catch (error) {
      if (signal.aborted) return;
      if (!(error instanceof AgentApiError)) throw error;
      logger.warn(`${result.name} of deployment ${deploymentId} was running when this instance's agent stopped; the server did not take the report (${error.message})`);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
