/**
 * DOWNLOAD_SOURCE on the agent: the job's source in a fresh directory. NO_SOURCE is an empty
 * directory; GIT is a `git clone` of the location (a URL or a path on this host), checked out at
 * the source version when one is given. A failure is the build's (a wrong URL or version), so it
 * comes back as a message, not an exception.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BuildJob } from '../core/build-job.js';
import { isNagareError } from '../core/errors.js';
import { unzipInto } from '../executors/unzip.js';

const execFileAsync = promisify(execFile);

export type SourceResult =
  | { readonly ok: true; readonly resolvedSourceVersion: string | undefined; readonly repoUrl: string | undefined; readonly secondarySources?: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly message: string };

export interface SourceOptions {
  readonly signal: AbortSignal;
  /** The environment git runs with (the agent's own). */
  readonly environment: Readonly<Record<string, string>>;
  readonly log: (line: string) => void;
  /** Fetches one of the job's pipeline input artifacts (CODEPIPELINE source). */
  readonly downloadInput?: (name: string) => Promise<Buffer>;
}

export async function prepareSource(job: BuildJob, dir: string, { signal, environment, log, downloadInput }: SourceOptions): Promise<SourceResult> {
  await mkdir(dir, { recursive: true });
  const { type, location, sourceVersion, gitCloneDepth } = job.source;
  if (type === 'NO_SOURCE') return { ok: true, resolvedSourceVersion: undefined, repoUrl: undefined };
  if (type === 'CODEPIPELINE') return pipelineInputs(job, dir, log, downloadInput);
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

/**
 * CODEPIPELINE: the primary input artifact becomes the source directory, each other one a
 * directory beside it, named for CODEBUILD_SRC_DIR_<name> (reference §3.2).
 */
async function pipelineInputs(job: BuildJob, dir: string, log: (line: string) => void, download: SourceOptions['downloadInput']): Promise<SourceResult> {
  const inputs = job.inputArtifacts ?? [];
  if (!download) return { ok: false, message: 'This agent cannot download pipeline input artifacts' };
  const primary = job.primarySource ?? inputs[0]?.name;
  const secondarySources: Record<string, string> = {};
  for (const input of inputs) {
    const target = input.name === primary ? dir : path.join(path.dirname(dir), `src_${input.name}`);
    const files = await unzipInto(await download(input.name), target).catch((error: unknown) => {
      if (isNagareError(error)) return `Input artifact ${input.name} cannot be unpacked: ${error.describe()}`;
      throw error;
    });
    // A zip that tries to write outside, or is not a zip, is the build's failure, not the agent's.
    if (typeof files === 'string') return { ok: false, message: files };
    log(`Input artifact ${input.name}: ${files} files in ${target}`);
    if (input.name !== primary) secondarySources[input.name] = target;
  }
  return { ok: true, resolvedSourceVersion: job.source.sourceVersion, repoUrl: undefined, secondarySources };
}
