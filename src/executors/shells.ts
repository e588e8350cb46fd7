/**
 * Shell sessions for one build, after decision 7: in buildspec 0.2 one shell lives for the whole
 * build; a command that ends the shell with a non-zero status fails its phase, and the next
 * command gets a fresh shell with the environment, working directory and plain variables the
 * ending command left (issue 9: `if …; then exit 0; fi` keeps the build's state). A change of `run-as`
 * user also starts a fresh shell from that state. In 0.1 every command gets a new shell in the
 * source directory with the build's environment.
 */
import type { Executor, ShellSession, ShellState } from '../core/executor.js';

export interface ShellsOptions {
  readonly executor: Executor;
  readonly version: '0.1' | '0.2';
  readonly shell: string;
  readonly initial: ShellState;
}

export interface RunOutcome {
  readonly exitCode: number;
}

export class BuildShells {
  private session: ShellSession | undefined;
  private sessionUser: string | undefined;
  private state: ShellState;
  private terminated = false;
  /** The one-command session of a 0.1 build, while its command runs. */
  private fresh: ShellSession | undefined;
  private readonly overrides = new Map<string, string>();

  constructor(private readonly options: ShellsOptions) {
    this.state = options.initial;
  }

  /** Sets a variable for every later command (e.g. CODEBUILD_BUILD_SUCCEEDING), whatever the shell. */
  async setVariable(name: string, value: string): Promise<void> {
    this.overrides.set(name, value);
    this.state = { ...this.state, env: { ...this.state.env, [name]: value } };
    if (this.session && this.options.version === '0.2') {
      await this.session.run(`export ${name}=${shellQuote(value)}`, () => undefined);
    }
  }

  /** Runs one buildspec command as `user`, streaming its output. */
  async run(command: string, user: string | undefined, onOutput: (chunk: Buffer) => void): Promise<RunOutcome> {
    // After a timeout or stop nothing new may start: it would outlive the build.
    if (this.terminated) return { exitCode: 128 + 15 };
    if (this.options.version === '0.1') return this.runFresh(command, user, onOutput);
    const session = await this.sessionFor(user);
    // A stop that arrived while the shell was starting has ended it: the command never runs.
    if (this.terminated) return { exitCode: 128 + 15 };
    const outcome = await session.run(command, onOutput);
    this.state = session.lastGood();
    if (outcome.shellExited) this.session = undefined;
    return { exitCode: outcome.exitCode };
  }

  /**
   * Evaluates `text` with shell syntax (`$VAR`, `$(cmd)`) in the build's current environment, as
   * CodeBuild does for artifact names, base directories and cache keys. Returns undefined when
   * the evaluation fails.
   */
  async evaluate(text: string, user: string | undefined): Promise<string | undefined> {
    if (!/[$`]/.test(text)) return text;
    const chunks: Buffer[] = [];
    const command = `printf '%s' "${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
    const outcome = await this.run(command, user, (chunk) => chunks.push(chunk));
    return outcome.exitCode === 0 ? Buffer.concat(chunks).toString('utf8') : undefined;
  }

  /** The values of `names` now (undefined when unset), without logging anything. */
  async variables(names: readonly string[], user: string | undefined): Promise<Record<string, string | undefined>> {
    if (names.length === 0) return {};
    if (this.options.version === '0.1' || this.terminated) return Object.fromEntries(names.map((n) => [n, this.state.env[n]]));
    const command = names.map((n) => `if [ -n "\${${n}+set}" ]; then printf '%s=%s\\000' ${n} "\${${n}}"; fi`).join('; ');
    const chunks: Buffer[] = [];
    const outcome = await this.run(command, user, (chunk) => chunks.push(chunk));
    if (outcome.exitCode !== 0) return Object.fromEntries(names.map((n) => [n, this.state.env[n]]));
    const values: Record<string, string | undefined> = Object.fromEntries(names.map((n) => [n, undefined]));
    for (const entry of Buffer.concat(chunks).toString('utf8').split('\0')) {
      const eq = entry.indexOf('=');
      if (eq > 0) values[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return values;
  }

  /**
   * Lets go of the shells at a build's end without ending them: nothing runs after this, and the
   * executor's dispose ends them (a container's idle shells end with the container, no kill needed).
   */
  close(): void {
    this.terminated = true;
    this.session = undefined;
  }

  /** Kills the running command and everything the shells started (timeout, stop). */
  async terminate(graceMs: number): Promise<void> {
    this.terminated = true;
    const session = this.session;
    this.session = undefined;
    await session?.terminate(graceMs);
    await this.fresh?.terminate(graceMs);
  }

  private async runFresh(command: string, user: string | undefined, onOutput: (chunk: Buffer) => void): Promise<RunOutcome> {
    const session = await this.options.executor.openShell({ shell: this.options.shell, user, cwd: this.options.initial.cwd, env: this.state.env });
    // A stop that arrived while the shell was starting ends it at once: the command never runs.
    if (this.terminated) {
      await session.terminate(0);
      return { exitCode: 128 + 15 };
    }
    this.fresh = session;
    try {
      const outcome = await session.run(command, onOutput);
      return { exitCode: outcome.exitCode };
    } finally {
      this.fresh = undefined;
      await session.terminate(0);
    }
  }

  private async sessionFor(user: string | undefined): Promise<ShellSession> {
    if (this.session && this.sessionUser === user) return this.session;
    if (this.session) {
      this.state = this.session.lastGood();
      await this.session.terminate(0);
    }
    const env = { ...this.state.env, ...Object.fromEntries(this.overrides) };
    const session = await this.options.executor.openShell({ shell: this.options.shell, user, cwd: this.state.cwd, env });
    // A stop that arrived while the shell was starting ends it at once.
    if (this.terminated) await session.terminate(0);
    else this.session = session;
    this.sessionUser = user;
    // Plain variables a command left when it ended the previous shell are set again, unexported.
    const plain = Object.entries(this.state.variables ?? {}).filter(([name]) => !(name in env));
    if (plain.length > 0 && !this.terminated) {
      await session.run(plain.map(([name, value]) => `${name}=${shellQuote(value)}`).join('\n'), () => undefined);
    }
    return session;
  }
}

/** Single-quotes a value for sh. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
