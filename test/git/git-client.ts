/**
 * The ordinary git client, as a user runs it against a test server: real `git` processes with no
 * user or system config, no prompts, and a fixed author.
 */
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runProcess, type ProcessRun } from '../support/processes.js';

export type GitRun = ProcessRun;

const ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: os.tmpdir(),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_ASKPASS: '',
  SSH_ASKPASS: '',
  GIT_AUTHOR_NAME: 'Ada Lovelace',
  GIT_AUTHOR_EMAIL: 'ada@example.com',
  GIT_COMMITTER_NAME: 'Ada Lovelace',
  GIT_COMMITTER_EMAIL: 'ada@example.com',
  LC_ALL: 'C',
};

/** Runs git to completion; never throws on a non-zero exit. */
export function gitRun(cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<GitRun> {
  return runProcess('git', args, { cwd, env: { ...ENV, ...env } });
}

/** Runs git and returns its trimmed stdout; throws with git's stderr on failure. */
export async function gitOk(cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  const result = await gitRun(cwd, args, env);
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return result.stdout.trim();
}

/** `http://x:TOKEN@127.0.0.1:PORT/git/<name>.git` */
export function authedUrl(serverUrl: string, name: string, token: string): string {
  const url = new URL(`${serverUrl}/git/${name}.git`);
  url.username = 'x';
  url.password = token;
  return url.toString();
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `nagare-${prefix}-`));
}

/** Writes files (creating directories) and commits them all; returns the new commit id. */
export async function commitFiles(cwd: string, files: Record<string, string>, message: string): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(cwd, name)), { recursive: true });
    await writeFile(path.join(cwd, name), content);
  }
  await gitOk(cwd, ['add', '--all']);
  await gitOk(cwd, ['commit', '--quiet', '-m', message]);
  return gitOk(cwd, ['rev-parse', 'HEAD']);
}
