/**
 * The Docker executor: one container per build, started from the project's image with the build's
 * directories bind-mounted at the same paths, under Docker's init (which reaps orphans), kept up
 * by its own process (CONTAINER_PROCESS) while the standard input this process holds attached
 * stays open. That process starts the build's first shell when asked, through the same streams;
 * every other shell session is a `docker exec` of the shell with stdin attached. All speak the
 * marker protocol of the host shell (shell-protocol.ts) through a session directory that is
 * itself bind-mounted. Docker starts every exec in a session of its own, so an exec's shell pid
 * is the session id `terminate` kills inside the container.
 */
import { access, chmod, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { NagareError } from '../core/errors.js';
import type { Executor, ShellOptions, ShellSession } from '../core/executor.js';
import { DockerEngine, DockerEngineError, isImageReference, type ContainerRef, type ImageInspect } from './docker-engine.js';
import { pullImage, type PullOptions } from './docker-images.js';
import { DockerShellSession, type ContainerStreams } from './docker-session.js';
import { exportable } from './shell-protocol.js';
import { FrameReader, runToCompletion, streamFinished } from './docker-streams.js';

export interface DockerExecutorOptions {
  readonly image: string;
  /** The engine's socket; /var/run/docker.sock when absent. */
  readonly socketPath?: string;
  /** Where session directories go (bind-mounted into the container); the OS temporary directory when absent. */
  readonly stateDir?: string;
  /** Pull the image from its registry when the engine lacks it; absent: a missing image is an error. */
  readonly pull?: PullOptions;
  /**
   * CodeBuild's `privilegedMode: true`: the build gets this engine through its socket, mounted at
   * /var/run/docker.sock, and the host's static `docker` client at /usr/local/bin/docker when one
   * is given (busybox images have none). The build can then do what the engine can: it is given
   * only to projects that ask for it.
   */
  readonly privileged?: { readonly dockerClient: string | undefined };
}

/** Grace period `dispose` gives processes between SIGTERM and SIGKILL before removing the container. */
export const DISPOSE_GRACE_MS = 2000;

/** The container's process's name (`$0`), by which this host tells its init in /proc. */
const CONTAINER_PROCESS_NAME = 'nagare-container';

/**
 * The container's own process (`sh -c`, under Docker's init): it reads one line, `<shell>
 * <marker prefix>`, starts that shell on the rest of its standard input (the build's first
 * session, saving the ~90 ms of an exec), prints `<prefix>:E:<status>` once the shell has ended,
 * and then holds the container up with `cat` until the standard input closes (dispose, or this
 * process's death). A build that never asks for the first shell closes the input during `read`.
 * The shell leads a session and process group of its own, as an exec's does, where the image
 * has `setsid` (util-linux, busybox: the wrapper's child leads no group, so it does not fork).
 * Without it the shell shares the wrapper's group, so the wrapper catches the signals a build
 * sends its group (`kill 0`, `trap 'kill 0' EXIT`: the shell gets them with their default
 * action, caught dispositions being reset by exec), ignores them once the shell is gone, and
 * ends with the container on those it cannot catch (`kill -9 0`). A shell the image lacks is reported on
 * the output, in order with the end marker; the wrapper's own messages (a job's "Terminated")
 * go nowhere. The shell counts its SHLVL from 1.
 */
const CONTAINER_PROCESS = `exec 2>/dev/null
trap : HUP INT QUIT TERM USR1 USR2 ALRM
unset SHLVL
read -r shell prefix || exit 0
if ! [ -x "$shell" ]; then echo "$shell: not found in the image"; status=127
elif command -v setsid >/dev/null; then setsid "$shell"; status=$?
else "$shell"; status=$?; fi
printf '%s:E:%s\\n' "$prefix" "$status"
trap '' HUP INT QUIT TERM USR1 USR2 ALRM
exec cat >/dev/null`;

interface Started {
  /** Undefined until created. */
  readonly container: ContainerRef | undefined;
  /**
   * The container's attached standard streams, read from the start (its output never blocks):
   * the container lives while their input is open, and its first shell speaks through them.
   */
  readonly streams: ContainerStreams | undefined;
  /** Started: from then on the engine removes it when its process ends (AutoRemove). */
  readonly running: boolean;
  readonly stateRoot: string;
  /** Variables the container adds to every exec; unset in sessions whose env lacks them. */
  readonly implicitNames: readonly string[];
  readonly imageEnv: Readonly<Record<string, string>>;
  /** The host pid of the container's init, once started. */
  readonly initPid?: Promise<number | undefined>;
}

export class DockerExecutor implements Executor {
  readonly kind = 'docker';
  readonly description: string;
  private readonly socketPath: string;
  private started: Started | undefined;
  private readonly sessions = new Set<DockerShellSession>();
  private disposing: Promise<void> | undefined;
  /** Whether the container's process has been asked for its shell (at most once). */
  private firstShellTaken = false;

  constructor(private readonly options: DockerExecutorOptions) {
    this.description = `image ${options.image}`;
    this.socketPath = options.socketPath ?? '/var/run/docker.sock';
  }

  async start(mounts: readonly string[]): Promise<void> {
    if (this.started) throw new NagareError('EXEC_SPAWN_FAILED', 'the Docker executor was already started');
    if (!isImageReference(this.options.image)) {
      throw new NagareError('EXEC_IMAGE_NOT_FOUND', `${JSON.stringify(this.options.image)} is not a valid image reference: [registry[:port]/]name[:tag][@digest], lower-case path components`, { details: { image: this.options.image } });
    }
    const docker = new DockerEngine(this.socketPath);
    // The image inspect is the first call (no separate ping: an engine that does not answer fails
    // it too) and its answer serves the whole run: the container's Env is the image's.
    const [image, stateRoot] = await Promise.all([this.inspectImage(docker), makeStateRoot(this.options.stateDir)]);
    const binds = [...new Set([...mounts, stateRoot])].map((dir) => `${dir}:${dir}`);
    if (this.options.privileged) {
      binds.push(`${this.socketPath}:/var/run/docker.sock`);
      if (this.options.privileged.dockerClient) binds.push(`${this.options.privileged.dockerClient}:/usr/local/bin/docker:ro`);
    }
    const imageEnv = parseEnv(image.Config?.Env ?? []);
    this.started = { container: undefined, streams: undefined, running: false, stateRoot, implicitNames: [...Object.keys(imageEnv), 'HOSTNAME', 'HOME'], imageEnv };
    try {
      // The container's process holds it up while its standard input, attached here, stays
      // open: when this process closes it (dispose) or dies, the container ends and the engine
      // removes it itself (AutoRemove), after the build's result has been reported. As `docker
      // run` does, the attach is made between create and start. Its output is the first shell's,
      // read through the attach only: no log driver keeps a copy.
      const container: ContainerRef = { engine: docker, id: await docker.createContainer({
        Image: this.options.image,
        Entrypoint: ['/bin/sh', '-c', CONTAINER_PROCESS, CONTAINER_PROCESS_NAME],
        Cmd: [],
        OpenStdin: true,
        StdinOnce: true,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Labels: { 'nagare.executor': 'docker' },
        HostConfig: { Binds: binds, Init: true, AutoRemove: true, LogConfig: { Type: 'none', Config: {} } },
      }) };
      this.started = { ...this.started, container };
      const lifeline = await docker.attach(container.id);
      lifeline.on('error', () => { /* the container ends with it; sessions report their own end */ });
      this.started = { ...this.started, streams: containerStreams(lifeline) };
      await docker.start(container.id);
      // Asked now, answered while the build runs: dispose watches this process end (see there).
      const initPid = docker.containerPid(container.id).catch(() => undefined);
      this.started = { ...this.started, running: true, initPid };
    } catch (error) {
      await this.dispose();
      throw new NagareError('EXEC_DOCKER_UNAVAILABLE', `cannot start a container from ${this.options.image}: ${describe(error)}`, { cause: error });
    }
  }

  private async inspectImage(docker: DockerEngine): Promise<ImageInspect> {
    const inspect = (): Promise<ImageInspect> => docker.inspectImage(this.options.image);
    const pull = this.options.pull;
    return inspect().catch(async (error: unknown) => {
      const status = statusCode(error);
      if (status === 404 && pull) {
        // Missing here: pulled from its registry (progress in the build log), then inspected again.
        await pullImage(docker, this.options.image, pull);
        return inspect();
      }
      if (status === 404) {
        throw new NagareError('EXEC_IMAGE_NOT_FOUND', `image ${this.options.image} is not in the local Docker engine and no registry is used: build nagare/base:latest with scripts/build-base-image.sh, or import one with docker load / docker import`, { details: { image: this.options.image }, cause: error });
      }
      if (status === undefined) {
        throw new NagareError('EXEC_DOCKER_UNAVAILABLE', `no Docker engine answers at ${this.socketPath} (${describe(error)}); start dockerd or use --executor shell`, { cause: error });
      }
      throw new NagareError('EXEC_DOCKER_UNAVAILABLE', `cannot inspect image ${this.options.image}: ${describe(error)}`, { cause: error });
    });
  }

  baseEnvironment(): Promise<Readonly<Record<string, string>>> {
    return Promise.resolve({ ...this.requireStarted().imageEnv });
  }

  async openShell(options: ShellOptions): Promise<ShellSession> {
    const started = this.requireStarted();
    const shell = resolveShell(options.shell);
    // The container's own process starts the first shell that runs as the image's user and
    // whose environment a shell can take through `export`, but for variables it already has as
    // the image sets them (an image's LD_LIBRARY_PATH); any other is an exec. Decided before
    // any wait, so that two shells opened at once cannot both take it.
    const { streams } = started;
    const adopt = !this.firstShellTaken && !streams.input.destroyed && streams.input.writable &&
      options.user === undefined && !/\s/.test(shell) && Object.entries(options.env).every(([name, value]) => exportable(name) || started.imageEnv[name] === value);
    if (adopt) this.firstShellTaken = true;
    const identity = options.user === undefined ? undefined : await this.lookUpUser(started.container, options.user);
    const sessionDir = await mkdtemp(join(started.stateRoot, 'session-'));
    if (identity) await chown(sessionDir, identity.uid, identity.gid);
    const sessionOptions = {
      container: started.container,
      shell,
      user: options.user,
      cwd: options.cwd,
      env: options.env,
      unset: started.implicitNames.filter((name) => !(name in options.env)),
      sessionDir,
    };
    const session = await (adopt ? DockerShellSession.adopt(sessionOptions, streams) : DockerShellSession.open(sessionOptions));
    this.sessions.add(session);
    return session;
  }

  dispose(graceMs = DISPOSE_GRACE_MS): Promise<void> {
    this.disposing ??= this.removeEverything(graceMs);
    return this.disposing;
  }

  private async removeEverything(graceMs: number): Promise<void> {
    const sessions = [...this.sessions];
    this.sessions.clear();
    const ending = this.started?.running === true && this.started.streams !== undefined;
    // A session with no command running (a build's end) needs no kill exec when the container
    // ends next: its processes, background jobs included, end with it. A session still running a
    // command is terminated first, with its grace period.
    await Promise.all(sessions.map(async (session) => {
      if (ending && !session.busy) session.release();
      else await session.terminate(graceMs).catch(() => undefined);
    }));
    if (!this.started) return;
    const { container, streams, running, stateRoot } = this.started;
    // Closing the container's standard input ends it; the engine then removes it (AutoRemove).
    // Its end is awaited, so that nothing the build started outlives dispose: its init is gone
    // only once every process of the container is (the kernel ends the pid namespace with it),
    // which this host sees ~150 ms before the engine has done its bookkeeping. An init this
    // process cannot see (nagare in a container of its own) is waited for through the engine.
    const initPid = ending ? await this.started.initPid : undefined;
    const watched = initPid !== undefined && (await seesInit(initPid));
    const ended = (timeoutMs: number): Promise<boolean> => {
      if (watched) return processGone(initPid, timeoutMs);
      return container ? container.engine.waitStopped(container.id, timeoutMs).then(() => true, () => false) : Promise.resolve(true);
    };
    const stopping = ending && container ? ended(1000) : undefined;
    streams?.input.end();
    streams?.input.destroy();
    if (stopping && container && !(await stopping)) {
      // The container's process did not end with its input: the build kept its first shell from
      // exiting (an alias or function named exit or trap). The engine kills the container.
      await container.engine.kill(container.id).catch(() => undefined);
      await ended(10_000);
    }
    if (container && !running) {
      // Created but never started: AutoRemove does not apply, so remove it here.
      await container.engine.remove(container.id).catch((error: unknown) => {
        if (statusCode(error) !== 404) throw new NagareError('EXEC_DOCKER_UNAVAILABLE', `cannot remove container: ${describe(error)}`, { cause: error });
      });
    }
    await rm(stateRoot, { recursive: true, force: true });
  }

  private requireStarted(): Started & { readonly container: ContainerRef; readonly streams: ContainerStreams } {
    const started = this.started;
    if (started?.container && started.streams && started.running && !this.disposing) return { ...started, container: started.container, streams: started.streams };
    throw new NagareError('EXEC_SPAWN_FAILED', 'the Docker executor is not started (call start first) or was disposed');
  }

  private async lookUpUser(container: ContainerRef, user: string): Promise<{ uid: number; gid: number }> {
    const uid = await runToCompletion(container, ['id', '-u', user], '0');
    const gid = await runToCompletion(container, ['id', '-g', user], '0');
    if (uid.exitCode !== 0 || gid.exitCode !== 0) {
      throw new NagareError('EXEC_USER_UNKNOWN', `user ${JSON.stringify(user)} does not exist in image ${this.options.image}`, { details: { user, image: this.options.image } });
    }
    return { uid: Number(uid.output.trim()), gid: Number(gid.output.trim()) };
  }
}

async function processVisible(pid: number): Promise<boolean> {
  return access(`/proc/${pid}`).then(() => true, () => false);
}

/**
 * Whether this process sees the container's init as `pid` (`docker-init -- /bin/sh -c …
 * nagare-container`): in another pid namespace the number may be an unrelated process, which
 * would be waited for in vain.
 */
async function seesInit(pid: number): Promise<boolean> {
  const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return command.includes('\0--\0/bin/sh\0-c\0') && command.endsWith(`\0${CONTAINER_PROCESS_NAME}\0`);
}

/** Polls until `/proc/<pid>` is gone (at most `timeoutMs`), every 2 ms: a container ends in tens of ms. Whether it went. */
async function processGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await processVisible(pid))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** The container's streams as its first shell reads them: demultiplexed from the start, ended once. */
function containerStreams(lifeline: Duplex): ContainerStreams {
  let onPayload: ((payload: Buffer) => void) | undefined;
  const frames = new FrameReader((payload) => onPayload?.(payload));
  lifeline.on('data', (chunk: Buffer) => frames.feed(chunk));
  return { input: lifeline, listen: (listener) => { onPayload = listener; }, ended: streamFinished(lifeline) };
}

async function makeStateRoot(stateDir: string | undefined): Promise<string> {
  const stateRoot = await mkdtemp(join(stateDir ?? tmpdir(), 'nagare-docker-'));
  await chmod(stateRoot, 0o711); // session directories inside belong to the run-as user
  return stateRoot;
}

function resolveShell(shell: string): string {
  if (shell === 'sh') return '/bin/sh';
  if (shell === 'bash') return '/bin/bash';
  if (shell.startsWith('/')) return shell;
  throw new NagareError('EXEC_SPAWN_FAILED', `unsupported shell ${JSON.stringify(shell)}: use sh, bash or an absolute path`);
}

function parseEnv(entries: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return env;
}

function statusCode(error: unknown): number | undefined {
  return error instanceof DockerEngineError ? error.statusCode : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
