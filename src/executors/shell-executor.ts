/**
 * The shell executor: commands run as processes on this host, in one long-lived shell per
 * session (see shell-protocol.ts). Each shell leads its own session (setsid), which is how
 * `terminate` finds every process it started, background jobs included (process-tree.ts).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm, stat } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NagareError } from '../core/errors.js';
import type { Executor, ShellOptions, ShellSession, ShellState } from '../core/executor.js';
import { lookUpUser } from './host-users.js';
import { killSession } from './process-tree.js';
import { ProtocolShellSession, ShellProtocol } from './shell-protocol.js';
import { within } from './within.js';

export interface ShellExecutorOptions {
  /** The environment nagare itself was started with; the executor never reads process.env. */
  readonly hostEnvironment: Readonly<Record<string, string>>;
  /** Where session directories go; the OS temporary directory when absent. */
  readonly stateDir?: string;
  /**
   * The user commands run as when the buildspec names none (`run-as`): the agent's unprivileged
   * build user when it runs as root (issue 7, finding 6). Undefined runs them as nagare's own user.
   */
  readonly defaultUser?: string | undefined;
}

/** Grace period `dispose` gives processes between SIGTERM and SIGKILL. */
export const DISPOSE_GRACE_MS = 2000;

export class ShellExecutor implements Executor {
  readonly kind = 'shell';
  readonly description = 'host shell';
  private readonly sessions = new Set<HostShellSession>();

  constructor(private readonly options: ShellExecutorOptions) {}

  async start(_mounts: readonly string[]): Promise<void> {
    // host directories are already where commands see them
  }

  baseEnvironment(): Promise<Readonly<Record<string, string>>> {
    return Promise.resolve({ ...this.options.hostEnvironment });
  }

  async openShell(options: ShellOptions): Promise<ShellSession> {
    const shell = resolveShell(options.shell);
    const user = options.user ?? this.options.defaultUser;
    const identity = user === undefined ? undefined : await lookUpUser(user, this.options.hostEnvironment);
    const switchUser = identity !== undefined && identity.uid !== process.getuid?.();
    if (switchUser && process.getuid?.() !== 0) {
      throw new NagareError('EXEC_SPAWN_FAILED', `cannot run commands as ${user}: only root can switch users (nagare runs as uid ${process.getuid?.()})`);
    }
    await requireDirectory(options.cwd);
    const sessionDir = await mkdtemp(join(this.options.stateDir ?? tmpdir(), 'nagare-shell-'));
    if (identity) await chown(sessionDir, identity.uid, identity.gid);
    const [file, args] = switchUser
      ? [findSetpriv(), [`--reuid=${identity.uid}`, `--regid=${identity.gid}`, '--init-groups', '--', shell]]
      : [shell, []];
    const child = spawn(file, args, { cwd: options.cwd, env: { ...options.env }, detached: true, stdio: 'pipe' });
    const session = new HostShellSession(child, sessionDir, { env: options.env, cwd: options.cwd });
    this.sessions.add(session);
    try {
      await session.ready();
    } catch (error) {
      await session.terminate(0);
      this.sessions.delete(session);
      throw error;
    }
    return session;
  }

  async dispose(graceMs = DISPOSE_GRACE_MS): Promise<void> {
    const sessions = [...this.sessions];
    this.sessions.clear();
    await Promise.all(sessions.map((session) => session.terminate(graceMs)));
  }
}

class HostShellSession extends ProtocolShellSession {
  protected override readonly protocol: ShellProtocol;
  private readonly exited: Promise<void>;

  constructor(private readonly child: ChildProcessWithoutNullStreams, private readonly sessionDir: string, initialState: ShellState) {
    super();
    this.protocol = new ShellProtocol({
      write: (text) => { if (!child.stdin.destroyed) child.stdin.write(text); },
      sessionDir,
      initialState,
    });
    child.stdin.on('error', () => { /* the shell is gone; its exit is reported below */ });
    child.stdout.on('data', (chunk: Buffer) => this.protocol.feed(chunk));
    child.stderr.on('data', (chunk: Buffer) => this.protocol.feed(chunk));
    const stdoutEnded = new Promise<void>((resolve) => child.stdout.once('close', resolve));
    this.exited = new Promise<void>((resolve) => {
      child.once('error', (error) => {
        this.protocol.shellEnded(127);
        resolve();
        void error;
      });
      child.once('exit', (code, signal) => {
        // Background jobs may hold stdout open for ever: wait for it only briefly.
        void within(stdoutEnded, 200).then(() => {
          this.protocol.shellEnded(code ?? 128 + (signal ? constants.signals[signal] : 0));
          resolve();
        });
      });
    });
    child.stdin.write(this.protocol.startupScript());
  }

  ready(): Promise<number> {
    return this.protocol.ready();
  }

  protected override async kill(graceMs: number): Promise<void> {
    // An idle shell (a build's end) is asked to exit, so that one look at /proc finds only what
    // it left running in the background, instead of signalling it and looking until it is gone.
    if (graceMs > 0 && this.protocol.idle && !this.child.stdin.destroyed) {
      this.child.stdin.write(this.protocol.exitScript());
      await within(this.exited, Math.min(graceMs, 500));
    }
    if (this.child.pid !== undefined) await killSession(this.child.pid, graceMs);
    this.child.stdin.destroy();
    await within(this.exited, 1000);
    this.protocol.shellEnded(128 + constants.signals.SIGKILL);
    await rm(this.sessionDir, { recursive: true, force: true });
  }
}


function resolveShell(shell: string): string {
  if (shell === 'sh') return '/bin/sh';
  if (shell === 'bash') return '/bin/bash';
  if (shell.startsWith('/')) return shell;
  throw new NagareError('EXEC_SPAWN_FAILED', `unsupported shell ${JSON.stringify(shell)}: use sh, bash or an absolute path`);
}

function findSetpriv(): string {
  const found = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));
  if (!found) throw new NagareError('EXEC_SPAWN_FAILED', 'setpriv (util-linux) is needed to run commands as another user');
  return found;
}

async function requireDirectory(path: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) throw new NagareError('EXEC_SPAWN_FAILED', `working directory ${path} does not exist`);
}

