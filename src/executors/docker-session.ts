/**
 * One shell session in a container: a `docker exec` of the shell with stdin attached, driven by
 * the shared marker protocol. Termination runs a small POSIX sh script in another exec that walks
 * the container's /proc for the shell's session (Docker gives every exec a session of its own;
 * background jobs keep it after the shell is gone) and the descendants of its processes.
 */
import type { Duplex } from 'node:stream';
import { NagareError } from '../core/errors.js';
import type { ContainerRef } from './docker-engine.js';
import { execExitCode, FrameReader, runToCompletion, streamFinished } from './docker-streams.js';
import { ProtocolShellSession, ShellProtocol } from './shell-protocol.js';
import { within } from './within.js';

/** `sh -c KILL_SESSION nagare-kill <session id> <grace in tenths of a second>` */
const KILL_SESSION = `
sid=$1; tenths=$2
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
      case "$found" in *" $pid "*) continue ;; esac
      if [ "$session" = "$sid" ] || [ "$pid" = "$sid" ]; then found="$found$pid "; more=1; continue; fi
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

export class DockerShellSession extends ProtocolShellSession {
  protected override readonly protocol: ShellProtocol;
  private readonly finished: Promise<void>;
  private shellPid: number | undefined;
  private released = false;

  private constructor(private readonly container: ContainerRef, execId: string, private readonly stream: Duplex, options: DockerSessionOptions) {
    super();
    this.protocol = new ShellProtocol({
      write: (text) => { if (!stream.destroyed && stream.writable) stream.write(text); },
      sessionDir: options.sessionDir,
      initialState: { env: options.env, cwd: options.cwd },
      unset: options.unset,
    });
    const frames = new FrameReader((payload) => this.protocol.feed(payload));
    stream.on('data', (chunk: Buffer) => frames.feed(chunk));
    stream.on('error', () => { /* reported as the end of the stream below */ });
    this.finished = streamFinished(stream).then(async () => {
      const code = this.released ? null : await execExitCode(container.engine, execId).catch(() => null);
      this.protocol.shellEnded(code ?? 255);
    });
    stream.write(this.protocol.startupScript());
  }

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
      session = new DockerShellSession(options.container, execId, stream, options);
    } catch (error) {
      throw new NagareError('EXEC_DOCKER_UNAVAILABLE', `cannot start ${options.shell} in the container: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    try {
      session.shellPid = await session.protocol.ready();
    } catch (error) {
      await session.terminate(0);
      throw error;
    }
    return session;
  }

  /** Whether the shell waits for a command (none runs) and has not ended. */
  get idle(): boolean {
    return this.protocol.idle;
  }

  /**
   * Lets go of an idle session whose container is about to end (the executor's dispose): no kill
   * exec, since every process of the session, background jobs included, ends with the container.
   */
  release(): void {
    this.released = true;
    this.stream.destroy();
    this.protocol.shellEnded(137);
  }

  protected override async kill(graceMs: number): Promise<void> {
    if (this.shellPid !== undefined) {
      const tenths = String(Math.max(0, Math.ceil(graceMs / 100)));
      await runToCompletion(this.container, ['sh', '-c', KILL_SESSION, 'nagare-kill', String(this.shellPid), tenths], '0').catch(() => undefined);
    }
    this.stream.destroy();
    await within(this.finished, 1000);
    this.protocol.shellEnded(137);
  }
}
