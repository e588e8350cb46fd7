/**
 * One leased build, start to end: source, buildspec, parameters, the runner (the same one as
 * `nagare build`), artifacts, and the result reported to the server, with heartbeats throughout
 * and the log streamed as it is written.
 *
 * What the buildspec or the source get wrong is the build's result (FAILED with the reason in the
 * DOWNLOAD_SOURCE phase), never an exception. A stop request or the agent's own shutdown stops
 * the build (STOPPED). A lost lease ends the job at once without completing: the server has
 * already ended the build. The work directory is removed in every case.
 */
import { createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { BuildJob } from '../core/build-job.js';
import type { BuildPhaseState, PhaseContext, PhaseRecord, StatusType } from '../core/build-phases.js';
import { isNagareError, SpecErrors } from '../core/errors.js';
import type { BuildIdentity } from '../build/environment.js';
import { containerLine } from '../executors/command-log.js';
import type { BuildRecord } from '../build/result.js';
import { runBuild } from '../build/runner.js';
import { createExecutor } from '../executors/index.js';
import { isLeaseExpired, type AgentClient, type CompletionBody } from '../client/agent-client.js';
import { COMPLETE_LOG_MAX_BYTES } from '../protocol/agent-protocol.js';
import type { AgentLogger } from './agent-logger.js';
import { shellBuildEnvironment } from './build-environment.js';
import { runAsRefusal, type RunAsPolicy } from './build-user.js';
import { fetchJobVariables } from './job-parameters.js';
import { JobHeartbeat } from './job-heartbeat.js';
import { loadJobBuildspec } from './job-buildspec.js';
import { prepareSource } from './job-source.js';
import { LogUploader } from './log-uploader.js';
import { handOverSources } from './work-dir.js';

export interface BuildJobContext {
  readonly client: AgentClient;
  readonly job: BuildJob;
  /** The agent's work directory; the build gets a fresh directory inside it. */
  readonly workDir: string;
  readonly executorKind: 'shell' | 'docker' | undefined;
  readonly hostEnvironment: Readonly<Record<string, string>>;
  /** Who shell builds run as and which `run-as` users the agent allows (build-user.ts). */
  readonly runAs: RunAsPolicy;
  /** The agent's own secrets (its token): no variable holding one reaches a shell build. */
  readonly credentials: readonly string[];
  readonly heartbeatMs: number;
  /** What the lease answered for the first heartbeat (protocol version 2); none: beat at once. */
  readonly leaseAnswer?: { readonly stopRequested: boolean } | undefined;
  readonly logger: AgentLogger;
  /** Aborted when the agent shuts down: the build is stopped and reported STOPPED. */
  readonly signal: AbortSignal;
  readonly killGraceMs?: number | undefined;
  /** Bytes of log kept per build (finding 11); default 256 MiB. */
  readonly logLimitBytes?: number | undefined;
  readonly clock?: () => number;
}

export interface BuildJobOutcome {
  /** The status reported to the server; undefined when the lease was lost. */
  readonly buildStatus: StatusType | undefined;
  readonly leaseLost: boolean;
}

export function executorKindFor(image: string): 'shell' | 'docker' {
  return image === 'shell' || image === 'nagare/shell' ? 'shell' : 'docker';
}

export async function runBuildJob(context: BuildJobContext): Promise<BuildJobOutcome> {
  const { client, job, logger } = context;
  const clock = context.clock ?? Date.now;
  const leasedAt = clock();
  await mkdir(context.workDir, { recursive: true });
  const dir = await mkdtemp(path.join(context.workDir, 'build-'));
  const stop = new AbortController();
  let leaseLost = false;
  const onAgentStop = (): void => stop.abort();
  context.signal.addEventListener('abort', onAgentStop, { once: true });
  if (context.signal.aborted) stop.abort();
  const log = new LogUploader({ client, buildId: job.buildId, spoolFile: path.join(dir, 'log.spool'), logger });
  // A stopped build does not wait for its backlog to be sent, only for its last lines (finding 11).
  stop.signal.addEventListener('abort', () => log.dropBacklog(), { once: true });
  const heartbeat = new JobHeartbeat({
    client,
    buildId: job.buildId,
    intervalMs: context.heartbeatMs,
    logger,
    onStopRequested: () => {
      if (!stop.signal.aborted) logger.info(`stop requested for ${job.buildId}`);
      stop.abort();
    },
    onLeaseLost: () => {
      leaseLost = true;
      stop.abort();
    },
  });
  heartbeat.start(context.leaseAnswer);
  let removed: Promise<void> | undefined;
  // Once: before `complete`, so that a build the server shows COMPLETED has left nothing on this
  // host (and a crash after the answer cannot leave its directory behind); again in `finally` for
  // every other way out.
  const removeWorkDirectory = (): Promise<void> => (removed ??= (async () => {
    log.close();
    await rm(dir, { recursive: true, force: true }).catch((error: unknown) => logger.warn(`could not remove ${dir}: ${String(error)}`));
  })());
  try {
    const completion = await execute({ ...context, clock }, dir, leasedAt, stop.signal, log, heartbeat);
    if (leaseLost || log.leaseLost) return { buildStatus: undefined, leaseLost: true };
    // A server of protocol version 2 takes the log's last chunk with the result: one call less.
    const tail = client.protocolVersion >= 2 ? await log.finish(COMPLETE_LOG_MAX_BYTES) : await log.drain();
    await heartbeat.stop();
    if (leaseLost || log.leaseLost) return { buildStatus: undefined, leaseLost: true };
    await removeWorkDirectory();
    await client.complete(job.buildId, tail ? { ...completion, log: { sequence: tail.sequence, base64: tail.data.toString('base64') } } : completion);
    logger.info(`build ${job.buildId} ${completion.buildStatus}`);
    return { buildStatus: completion.buildStatus, leaseLost: false };
  } catch (error) {
    if (isLeaseExpired(error) || leaseLost) return { buildStatus: undefined, leaseLost: true };
    throw error;
  } finally {
    context.signal.removeEventListener('abort', onAgentStop);
    await heartbeat.stop();
    await removeWorkDirectory();
  }
}

async function execute(context: BuildJobContext & { clock: () => number }, dir: string, leasedAt: number, signal: AbortSignal, log: LogUploader, heartbeat: JobHeartbeat): Promise<CompletionBody> {
  const { job, clock } = context;
  const system = (message: string): void => log.write(message.split('\n').map((line) => containerLine(clock(), line)).join('\n') + '\n');
  const early = (status: StatusType, phaseContext: PhaseContext, resolvedSourceVersion?: string): CompletionBody => {
    system(`${phaseContext.statusCode}: ${phaseContext.message}`);
    return { buildStatus: status, phases: endedBeforeRun(leasedAt, clock(), status, phaseContext), exportedEnvironmentVariables: [], reports: [], resolvedSourceVersion };
  };
  const stopped = (): CompletionBody => early('STOPPED', { statusCode: 'BUILD_STOPPED', message: 'Build was stopped' });

  system(`Build ${job.buildId} leased by this agent`);
  const sourceDir = path.join(dir, 'src');
  let source;
  try {
    source = await prepareSource(job, sourceDir, {
      signal,
      environment: context.hostEnvironment,
      log: system,
      downloadInput: (name) => context.client.downloadInput(job.buildId, name, { signal }),
    });
  } catch (error) {
    if (signal.aborted) return stopped();
    if (isLeaseExpired(error)) throw error;
    // An input that cannot be fetched or unpacked here ends the build with the reason; it would fail the same way on every lease.
    return early('FAULT', { statusCode: 'CLIENT_ERROR', message: `Could not prepare the source: ${error instanceof Error ? error.message : String(error)}` });
  }
  if (!source.ok) return early('FAILED', { statusCode: 'CLIENT_ERROR', message: source.message });
  const kind = context.executorKind ?? executorKindFor(job.image);
  // Shell builds run as the build user (finding 6): it reaches its own build directory only.
  const buildUser = kind === 'shell' ? context.runAs.buildUser : undefined;
  if (buildUser) {
    await chmod(dir, 0o711);
    await handOverSources(dir, buildUser);
  }

  let loaded;
  try {
    loaded = await loadJobBuildspec(sourceDir, job.buildspec);
  } catch (error) {
    if (!isNagareError(error)) throw error;
    const all = error instanceof SpecErrors ? error.errors : [error];
    for (const problem of all.slice(1)) system(problem.describe());
    return early('FAILED', { statusCode: 'YAML_FILE_ERROR', message: error.describe() }, source.resolvedSourceVersion);
  }
  const refusal = kind === 'shell' ? runAsRefusal(loaded.spec, context.runAs) : undefined;
  if (refusal) return early('FAILED', { statusCode: 'CLIENT_ERROR', message: refusal }, source.resolvedSourceVersion);
  const variables = await fetchJobVariables(context.client, job, loaded.spec);
  if (!variables.ok) return early('FAILED', { statusCode: 'CLIENT_ERROR', message: variables.message }, source.resolvedSourceVersion);
  if (signal.aborted) return stopped();

  let finalState: BuildPhaseState | undefined;
  const onPhaseChange = (state: BuildPhaseState): void => {
    finalState = state;
    const started = state.phases.some((p) => p.phaseType === 'INSTALL' || p.phaseType === 'PRE_BUILD' || p.phaseType === 'BUILD' || p.phaseType === 'POST_BUILD');
    heartbeat.update(agentPhases(state.phases, leasedAt), state.currentPhase, started);
    heartbeat.phaseChanged();
  };
  const identity: BuildIdentity = {
    buildId: job.buildId,
    buildNumber: job.buildNumber,
    projectName: job.projectName,
    region: job.region,
    accountId: job.accountId,
    initiator: job.initiator,
    image: job.image,
    sourceDir,
    startTime: job.startTime,
    sourceVersion: job.source.sourceVersion,
    resolvedSourceVersion: source.resolvedSourceVersion,
    sourceRepoUrl: source.repoUrl,
    secondarySources: source.secondarySources ?? {},
  };
  const artifactsDir = path.join(dir, 'artifacts');
  const record = await runBuild({
    identity,
    buildspec: loaded.spec,
    buildspecLocation: loaded.location,
    executor: createExecutor({
      kind,
      image: job.image,
      hostEnvironment: shellBuildEnvironment(context.hostEnvironment, context.credentials, buildUser),
      stateDir: dir,
      defaultUser: buildUser?.name,
    }),
    overrides: variables.overrides,
    secretValues: variables.secretValues,
    parameters: variables.source,
    artifactsDir,
    reportsDir: undefined,
    cacheRoot: job.cacheEnabled ? path.join(context.workDir, 'cache') : undefined,
    cacheStagingDir: path.join(dir, 'cache-staging'),
    timeoutInMinutes: job.timeoutInMinutes,
    log,
    clock,
    signal,
    ...(context.killGraceMs === undefined ? {} : { killGraceMs: context.killGraceMs }),
    logLimitBytes: context.logLimitBytes,
    onPhaseChange,
  });
  let phases = finalState ? agentPhases(finalState.phases, leasedAt) : [];
  let buildStatus = record.buildStatus;
  const failure = await uploadArtifacts(context, record, system);
  if (failure) {
    phases = phases.map((p) => (p.phaseType === 'UPLOAD_ARTIFACTS' ? { ...p, phaseStatus: 'FAILED' as const, contexts: [...p.contexts, failure] } : p));
    if (buildStatus === 'SUCCEEDED') buildStatus = 'FAILED';
  }
  return {
    buildStatus,
    phases,
    exportedEnvironmentVariables: record.exportedEnvironmentVariables,
    reports: record.reports,
    resolvedSourceVersion: source.resolvedSourceVersion,
  };
}

/** The runner writes zips to the build's artifacts directory; the server keeps them as blobs. */
async function uploadArtifacts(context: BuildJobContext, record: BuildRecord, system: (message: string) => void): Promise<PhaseContext | undefined> {
  const all = [...(record.artifacts ? [record.artifacts] : []), ...record.secondaryArtifacts];
  for (const artifact of all) {
    const name = path.basename(artifact.location);
    try {
      const stored = await context.client.uploadArtifact(context.job.buildId, name, artifact.artifactIdentifier, () => Readable.toWeb(createReadStream(artifact.location)));
      system(`Uploaded ${artifact.artifactIdentifier ? `secondary artifact ${artifact.artifactIdentifier}` : 'artifact'} ${name} (${stored.bytes} bytes)`);
    } catch (error) {
      if (isLeaseExpired(error)) throw error;
      const message = `Could not upload ${name}: ${error instanceof Error ? error.message : String(error)}`;
      system(message);
      return { statusCode: 'CLIENT_ERROR', message };
    }
  }
  return undefined;
}

/**
 * The runner's phases as the server takes them: it keeps its own SUBMITTED and QUEUED, and the
 * runner's PROVISIONING starts when the agent leased the build, not at StartBuild.
 */
function agentPhases(phases: readonly PhaseRecord[], leasedAt: number): PhaseRecord[] {
  return phases.map((p) => (p.phaseType === 'PROVISIONING' ? { ...p, startTime: Math.max(p.startTime, Math.min(leasedAt, p.endTime ?? leasedAt)) } : p));
}

/** Phases of a build that ended before the runner started: DOWNLOAD_SOURCE takes the status. */
function endedBeforeRun(leasedAt: number, now: number, status: StatusType, context: PhaseContext): PhaseRecord[] {
  return [
    { phaseType: 'PROVISIONING', phaseStatus: 'SUCCEEDED', startTime: leasedAt, endTime: now, contexts: [] },
    { phaseType: 'DOWNLOAD_SOURCE', phaseStatus: status, startTime: now, endTime: now, contexts: [context] },
    { phaseType: 'FINALIZING', phaseStatus: 'SUCCEEDED', startTime: now, endTime: now, contexts: [] },
    { phaseType: 'COMPLETED', phaseStatus: undefined, startTime: now, endTime: undefined, contexts: [] },
  ];
}
