/**
 * One shell session in a container, driven by the shared marker protocol: either a `docker exec`
 * of the shell with stdin attached, or the container's first shell, which its own process starts
 * (see CONTAINER_PROCESS in docker-executor.ts) and which is reached through the container's
 * attached standard streams, saving an exec (~90 ms). Termination runs a small POSIX sh script in
 * another exec that walks the container's /proc for the shell's session (Docker gives every exec
 * a session of its own; background jobs keep it after the shell is gone) and the descendants of
 * its processes. The first shell leads a session of its own where the image has `setsid`;
 * otherwise it shares the session of the container's init and the wrapper that started it,
 * which the script spares.
 */
import type { Duplex } from 'node:stream';
import { NagareError } from '../core/errors.js';
import type { ContainerRef } from './docker-engine.js';
import { execExitCode, FrameReader, runToCompletion, streamFinished } from './docker-streams.js';
import { ProtocolShellSession, ShellProtocol } from './shell-protocol.js';
import { within } from './within.js';

/**
 * `sh -c KILL_SESSION nagare-kill <session id> <grace in tenths of a second> [<wrapper pid>]`: with
 * a wrapper, the wrapper's session is killed too (a shell started without setsid shares it), but
 * neither the wrapper nor that session's leader (the container's init and the process that keeps
 * the container up); a wrapper that cannot be read leaves the shell's own session and descendants.
 */
const KILL_SESSION = `
root=$1; sid=$1; tenths=$2; wrapper=$3; spare=" "
if [ -n "$wrapper" ] && read -r line 2>/dev/null < "/proc/$wrapper/stat"; then
  set -- \${line##*) }
  sid=$4; spare=" $sid $wrapper "
fi
members() {
  tab=$(for d in /proc/[0-9]*; do
    read -r line < "$d/stat" 2>/dev/null || continue
    set -- \${line##*) }
    [ "$1" = Z ] || echo "\${d#/proc/} $2 $4"
  done)
  found=" "; more=1
  while [ "$more" = 1 ]; do
    more=0
    while read -r pid parent session; do
      case "$found$spare" in *" $pid "*) continue ;; esac
      if [ "$session" = "$sid" ] || [ "$session" = "$root" ] || [ "$pid" = "$sid" ] || [ "$pid" = "$root" ]; then found="$found$pid "; more=1; continue; fi
      case "$found" in *" $parent "*) found="$found$pid "; more=1 ;; esac
    done <<NAGARE_TABLE
$tab
NAGARE_TABLE
  done
  echo $found
}
nap() { sleep 0.1 2>/dev/null || sleep 1; }
pids=$(members); [ -z "$pids" ] && exit 0
kill -TERM $pids 2>/dev/null
i=0
while [ "$i" -lt "$tenths" ]; do
  pids=$(members); [ -z "$pids" ] && exit 0
  nap; i=$((i + 1))
done
i=0
while [ "$i" -lt 50 ]; do
  pids=$(members); [ -z "$pids" ] && exit 0
  kill -KILL $pids 2>/dev/null; nap; i=$((i + 1))
done
exit 1
`;

export interface DockerSessionOptions {
  readonly container: ContainerRef;
  readonly shell: string;
  readonly user: string | undefined;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly unset: readonly string[];
  readonly sessionDir: string;
}

/** The container's attached standard streams, read from the container's start on by the executor. */
export interface ContainerStreams {
  /** The container's standard input. */
  readonly input: Duplex;
  /** Sends the container's output from now on, payload by payload, to `onPayload`. */
  listen(onPayload: (payload: Buffer) => void): void;
  /** Resolves once the streams have ended (the container is gone). */
  readonly ended: Promise<void>;
}

/** How the session reaches its shell: an exec of its own, or the container's attached streams. */
type Transport =
  | { readonly kind: 'exec'; readonly execId: string; readonly stream: Duplex }
  | { readonly kind: 'container'; readonly streams: ContainerStreams };

export class DockerShellSession extends ProtocolShellSession {
  protected override readonly protocol: ShellProtocol;
  private readonly finished: Promise<void>;
  private readonly input: Duplex;
  private shellPid: number | undefined;
  private released = false;

