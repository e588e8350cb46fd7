/**
 * Runs the scripts of one lifecycle event as the CodeDeploy agent's hook executor does (§2.4):
 * in list order, the first failure ending the event; each script in its own session (so its whole
 * process group can be killed), with the working directory of the revision (decision 11), the
 * hook variables, `su <user> -c <script>` for `runas`, and its output appended to `scripts.log`.
 * A failed script is a result with the agent's error code, never an exception.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, appendFile, chmod, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { HookScript } from '../core/appspec.js';
import { confine } from '../executors/confine.js';
import { killSession } from '../executors/process-tree.js';
import { timestamp } from './deployment-root.js';

/** The agent's diagnostics codes, by the names of CodeDeploy's `LifecycleErrorCode`. */
export type LifecycleErrorCode = 'ScriptMissing' | 'ScriptNotExecutable' | 'ScriptTimedOut' | 'ScriptFailed' | 'UnknownError';

export interface HookFailure {
  readonly errorCode: LifecycleErrorCode;
  readonly scriptName: string;
  readonly message: string;
}

export interface HookRun {
  readonly event: string;
  readonly scripts: readonly HookScript[];
  /** The extracted revision the scripts come from. */
  readonly revisionDir: string;
  readonly scriptsLog: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal | undefined;
}

/** Output kept in scripts.log per script; more is dropped with a marker line. */
const MAX_LOGGED_BYTES_PER_SCRIPT = 16 * 1024 * 1024;
/** How long a killed script's session gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2000;

/** Runs the event's scripts; undefined when all succeeded. */
export async function runHookScripts(run: HookRun): Promise<HookFailure | undefined> {
  await mkdir(path.dirname(run.scriptsLog), { recursive: true });
  const log = new ScriptsLog(run.scriptsLog);
  if (run.scripts.length > 0) await log.line(`LifecycleEvent - ${run.event}`);
  for (const script of run.scripts) {
    await log.line(`Script - ${script.location}`);
    const failure = await runScript(run, script, log);
    await log.flush();
    if (failure) return failure;
  }
  return undefined;
}

async function runScript(run: HookRun, script: HookScript, log: ScriptsLog): Promise<HookFailure | undefined> {
  const fail = (errorCode: LifecycleErrorCode, message: string): HookFailure => ({ errorCode, scriptName: script.location, message });
  let file: string;
  try {
    file = await confine(run.revisionDir, script.location);
  } catch {
    return fail('ScriptMissing', `Script at specified location: ${script.location} leads out of the revision`);
  }
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return fail('ScriptMissing', `Script does not exist at specified location: ${file}`);
  if (!(await access(file, constants.X_OK).then(() => true, () => false))) {
    // The agent makes a script executable itself; only when that fails is it an error.
    try {
      await chmod(file, info.mode | 0o111);
    } catch {
      return fail('ScriptNotExecutable', `Script at specified location: ${script.location} is not executable and could not be made so`);
    }
  }
  // su hands -c to the user's shell: the path is quoted for it (a deployment root may hold spaces).
  const command = script.runas === undefined ? [file] : ['su', script.runas, '-c', `'${file.replace(/'/g, "'\\''")}'`];
  const who = script.runas === undefined ? '' : ` run as user ${script.runas}`;
  const outcome = await spawnScript(command, run, script.timeout * 1000, log);
  switch (outcome.kind) {
    case 'exited':
      return outcome.code === 0 ? undefined : fail('ScriptFailed', `Script at specified location: ${script.location}${who} failed with exit code ${outcome.code}`);
    case 'timed-out':
      return fail('ScriptTimedOut', `Script at specified location: ${script.location}${who} failed to complete in ${script.timeout} seconds`);
    case 'outputs-left-open':
      return fail('ScriptFailed', `Script at specified location: ${script.location}${who} ended but left its standard output or error open (a background process holds it; redirect its output, e.g. \`> /dev/null 2>&1 &\`)`);
    case 'aborted':
      return fail('UnknownError', `Script at specified location: ${script.location} was stopped because the deployment was stopped`);
    case 'spawn-failed':
      return fail('UnknownError', `Script at specified location: ${script.location} could not be started: ${outcome.message}`);
  }
}

type Outcome =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'timed-out' | 'outputs-left-open' | 'aborted' }
  | { readonly kind: 'spawn-failed'; readonly message: string };

function spawnScript(command: readonly string[], run: HookRun, timeoutMs: number, log: ScriptsLog): Promise<Outcome> {
  return new Promise((resolve) => {
    const [program = '', ...args] = command;
    const child = spawn(program, args, {
      cwd: run.revisionDir,
      env: run.environment,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let settled = false;
    let exitCode: number | undefined;
    const finish = (outcome: Outcome, kill: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      run.signal?.removeEventListener('abort', onAbort);
      const pid = child.pid;
      if (kill && pid !== undefined) void killSession(pid, KILL_GRACE_MS).then(() => resolve(outcome), () => resolve(outcome));
      else resolve(outcome);
    };
    const timer = setTimeout(() => finish(exitCode === undefined ? { kind: 'timed-out' } : { kind: 'outputs-left-open' }, true), timeoutMs);
    const onAbort = (): void => finish({ kind: 'aborted' }, true);
    run.signal?.addEventListener('abort', onAbort, { once: true });
    if (run.signal?.aborted) onAbort();
    child.stdout.on('data', (chunk: Buffer) => log.output('stdout', chunk));
    child.stderr.on('data', (chunk: Buffer) => log.output('stderr', chunk));
    child.on('error', (error) => finish({ kind: 'spawn-failed', message: error.message }, false));
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? 128 : 1);
    });
    // 'close' comes once both pipes are closed: a background job holding them keeps the script running, as for the agent.
    child.on('close', (code, signal) => finish({ kind: 'exited', code: exitCode ?? code ?? (signal ? 128 : 1) }, false));
  });
}

/** Appends to scripts.log in the agent's format: `YYYY-MM-DD HH:MM:SS [stdout]text`. */
class ScriptsLog {
  private pending = Promise.resolve();
  private logged = 0;
  private truncated = false;
  private readonly partial = { stdout: '', stderr: '' };
  private failed: Error | undefined;

  constructor(private readonly file: string) {}

  line(text: string): Promise<void> {
    this.logged = 0;
    this.truncated = false;
    return this.write(`${timestamp(new Date())} ${text}\n`);
  }

  output(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    if (this.truncated) return;
    this.logged += chunk.length;
    if (this.logged > MAX_LOGGED_BYTES_PER_SCRIPT) {
      this.truncated = true;
      void this.write(`${timestamp(new Date())} [${stream}][nagare: more than ${MAX_LOGGED_BYTES_PER_SCRIPT} bytes of output; the rest is not logged]\n`);
      return;
    }
    const lines = (this.partial[stream] + chunk.toString()).split('\n');
    this.partial[stream] = lines.pop() ?? '';
    if (lines.length > 0) void this.write(lines.map((text) => `${timestamp(new Date())} [${stream}]${text}\n`).join(''));
  }

  async flush(): Promise<void> {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream] !== '') await this.write(`${timestamp(new Date())} [${stream}]${this.partial[stream]}\n`);
      this.partial[stream] = '';
    }
    await this.pending;
    if (this.failed !== undefined) throw this.failed;
  }

  private write(text: string): Promise<void> {
    // A write that fails (a full disk) is kept and thrown by flush(), never left unhandled.
    this.pending = this.pending.then(() => appendFile(this.file, text)).catch((error: unknown) => {
      this.failed ??= error instanceof Error ? error : new Error(String(error));
    });
    return this.pending;
  }
}
