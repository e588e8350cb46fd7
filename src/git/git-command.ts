/**
 * Running the machine's `git` on hosted repositories. Every call gets the same small environment:
 * no system or global config (a server user's `core.hooksPath` or aliases must not change what a
 * hosted repository does), no prompts, and the server's PATH to find git.
 */
import { spawn } from 'node:child_process';
import { NagareError } from '../core/errors.js';

/** The environment git runs with, plus `extra`. */
export function gitEnvironment(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return {
    // The one variable taken from the server's own environment: where git is.
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    ...extra,
  };
}

export interface GitResult {
  readonly exitCode: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs `git args…` in `cwd` to completion; the exit code is returned, not thrown. */
export function runGit(cwd: string, args: readonly string[]): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: gitEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 64 * 1024) stderr += chunk;
    });
    child.on('error', (error) => reject(gitFailed(args, error.message, error)));
    child.on('close', (code) => resolve({ exitCode: code ?? -1, stdout: Buffer.concat(stdout), stderr }));
  });
}

/** Runs git and returns its standard output as text; REPO_GIT_FAILED on a non-zero exit. */
export async function git(cwd: string, args: readonly string[]): Promise<string> {
  const result = await runGit(cwd, args);
  if (result.exitCode !== 0) throw gitFailed(args, result.stderr.trim() || `exit status ${result.exitCode}`);
  return result.stdout.toString('utf8');
}

export function gitFailed(args: readonly string[], reason: string, cause?: unknown): NagareError {
  return new NagareError('REPO_GIT_FAILED', `git ${args[0] ?? ''} failed: ${reason.slice(0, 2000)}`, { ...(cause === undefined ? {} : { cause }), details: { command: args[0] ?? '' } });
}
