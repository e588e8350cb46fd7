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
import type { BuildPhaseState, PhaseContext, StatusType } from '../core/build-phases.js';
import { isNagareError, SpecErrors } from '../core/errors.js';
import type { BuildIdentity } from '../build/environment.js';
import { containerLine } from '../executors/command-log.js';
import { endedBeforeRun } from '../build/ended-before-run.js';
import { runBuild } from '../build/runner.js';
import type { UploadedArtifact } from '../build/upload.js';
import { resolveImage, type ImageMapping } from '../core/image-map.js';
import { createExecutor, DEFAULT_IMAGE, staticDockerClient } from '../executors/index.js';
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
  /** Which image a project's image runs in (core/image-map.ts); AWS curated images map to the default. */
  readonly imageMap: readonly ImageMapping[];
  /** The Docker engine's socket; /var/run/docker.sock when absent. */
  readonly dockerSocketPath?: string | undefined;
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

/** `privilegedMode` gives a build the Docker engine, which only a Docker build can be given. */
function privilegedRefusal(job: BuildJob): string | undefined {
  if (!job.privilegedMode) return undefined;
  return `privilegedMode: true gives the build a Docker engine, but this build runs on the host shell (image ${job.image}); set a Docker image such as nagare/base:latest for the project, on an agent with Docker`;
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
  const early = (status: 'FAILED' | 'FAULT' | 'STOPPED', phaseContext: PhaseContext, resolvedSourceVersion?: string): CompletionBody => {
    system(`${phaseContext.statusCode}: ${phaseContext.message}`);
    return { ...endedBeforeRun(leasedAt, clock(), status, phaseContext), exportedEnvironmentVariables: [], reports: [], resolvedSourceVersion };
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
  const refusal = kind === 'shell' ? runAsRefusal(loaded.spec, context.runAs) ?? privilegedRefusal(job) : undefined;
  if (refusal) return early('FAILED', { statusCode: 'CLIENT_ERROR', message: refusal }, source.resolvedSourceVersion);
  const variables = await fetchJobVariables(context.client, job, loaded.spec);
  if (!variables.ok) return early('FAILED', { statusCode: 'CLIENT_ERROR', message: variables.message }, source.resolvedSourceVersion);
  if (signal.aborted) return stopped();
  // The image map, then AWS's curated images (which exist only in AWS) to the default image.
  const image = kind === 'docker' ? resolveImage(job.image, context.imageMap, DEFAULT_IMAGE) : { image: job.image, reason: undefined };
  if (image.reason) system(image.reason);

  let finalState: BuildPhaseState | undefined;
  const onPhaseChange = (state: BuildPhaseState): void => {
    finalState = state;
    const started = state.phases.some((p) => p.phaseType === 'INSTALL' || p.phaseType === 'PRE_BUILD' || p.phaseType === 'BUILD' || p.phaseType === 'POST_BUILD');
    heartbeat.update(state.phases, state.currentPhase, started);
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
    traceParent: job.traceParent,
    batch: job.batch,
    // The server's record of the build (its log is under `/logs`), as the agent reaches the server.
    buildUrl: `${context.client.serverUrl.replace(/\/+$/, '')}/api/v1/builds/${encodeURIComponent(job.buildId)}`,
  };
  const artifactsDir = path.join(dir, 'artifacts');
  const record = await runBuild({
    identity,
    buildspec: loaded.spec,
    buildspecLocation: loaded.location,
    executor: createExecutor({
      kind,
      image: image.image,
      pull: { onProgress: system, auth: variables.registryAuth },
      ...(job.privilegedMode ? { privileged: { dockerClient: await staticDockerClient(context.hostEnvironment.PATH) } } : {}),
      ...(context.dockerSocketPath === undefined ? {} : { socketPath: context.dockerSocketPath }),
      hostEnvironment: shellBuildEnvironment(context.hostEnvironment, context.credentials, buildUser),
      stateDir: dir,
      defaultUser: buildUser?.name,
    }),
    overrides: variables.overrides,
    secretValues: variables.secretValues,
    parameters: variables.source,
    artifactsDir,
    artifactSink: (artifact) => uploadArtifact(context, artifact),
    reportsDir: undefined,
    cacheRoot: job.cacheEnabled ? path.join(context.workDir, 'cache') : undefined,
    cacheStagingDir: path.join(dir, 'cache-staging'),
    timeoutInMinutes: job.timeoutInMinutes,
    provisioningStartsAt: leasedAt,
    log,
    clock,
    signal,
    ...(context.killGraceMs === undefined ? {} : { killGraceMs: context.killGraceMs }),
    logLimitBytes: context.logLimitBytes,
    onPhaseChange,
  });
  return {
    buildStatus: record.buildStatus,
    phases: finalState?.phases ?? [],
    exportedEnvironmentVariables: record.exportedEnvironmentVariables,
    reports: record.reports,
    resolvedSourceVersion: source.resolvedSourceVersion,
  };
}

/** The runner's artifact sink: each zip it writes becomes a blob of the server's. */
async function uploadArtifact(context: BuildJobContext, artifact: UploadedArtifact): Promise<string> {
  const name = path.basename(artifact.location);
  const stored = await context.client.uploadArtifact(context.job.buildId, name, artifact.artifactIdentifier, () => Readable.toWeb(createReadStream(artifact.location)));
  return `Uploaded ${artifact.artifactIdentifier ? `secondary artifact ${artifact.artifactIdentifier}` : 'artifact'} ${name} (${stored.bytes} bytes)`;
}
