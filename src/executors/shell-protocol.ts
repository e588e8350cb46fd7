/**
 * The marker protocol both executors speak with their one long-lived shell. The shell reads
 * control lines on its standard input; each command is written to a file in the session
 * directory (visible at the same path to the shell, on the host or through a bind mount) and run
 * as `{ . file; } </dev/null`, so commands never see the control pipe. After it, the shell dumps
 * `export -p` and `pwd` when the status is 0 and prints `<nonce>:C:<seq>:<status>` on fd 9, a copy
 * of the original standard output that commands run without. An EXIT trap prints
 * `<nonce>:X:<status>` when a command ends the shell (`exit 3`, `set -e`), after dumping the
 * exported environment, `pwd` and the plain variables (`set`), so that the next shell starts from
 * the state the command left; and a handshake prints `<nonce>:P:<pid>:<parent pid>` so the
 * transport learns the shell's pid in its own pid namespace. A transport whose output stream
 * outlives the shell (Docker's first shell, the container's own process) has its wrapper print
 * `<nonce>:E:<status>` once the shell has ended, and sets the environment and directory through
 * the startup script (`applyInitialState`), since it could not give them to the process.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NagareError } from '../core/errors.js';
import type { CommandOutcome, ShellSession, ShellState } from '../core/executor.js';
import { parseExportedEnvironment } from './exported-environment.js';

/** Output produced while no command runs (a background job) is kept for the next command, up to this. */
const STRAY_OUTPUT_LIMIT = 1024 * 1024;

interface ActiveCommand {
  readonly seq: number;
  readonly onOutput: (chunk: Buffer) => void;
  readonly resolve: (outcome: CommandOutcome) => void;
  readonly reject: (error: unknown) => void;
}

export interface ShellProtocolOptions {
  /** Sends text to the shell's standard input. */
  readonly write: (text: string) => void;
  /** Private directory for command files and state dumps, at the same path for the shell. */
  readonly sessionDir: string;
  readonly initialState: ShellState;
  /** Variables the transport cannot keep out of the shell's environment (Docker's image `Env`). */
  readonly unset?: readonly string[];
  /**
   * The shell was started without the initial state (the container's own process): the startup
   * script enters its directory and exports its environment. A name that is not `exportable`
   * is left as the process has it: the transport starts such a shell only where that is the
   * value asked for.
   */
  readonly applyInitialState?: boolean;
}

/** A name a shell can hold as a variable. */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Variables the shell itself manages (some read-only in bash): never set again in a new shell. */
const SHELL_OWN_VARIABLE = /^(?:__nagare_\w*|BASH\w*|HIST\w*|COMP_\w*|PPID|PWD|OLDPWD|IFS|OPTIND|OPTARG|LINENO|PS[1-4]|_|EUID|UID|GROUPS|SHELLOPTS|RANDOM|SRANDOM|SECONDS|EPOCHREALTIME|EPOCHSECONDS|FUNCNAME|DIRSTACK|PIPESTATUS|HOSTTYPE|MACHTYPE|OSTYPE|SHLVL|HOSTNAME|MAILCHECK|LINES|COLUMNS)$/;

/**
 * Whether a shell can take `name` through `export` exactly as it would from its environment at
 * start: a plain identifier that no shell reads at start or manages itself (`BASH_ENV`, `ENV`,
 * `CDPATH`, `IFS`, bash's read-only `UID`…), and that does not act on the shell process itself
 * when it starts (`LD_PRELOAD`, `GLIBC_TUNABLES`).
 */
export function exportable(name: string): boolean {
  return SHELL_NAME.test(name) && !SHELL_OWN_VARIABLE.test(name) && !/^(?:ENV|CDPATH|POSIXLY_CORRECT|LD_\w*|GLIBC_TUNABLES|MALLOC_\w*)$/.test(name);
}

