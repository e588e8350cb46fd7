/**
 * DOWNLOAD_SOURCE on the agent: the job's source in a fresh directory. NO_SOURCE is an empty
 * directory; GIT is a `git clone` of the location (a URL or a path on this host), checked out at
 * the source version when one is given. A failure is the build's (a wrong URL or version), so it
 * comes back as a message, not an exception.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { BuildJob } from '../core/build-job.js';

const execFileAsync = promisify(execFile);

export type SourceResult =
  | { readonly ok: true; readonly resolvedSourceVersion: string | undefined; readonly repoUrl: string | undefined }
  | { readonly ok: false; readonly message: string };

export interface SourceOptions {
  readonly signal: AbortSignal;
  /** The environment git runs with (the agent's own). */
  readonly environment: Readonly<Record<string, string>>;
  readonly log: (line: string) => void;
}

export async function prepareSource(job: BuildJob, dir: string, { signal, environment, log }: SourceOptions): Promise<SourceResult> {
  await mkdir(dir, { recursive: true });
  const { type, location, sourceVersion, gitCloneDepth } = job.source;
  if (type === 'NO_SOURCE') return { ok: true, resolvedSourceVersion: undefined, repoUrl: undefined };
  if (type !== 'GIT' || !location) {
    return { ok: false, message: `Source type ${type}${location ? '' : ' without a location'} is not supported by this agent` };
  }
  const git = (args: string[], cwd?: string): Promise<string> =>
    execFileAsync('git', args, { cwd, signal, timeout: 30 * 60_000, maxBuffer: 16 * 1024 * 1024, env: { ...environment, GIT_TERMINAL_PROMPT: '0' } }).then((r) => r.stdout.trim());
  try {
    const depth = gitCloneDepth ? ['--depth', String(gitCloneDepth)] : [];
    log(`Cloning ${location}${gitCloneDepth ? ` (depth ${gitCloneDepth})` : ''}`);
    await git(['clone', '--quiet', ...(sourceVersion ? ['--no-checkout'] : []), ...depth, '--', location, dir]);
    if (sourceVersion) await checkout(git, dir, sourceVersion, depth);
    const head = await git(['rev-parse', 'HEAD'], dir);
    log(`Source version ${sourceVersion ?? '(default branch)'} is commit ${head}`);
    return { ok: true, resolvedSourceVersion: head, repoUrl: location };
  } catch (error) {
    if (signal.aborted) throw error;
    const stderr = (error as { stderr?: string }).stderr?.trim();
    return { ok: false, message: `git could not fetch ${location}${sourceVersion ? ` at ${sourceVersion}` : ''}: ${stderr || (error instanceof Error ? error.message : String(error))}` };
  }
}

/** A commit, a branch (as origin/<branch>) or a tag; with a shallow clone, fetched by name first. */
async function checkout(git: (args: string[], cwd?: string) => Promise<string>, dir: string, version: string, depth: string[]): Promise<void> {
  for (const candidate of [`origin/${version}`, version]) {
    const ok = await git(['rev-parse', '--verify', '--quiet', `${candidate}^{commit}`], dir).then(() => true, () => false);
    if (ok) {
      await git(['checkout', '--quiet', '--detach', candidate], dir);
      return;
    }
  }
  await git(['fetch', '--quiet', ...depth, 'origin', version], dir);
  await git(['checkout', '--quiet', '--detach', 'FETCH_HEAD'], dir);
}
