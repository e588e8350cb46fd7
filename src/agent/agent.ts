/**
 * The agent: registers once (with its fleet and labels, and with `instanceName` as the on-premises
 * instance it serves), then leases jobs from the server (long poll) and runs them one at a time,
 * dispatching by the job's kind — builds, and deployments to this instance — until stopped.
 * Agents only dial out; a server restart is ridden out by retrying.
 *
 * `stop()` is graceful: no new lease is taken, a running build is stopped (reported STOPPED) and
 * its log and result are sent, a running deployment's hook is stopped and its events reported,
 * then the loop ends. Nothing here exits the process.
 */
import type { BuildJob } from '../core/build-job.js';
import type { StatusType } from '../core/build-phases.js';
import { mkdir, lstat } from 'node:fs/promises';
import { NagareError } from '../core/errors.js';
import { DOCKER_LABEL, normaliseLabels } from '../core/job-routing.js';
import { AgentApiError, AgentClient, type Lease, type RetryPolicy } from '../client/agent-client.js';
import { dockerAnswers } from '../executors/index.js';
import type { RegisterBody } from '../protocol/agent-protocol.js';
import type { DeployJobPayload } from '../protocol/deploy-job.js';
import { MAX_BUNDLE_BYTES } from '../deploy/bundle.js';
import { shellBuildEnvironment } from './build-environment.js';
import { reportDeployFault, reportInterruptedEvents, runDeployJob } from './run-deploy-job.js';
import { jobFields, silentLogger, type AgentLogger } from './agent-logger.js';
import { reportJobFault } from './job-fault.js';
import { DEFAULT_BUILD_USER, ensureBuildUser, type RunAsPolicy } from './build-user.js';
import type { ImageMapping } from '../core/image-map.js';
import { runBuildJob } from './run-build-job.js';
import { claimWorkDir } from './work-dir.js';

export interface AgentOptions {
  readonly serverUrl: string;
  /** A registration token (or an API token). */
  readonly token: string;
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The fleet to join (`--fleet`): the agent then runs only that fleet's builds. */
  readonly fleet?: string | undefined;
  /** Labels to advertise besides `docker`, which is added when a Docker engine answers at start (not with the shell executor). */
  readonly labels?: readonly string[] | undefined;
  /** Where the Docker engine is asked (tests); /var/run/docker.sock by default. */
  readonly dockerSocketPath?: string | undefined;
  /** Builds get fresh directories here; the local cache lives here too. */
  readonly workDir: string;
  /** Forces an executor; by default `shell` for the images `shell` and `nagare/shell`, Docker otherwise. */
  readonly executorKind?: 'shell' | 'docker' | undefined;
  /** The agent's own environment (git runs with it; shell builds get it without nagare's variables and credentials). */
  readonly hostEnvironment: Readonly<Record<string, string>>;
  /** When the agent runs as root, shell builds run as this user, created if missing (default `nagare-build`). */
  readonly buildUser?: string | undefined;
  /** Users a buildspec's `run-as` may name besides the build user. */
  readonly allowRunAs?: readonly string[] | undefined;
  /** Lets a buildspec say `run-as: root` (and `--build-user root`). */
  readonly allowRootBuilds?: boolean | undefined;
  /** `--image-map` rules: which image a project's image runs in (core/image-map.ts). */
  readonly imageMap?: readonly ImageMapping[] | undefined;
  /** Long-poll wait per lease call, at most 60 (default 20). */
  readonly pollSeconds?: number | undefined;
  readonly heartbeatMs?: number | undefined;
  readonly killGraceMs?: number | undefined;
  /** Bytes of log kept per build (finding 11); default 256 MiB. */
  readonly logLimitBytes?: number | undefined;
  readonly retry?: Partial<RetryPolicy> | undefined;
  /** The client's fetch (tests watch or alter the protocol's calls); the global one by default. */
  readonly fetch?: typeof fetch | undefined;
  readonly logger?: AgentLogger | undefined;
  /** Called after each build the agent reported (tests, metrics). */
  readonly onBuildFinished?: ((buildId: string, status: StatusType | undefined) => void) | undefined;
  /** `--instance-name`: the agent serves this on-premises instance and runs its deploy jobs. */
  readonly instance?: InstanceOptions | undefined;
  /** false (`--no-builds`): the agent runs no builds, only its instance's deployments. Default true. */
  readonly runBuilds?: boolean | undefined;
}

/** What an agent serving an on-premises instance needs (issue 10). */
export interface InstanceOptions {
  readonly instanceName: string;
  /** The instance's tags, which deployment groups select it by (at most 10). */
  readonly tags: readonly { readonly Key: string; readonly Value: string }[];
  /** Revisions, install records and hook logs, in the CodeDeploy agent's layout. */
  readonly deploymentRoot: string;
  /** A bundle larger than this fails DownloadBundle (default 4 GiB, as `nagare deploy local` takes). */
  readonly maxBundleBytes?: number | undefined;
}