export class ShellProtocol {
  private readonly nonce = Buffer.from(`__nagare_${randomBytes(16).toString('hex')}__`);
  private pending: Buffer = Buffer.alloc(0);
  private seq = 0;
  private active: ActiveCommand | undefined;
  private stray: Buffer[] = [];
  private strayBytes = 0;
  private good: ShellState;
  private endedWith: number | undefined;
  /** Reading the state a command left when it ended the shell; the end waits for it. */
  private exitState: Promise<void> | undefined;
  private shellPid: number | undefined;
  private parentPid: number | undefined;
  private readonly endWaiters: (() => void)[] = [];
  private readonly readyWaiters: { resolve: (pid: number) => void; reject: (error: unknown) => void }[] = [];

  constructor(private readonly options: ShellProtocolOptions) {
    this.good = options.initialState;
  }

  /** What every marker begins with: a wrapper around the shell prints `<prefix>:E:<status>` after it. */
  get markerPrefix(): string {
    return this.nonce.toString();
  }

  /** The pid of the shell's parent in the shell's pid namespace, once ready. */
  get shellParentPid(): number | undefined {
    return this.parentPid;
  }

  /**
   * Control lines to send once, first: merge stderr, save fd 9, (enter the directory and export
   * the environment), trap EXIT, say the pid.
   */
  startupScript(): string {
    const nonce = this.nonce.toString();
    const names = (this.options.unset ?? []).filter((name) => SHELL_NAME.test(name));
    const dir = this.options.sessionDir;
    const { env, cwd } = this.options.initialState;
    const state = this.options.applyInitialState
      ? [`cd -P -- ${quote(cwd)} || exit 126`, 'unset OLDPWD', ...Object.entries(env).filter(([name]) => exportable(name)).map(([name, value]) => `export ${name}=${quote(value)}`)]
      : [];
    // Each variable `set` lists, as NAME=value NUL-terminated, so values with newlines survive.
    const variables = String.raw`set | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' | while read -r __nagare_n; do ` +
      String.raw`eval "[ -n \"\${$__nagare_n+set}\" ] && printf '%s=%s\\000' \"\$__nagare_n\" \"\${$__nagare_n}\""; done`;
    return [
      'exec 2>&1 9>&1',
      ...(names.length > 0 ? [`unset ${names.join(' ')}`] : []),
      ...state,
      `__nagare_exit() { export -p >|${quote(join(dir, 'exit-env'))}; pwd >|${quote(join(dir, 'exit-cwd'))}; ` +
        `{ ${variables}; } >|${quote(join(dir, 'exit-vars'))}; printf '%s:X:%s\\n' ${nonce} "$1" >&9; }`,
      `trap '__nagare_exit "$?"' EXIT`,
      `printf '%s:P:%s:%s\\n' ${nonce} "$$" "$PPID" >&9`,
      '',
    ].join('\n');
  }