  private constructor(private readonly container: ContainerRef, private readonly transport: Transport, options: DockerSessionOptions) {
    super();
    const input = transport.kind === 'exec' ? transport.stream : transport.streams.input;
    this.input = input;
    this.protocol = new ShellProtocol({
      write: (text) => { if (!input.destroyed && input.writable) input.write(text); },
      sessionDir: options.sessionDir,
      initialState: { env: options.env, cwd: options.cwd },
      unset: options.unset,
      applyInitialState: transport.kind === 'container',
    });
    if (transport.kind === 'exec') {
      const { stream, execId } = transport;
      const frames = new FrameReader((payload) => this.protocol.feed(payload));
      stream.on('data', (chunk: Buffer) => frames.feed(chunk));
      stream.on('error', () => { /* reported as the end of the stream below */ });
      this.finished = streamFinished(stream).then(async () => {
        const code = this.released ? null : await execExitCode(container.engine, execId).catch(() => null);
        this.protocol.shellEnded(code ?? 255);
      });
    } else {
      // The container's streams outlive its first shell (and carry what its orphans print after
      // it): only what comes while the shell lives is the session's.
      transport.streams.listen((payload) => { if (!this.protocol.exited) this.protocol.feed(payload); });
      void transport.streams.ended.then(() => this.protocol.shellEnded(255));
      this.finished = this.protocol.whenEnded();
      // The container's process reads one line, the shell to start and the marker prefix for the
      // line it prints once that shell has ended; then the shell reads the rest.
      input.write(`${options.shell} ${this.protocol.markerPrefix}\n`);
    }
    input.write(this.protocol.startupScript());
  }

  /** A session in a new `docker exec` of the shell. */
  static async open(options: DockerSessionOptions): Promise<DockerShellSession> {
    let session: DockerShellSession;
    try {
      const { engine, id } = options.container;
      const execId = await engine.createExec(id, {
        Cmd: [options.shell],
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        Env: Object.entries(options.env).map(([name, value]) => `${name}=${value}`),
        WorkingDir: options.cwd,
        ...(options.user === undefined ? {} : { User: options.user }),
      });
      const stream = await engine.startExec(execId);
      session = new DockerShellSession(options.container, { kind: 'exec', execId, stream }, options);
    } catch (error) {
      throw new NagareError('EXEC_DOCKER_UNAVAILABLE', `cannot start ${options.shell} in the container: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return session.ready();
  }

  /**
   * A session in the shell the container's own process starts, as the image's user, through the
   * container's attached standard streams. The startup script sets the environment and
   * directory; a name that is not `exportable` must have its value in the container already.
   */
  static adopt(options: DockerSessionOptions, streams: ContainerStreams): Promise<DockerShellSession> {
    return new DockerShellSession(options.container, { kind: 'container', streams }, options).ready();
  }

  private async ready(): Promise<this> {
    try {
      this.shellPid = await this.protocol.ready();
    } catch (error) {
      await this.terminate(0);
      throw error;
    }
    return this;
  }

  /** Whether a command runs in the shell. */
  get busy(): boolean {
    return this.protocol.busy;
  }

  /**
   * Lets go of a session with no command running whose container is about to end (the executor's
   * dispose): no kill exec, since every process of the session, background jobs included, ends
   * with the container. The container's own shell is asked to exit, so that its process can go on
   * to end.
   */
  release(): void {
    this.released = true;
    if (this.transport.kind === 'container') {
      if (this.protocol.idle && !this.input.destroyed && this.input.writable) this.input.write(this.protocol.exitScript());
    } else {
      this.input.destroy();
    }
    this.protocol.shellEnded(137);
  }

  protected override async kill(graceMs: number): Promise<void> {
    const shellPid = this.shellPid;
    if (shellPid !== undefined) {
      const tenths = String(Math.max(0, Math.ceil(graceMs / 100)));
      const wrapper = this.transport.kind === 'container' ? [String(this.protocol.shellParentPid ?? '')] : [];
      await runToCompletion(this.container, ['sh', '-c', KILL_SESSION, 'nagare-kill', String(shellPid), tenths, ...wrapper], '0').catch(() => undefined);
    }
    // The container's streams stay open: they hold the container up for the build's other shells.
    if (this.transport.kind === 'exec') this.input.destroy();
    await within(this.finished, 1000);
    this.protocol.shellEnded(137);
  }
}
