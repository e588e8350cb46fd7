/**
 * The executor port: where build commands run. One implementation per backend
 * (`ShellExecutor` for host processes, `DockerExecutor` for a container); both pass the same
 * contract suite (test/executors/executor-contract.ts).
 *
 * The model follows buildspec 0.2: a *shell session* is one long-lived shell process in which
 * commands run one after another, so `cd`, `export` and shell variables carry over. Buildspec 0.1
 * opens a fresh session per command. A command's status is the status of its last statement
 * (no `set -e`). Standard output and standard error are merged, in order, as in a CodeBuild log.
 */

export interface ShellOptions {
  /** `sh`, `bash`, or an absolute path to a shell. */
  readonly shell: string;
  /** Linux user to run as (buildspec `run-as`); undefined runs as the executor's own user. */
  readonly user: string | undefined;
  /** Working directory the session starts in. */
  readonly cwd: string;
  /** The complete environment of the session (nothing is inherited implicitly). */
  readonly env: Readonly<Record<string, string>>;
}

export interface CommandOutcome {
  /** The command's exit status; 128+n when it was killed by signal n. */
  readonly exitCode: number;
  /**
   * True when the command ended the shell itself (`exit 3`, a fatal syntax error, a kill). The
   * session is then closed; the runner opens a new one from `lastGood`.
   */
  readonly shellExited: boolean;
}

/**
 * Environment and working directory after the last command that exited 0, or after the command
 * that ended the shell (`exit 1` keeps the state it leaves, as CodeBuild does).
 */
export interface ShellState {
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /**
   * Plain (unexported) shell variables, known only after a command ended the shell: a new
   * session sets them again before its first command. Absent when there are none to carry.
   */
  readonly variables?: Readonly<Record<string, string>>;
}

export interface ShellSession {
  /**
   * Runs one command (possibly a multi-line script) and resolves when it has finished. Output is
   * delivered in order through `onOutput` as it is produced, before the promise resolves.
   * Rejects only when nagare itself fails (a broken pipe to the shell, a dead Docker engine),
   * never because the command failed.
   */
  run(command: string, onOutput: (chunk: Buffer) => void): Promise<CommandOutcome>;
  /** State after the last successful command (the options' env and cwd before any). */
  lastGood(): ShellState;
  /**
   * Ends the session and every process it started, including background ones: SIGTERM to the
   * whole tree, SIGKILL to what is left after `graceMs`. A running `run` then resolves with the
   * signal's status and `shellExited: true`. Idempotent.
   */
  terminate(graceMs: number): Promise<void>;
}

export interface Executor {
  /** `shell` or `docker`, as given to `--executor`. */
  readonly kind: string;
  /** Description shown in the build log (`host shell`, `image nagare/base:latest`). */
  readonly description: string;
  /**
   * Makes the given host directories visible to commands at the same paths (a no-op on the host;
   * bind mounts for Docker) and gets ready to open sessions. Called once, before any session.
   */
  start(mounts: readonly string[]): Promise<void>;
  /**
   * The environment the "image" provides before the build adds its own variables: the host's
   * environment for the shell executor, the image's `Env` for Docker. Called after `start`.
   */
  baseEnvironment(): Promise<Readonly<Record<string, string>>>;
  openShell(options: ShellOptions): Promise<ShellSession>;
  /**
   * Terminates every open session and releases everything (container, temporary files); `graceMs`
   * between SIGTERM and SIGKILL for what still runs (the executor's default when absent). Idempotent.
   */
  dispose(graceMs?: number): Promise<void>;
}