  /** Resolves with the shell's pid once the shell has answered the startup script. */
  ready(): Promise<number> {
    if (this.shellPid !== undefined) return Promise.resolve(this.shellPid);
    if (this.endedWith !== undefined) return Promise.reject(this.startFailure());
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  get exited(): boolean {
    return this.endedWith !== undefined;
  }

  /** Whether a command runs (and the shell has not ended). */
  get busy(): boolean {
    return this.active !== undefined;
  }

  /** Whether the shell waits for its next command: such a shell can be asked to end (`exitScript`). */
  get idle(): boolean {
    return this.active === undefined && this.endedWith === undefined;
  }

  /**
   * The control line that ends an idle shell at once. It drops the EXIT trap first: the state the
   * trap dumps serves only a command that ends the shell, and at the end of a build it cost a
   * `set | sed | while read` pipeline while the transport watched /proc for the shell to go.
   */
  exitScript(): string {
    return 'trap - EXIT; exit 0\n';
  }

  lastGood(): ShellState {
    return this.good;
  }

  async run(command: string, onOutput: (chunk: Buffer) => void): Promise<CommandOutcome> {
    if (this.active) throw new NagareError('EXEC_SPAWN_FAILED', 'a command is already running in this shell session');
    if (this.endedWith !== undefined) throw new NagareError('EXEC_SPAWN_FAILED', 'the shell session has ended; open a new one');
    this.seq += 1;
    const seq = this.seq;
    const dir = this.options.sessionDir;
    const file = join(dir, `cmd-${seq}.sh`);
    await writeFile(file, command.endsWith('\n') ? command : `${command}\n`, { mode: 0o644 });
    for (const chunk of this.stray.splice(0)) onOutput(chunk);
    this.strayBytes = 0;
    // The shell may have ended while the file was written (a stop killing it as the command
    // starts): nothing would ever answer this command, which did not run, so it fails (never 0).
    if (this.endedWith !== undefined) return { exitCode: this.endedWith === 0 ? 255 : this.endedWith, shellExited: true };
    const outcome = new Promise<CommandOutcome>((resolve, reject) => {
      this.active = { seq, onOutput, resolve, reject };
    });
    this.options.write(
      `{ . ${quote(file)}; } </dev/null 9>&-; __nagare_s=$?; ` +
        `if [ "$__nagare_s" -eq 0 ]; then export -p >|${quote(join(dir, 'env'))}; pwd >|${quote(join(dir, 'cwd'))}; fi; ` +
        `printf '%s:C:%s:%s\\n' ${this.nonce.toString()} ${seq} "$__nagare_s" >&9\n`,
    );
    return outcome;
  }

  /** Resolves once the shell has ended (whatever told: the transport, the EXIT trap, the wrapper). */
  whenEnded(): Promise<void> {
    if (this.endedWith !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.endWaiters.push(resolve));
  }

  /** Feeds the shell's merged output. */
  feed(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      const at = this.pending.indexOf(this.nonce);
      if (at < 0) {
        const keep = partialMarkerLength(this.pending, this.nonce);
        this.emit(this.pending.subarray(0, this.pending.length - keep));
        this.pending = this.pending.subarray(this.pending.length - keep);
        return;
      }
      const newline = this.pending.indexOf(10, at);
      if (newline < 0) {
        this.emit(this.pending.subarray(0, at));
        this.pending = this.pending.subarray(at);
        return;
      }
      this.emit(this.pending.subarray(0, at));
      const marker = this.pending.subarray(at + this.nonce.length, newline).toString();
      this.pending = this.pending.subarray(newline + 1);
      this.onMarker(marker);
    }
  }

  /**
   * The transport saw the shell process end (after feeding all its output). `status` is its exit
   * code, or 128+n for signal n. A running command resolves with it, as `shellExited`.
   */
  shellEnded(status: number): void {
    if (this.pending.length > 0) this.emit(this.pending);
    this.pending = Buffer.alloc(0);
    if (this.exitState) void this.exitState.then(() => this.end(status));
    else this.end(status);
  }

  private end(status: number): void {
    if (this.endedWith !== undefined) return;
    this.endedWith = status;
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(this.startFailure());
    for (const waiter of this.endWaiters.splice(0)) waiter();
    const active = this.active;
    this.active = undefined;
    active?.resolve({ exitCode: status, shellExited: true });
  }

  private startFailure(): NagareError {
    const output = Buffer.concat(this.stray).toString().trim();
    return new NagareError('EXEC_SPAWN_FAILED', `the shell ended before it was ready (status ${this.endedWith ?? '?'})${output ? `: ${output}` : ''}`);
  }

  private onMarker(marker: string): void {
    const [, kind, first, second] = marker.split(':');
    if (kind === 'P' && first !== undefined && this.shellPid === undefined) {
      this.shellPid = Number(first);
      this.parentPid = second === undefined ? undefined : Number(second);
      for (const waiter of this.readyWaiters.splice(0)) waiter.resolve(this.shellPid);
    } else if (kind === 'X' && first !== undefined) {
      const status = Number(first);
      this.exitState ??= this.readExitState().then(() => this.end(status));
    } else if (kind === 'E' && first !== undefined) {
      this.shellEnded(Number(first));
    } else if (kind === 'C' && this.active && Number(first) === this.active.seq) {
      const active = this.active;
      const status = Number(second);
      this.finishCommand(active, status).then(
        (outcome) => { if (this.active === active) { this.active = undefined; active.resolve(outcome); } },
        (error: unknown) => { if (this.active === active) { this.active = undefined; active.reject(error); } },
      );
    }
  }