export interface RunningAgent {
  readonly agentId: string;
  /** The labels it advertised, `docker` included when detected. */
  readonly labels: readonly string[];
  /** Who builds run as, in words, for start-up lines: "shell builds run as user nagare-build (uid 999)". */
  readonly buildsRunAs: string;
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
    ...(options.fetch ? { fetch: options.fetch } : {}),
    onRetry: (what, error, delayMs) => logger.warn(`${what} failed (${error.message}); retrying in ${Math.round(delayMs)} ms`),
    onFailover: (from, to, error) => logger.warn(`${from} stopped answering (${error.message}); moving to ${to}`),
  });
  const runBuilds = options.runBuilds ?? true;
  if (!runBuilds && !options.instance) throw new NagareError('CONFIG_INVALID', 'An agent that runs no builds (--no-builds) must serve an instance: give --instance-name');
  const policy: RunAsPolicy = runBuilds ? await runAsPolicy(options, logger) : { buildUser: undefined, allowRunAs: [], allowRootBuilds: false };
  const buildsRunAs = runBuilds ? describeBuilds(options.executorKind, policy) : 'this agent runs no builds (--no-builds)';
  if (options.instance) await claimDeploymentRoot(options.instance.deploymentRoot);
  const workDir = runBuilds ? await claimWorkDir(options.workDir, options.executorKind === 'docker' ? undefined : policy.buildUser, logger) : { release: () => Promise.resolve() };
  const registration: RegisterBody = {
    name: options.name,
    tags: options.tags,
    fleet: options.fleet,
    labels: await advertisedLabels(options),
    kinds: options.instance ? (runBuilds ? ['build', 'deploy'] : ['deploy']) : ['build'],
    imageMap: (options.imageMap ?? []).map((m) => `${m.pattern}=${m.image}`),
    ...(options.instance ? { instanceName: options.instance.instanceName, instanceTags: options.instance.tags } : {}),
  };
  let agentId: string;
  try {
    ({ agentId } = await client.register(options.token, registration));
    // Before any lease: the event a killed predecessor on this instance was running is reported
    // Failed, so that its deployment goes on by its rules and nothing of it runs twice.
    if (options.instance) await reportInterruptedEvents(client, options.instance.deploymentRoot, options.instance.instanceName, logger, stopping.signal);
  } catch (error) {
    await workDir.release();
    throw error;
  }
  const where = options.fleet === undefined ? '' : ` in fleet ${options.fleet}`;
  const serves = options.instance ? `, serving instance ${options.instance.instanceName} (deployment root ${options.instance.deploymentRoot})` : '';
  logger.info(`registered with ${client.serverUrl} as ${agentId} (${options.name})${where}${serves}, labels ${registration.labels?.join(',') || 'none'}; ${buildsRunAs}`);

  const loop = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      let lease;
      try {
        lease = await client.lease(Math.min(options.pollSeconds ?? 20, 60), { signal: stopping.signal });
      } catch (error) {
        if (stopping.signal.aborted) return;
        if (error instanceof AgentApiError && error.code === 'AUTH_INVALID_TOKEN') {
          // The server forgot this agent's session (a new data directory): register again.
          ({ agentId } = await client.register(options.token, registration));
          logger.warn(`session refused; registered again as ${agentId}`);
          continue;
        }
        throw error;
      }
      if (!lease) continue;
      await runJob(lease);
    }
  };

  /** One handler per job kind; the switch is exhaustive, so a new kind does not compile until it has one. */
  const runJob = async ({ job, stopRequested }: Lease): Promise<void> => {
    switch (job.kind) {
      case 'build':
        return runBuild(job.id, job.build, stopRequested);
      case 'deploy':
        return runDeploy(job.id, job.deploy);
      default: {
        const unknown: never = job;
        throw new NagareError('AGENT_PROTOCOL_MISMATCH', `This agent cannot run ${String((unknown as { kind?: unknown }).kind)} jobs`);
      }
    }
  };

  const runBuild = async (jobId: string, build: BuildJob, stopRequested: boolean | undefined): Promise<void> => {
    // Every line about this build carries its id and trace id (the same as the server's lines about it).
    const jobLogger = logger.child(jobFields(jobId, build));
    jobLogger.info(`leased ${jobId}`);
    try {
      const outcome = await runBuildJob({
        client,
        job: build,
        workDir: options.workDir,
        executorKind: options.executorKind,
        hostEnvironment: options.hostEnvironment,
        runAs: policy,
        imageMap: options.imageMap ?? [],
        dockerSocketPath: options.dockerSocketPath,
        credentials: [options.token],
        heartbeatMs: options.heartbeatMs ?? 2000,
        leaseAnswer: stopRequested === undefined ? undefined : { stopRequested },
        killGraceMs: options.killGraceMs,
        logLimitBytes: options.logLimitBytes,
        logger: jobLogger,
        signal: stopping.signal,
      });
      options.onBuildFinished?.(jobId, outcome.buildStatus);
    } catch (error) {
      // nagare's own failure on this host: reported at once, so the build ends FAULT with the reason.
      jobLogger.error(`build ${jobId} could not be run: ${error instanceof Error ? error.message : String(error)}`);
      const reported = await reportJobFault(client, build, options.name, error, jobLogger, stopping.signal);
      options.onBuildFinished?.(jobId, reported ? 'FAULT' : undefined);
    }
  };
  /** One deployment on this instance; an error of nagare's own is reported at once as the instance's failure. */
  const runDeploy = async (jobId: string, deploy: DeployJobPayload): Promise<void> => {
    const instance = options.instance;
    // The server targets deploy jobs at agents registered with an instance name only.
    if (!instance) throw new NagareError('AGENT_PROTOCOL_MISMATCH', `This agent serves no instance, so it cannot run deploy job ${jobId}`);
    const jobLogger = logger.child(jobFields(jobId, deploy));
    jobLogger.info(`leased ${jobId}: deployment ${deploy.deploymentId} of ${deploy.applicationName}/${deploy.deploymentGroupName}`);
    try {
      await runDeployJob({
        client,
        jobId,
        job: deploy,
        deploymentRoot: instance.deploymentRoot,
        hookEnvironment: shellBuildEnvironment(options.hostEnvironment, [options.token], undefined),
        heartbeatMs: options.heartbeatMs ?? 2000,
        maxBundleBytes: instance.maxBundleBytes ?? MAX_BUNDLE_BYTES,
        logger: jobLogger,
        signal: stopping.signal,
      });
    } catch (error) {
      jobLogger.error(`deploy job ${jobId} could not be run: ${error instanceof Error ? error.message : String(error)}`);
      await reportDeployFault(client, jobId, deploy, options.name, error, jobLogger);
    }
  };
  const done = loop().finally(() => workDir.release()).catch((error: unknown) => {
    logger.error(`agent stopped: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  });
  // Surfaced through `done`; a caller that never awaits it must not crash the process.
  done.catch(() => undefined);

  return {
    get agentId() {
      return agentId;
    },
    labels: registration.labels ?? [],
    buildsRunAs,
    done,
    async stop() {
      stopping.abort(new Error('agent stopping'));
      await done.catch(() => undefined);
    },
  };
}

/**
 * The deployment root must be the agent's own directory (not a link, owned by its user): hooks
 * run from it and Install records what to delete there.
 */
async function claimDeploymentRoot(root: string): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o755 });
  const info = await lstat(root);
  if (!info.isDirectory() || info.uid !== process.getuid?.()) {
    throw new NagareError('CONFIG_INVALID', `the deployment root ${root} is ${info.isDirectory() ? `owned by uid ${info.uid}` : 'not a directory'}; give the agent a directory of its own (--deployment-root)`);
  }
}

/** The given labels, plus `docker` when the engine answers and builds may use it (not with `--executor shell`). */
async function advertisedLabels(options: AgentOptions): Promise<string[]> {
  const given = normaliseLabels(options.labels ?? []).filter((label) => label !== DOCKER_LABEL);
  const docker = options.executorKind !== 'shell' && (await dockerAnswers(options.dockerSocketPath));
  return normaliseLabels(docker ? [...given, DOCKER_LABEL] : given);
}

/** Root agents run shell builds as the build user; `--build-user root` needs --allow-root-builds. */
async function runAsPolicy(options: AgentOptions, logger: AgentLogger): Promise<RunAsPolicy> {
  const base = { allowRunAs: options.allowRunAs ?? [], allowRootBuilds: options.allowRootBuilds ?? false };
  const name = options.buildUser ?? DEFAULT_BUILD_USER;
  if (process.getuid?.() !== 0 || options.executorKind === 'docker') return { ...base, buildUser: undefined };
  if (name === 'root' || name === '0') {
    if (!base.allowRootBuilds) throw new NagareError('CONFIG_INVALID', '--build-user root runs pushed code as root on this host: add --allow-root-builds if that is really meant');
    return { ...base, buildUser: undefined };
  }
  return { ...base, buildUser: await ensureBuildUser(name, options.hostEnvironment, (line) => logger.info(line)) };
}

function describeBuilds(executorKind: 'shell' | 'docker' | undefined, policy: RunAsPolicy): string {
  const uid = process.getuid?.();
  const shell = policy.buildUser
    ? `shell builds run as user ${policy.buildUser.name} (uid ${policy.buildUser.uid})`
    : uid === 0
      ? 'shell builds run as root (--allow-root-builds): they can read the data directory and everything else on this host'
      : `shell builds run as this agent's own user (uid ${uid ?? '?'}): the shell executor then isolates only the environment; run the agent as root for a separate build user, or use Docker`;
  if (executorKind === 'docker') return 'builds run with the Docker executor (as the image\'s user)';
  if (executorKind === 'shell') return shell;
  return `${shell}; builds with another image run with the Docker executor`;
}