  private async finishCommand(active: ActiveCommand, status: number): Promise<CommandOutcome> {
    if (status === 0) {
      const dir = this.options.sessionDir;
      const [exported, cwd] = await Promise.all([readFile(join(dir, 'env'), 'utf8'), readFile(join(dir, 'cwd'), 'utf8')]);
      this.good = { env: parseExportedEnvironment(exported), cwd: cwd.replace(/\n$/, '') };
    }
    return { exitCode: status, shellExited: false };
  }

  /**
   * The state dumped by the EXIT trap becomes the last good state: a command that ends the shell
   * (`exit 0`, `exit 1`) leaves its directory, exports and plain variables to the next command,
   * as a command that fails without exiting does. A dump that cannot be read leaves it as it was.
   */
  private async readExitState(): Promise<void> {
    const dir = this.options.sessionDir;
    try {
      const [exported, cwd, variables] = await Promise.all([
        readFile(join(dir, 'exit-env'), 'utf8'),
        readFile(join(dir, 'exit-cwd'), 'utf8'),
        readFile(join(dir, 'exit-vars'), 'utf8'),
      ]);
      const env = parseExportedEnvironment(exported);
      this.good = { env, cwd: cwd.replace(/\n$/, ''), variables: plainVariables(variables, env) };
    } catch {
      // The trap could not write (a full disk, a removed directory): the state before stays.
    }
  }

  private emit(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.active) {
      this.active.onOutput(chunk);
    } else if (this.strayBytes < STRAY_OUTPUT_LIMIT) {
      this.stray.push(Buffer.from(chunk));
      this.strayBytes += chunk.length;
    }
  }
}

/** The unexported variables of a `NAME=value\0` dump: those not in `env` and not the shell's own. */
function plainVariables(dump: string, env: Readonly<Record<string, string>>): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const entry of dump.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const name = entry.slice(0, eq);
    if (name in env || SHELL_OWN_VARIABLE.test(name)) continue;
    variables[name] = entry.slice(eq + 1);
  }
  return variables;
}

/** Length of the longest tail of `data` that is a beginning of `marker` (kept back until more arrives). */
function partialMarkerLength(data: Buffer, marker: Buffer): number {
  // Only a tail that starts with the marker's first byte can begin it: most output has none, and
  // is passed on after one short scan instead of a comparison per possible length.
  const first = marker[0] ?? 0;
  for (let at = data.indexOf(first, Math.max(0, data.length - (marker.length - 1))); at !== -1; at = data.indexOf(first, at + 1)) {
    if (data.subarray(at).equals(marker.subarray(0, data.length - at))) return data.length - at;
  }
  return 0;
}

/** Single-quotes a word for sh. */
export function quote(word: string): string {
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}

/**
 * A ShellSession driven by one ShellProtocol: running commands and reading state are the
 * protocol's; each backend says only how its processes are killed.
 */
export abstract class ProtocolShellSession implements ShellSession {
  protected abstract readonly protocol: ShellProtocol;
  private terminating: Promise<void> | undefined;

  run(command: string, onOutput: (chunk: Buffer) => void): Promise<CommandOutcome> {
    return this.protocol.run(command, onOutput);
  }

  lastGood(): ShellState {
    return this.protocol.lastGood();
  }

  terminate(graceMs: number): Promise<void> {
    this.terminating ??= this.kill(graceMs);
    return this.terminating;
  }

  /** Ends every process of the session (SIGTERM, then SIGKILL after graceMs). Called once. */
  protected abstract kill(graceMs: number): Promise<void>;
}
