/**
 * `nagare build` without a server: finds the buildspec, resolves the source version from git,
 * keeps the per-project build number in the state directory, and hands everything to the runner.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { BuildSpec } from '../core/buildspec.js';
import type { Executor } from '../core/executor.js';
import { isNagareError, NagareError } from '../core/errors.js';
import { readConfinedFile } from '../executors/confine.js';
import { parseBuildspec } from '../spec/buildspec.js';
import type { BatchMembership, BuildIdentity } from './environment.js';
import type { LogSink } from '../executors/command-log.js';
import { openLogCopy } from './log-copy.js';
import { StaticParameterSource } from './parameters.js';
import type { BuildRecord } from './result.js';
import { runBuild } from './runner.js';
import { openSourceCopy } from './source-copy.js';

const execFileAsync = promisify(execFile);

export interface LocalBuildOptions {
  readonly sourceDir: string;
  /**
   * Build in `sourceDir` itself (`--in-place`). Otherwise the build runs in a fresh copy under
   * `<stateDir>/sources/`, removed when it ends.
   */
  readonly inPlace?: boolean;
  /** A path (relative to the current directory or the source) or an inline buildspec. */
  readonly buildspec: string | undefined;
  readonly projectName: string;
  readonly artifactsDir: string;
  readonly reportsDir: string | undefined;
  readonly cacheDir: string;
  /** The largest cache save in bytes; 5 GiB when absent. */
  readonly cacheLimitBytes?: number;
  readonly stateDir: string;
  readonly overrides: Readonly<Record<string, string>>;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly timeoutInMinutes: number;
  /** Bytes of log kept (finding 11); default 256 MiB. */
  readonly logLimitBytes?: number | undefined;
  readonly region: string;
  readonly initiator: string;
  readonly image: string;
  readonly executor: Executor;
  readonly log: LogSink;
  readonly signal?: AbortSignal;
  readonly clock?: () => number;
  /** Set when this build is one entry of a batch (`nagare build` of a batch buildspec). */
  readonly batch?: BatchMembership | undefined;
}

export interface LoadedBuildspec {
  readonly spec: BuildSpec;
  /** Where it came from, as shown in the log. */
  readonly location: string;
}

/**
 * Reads and validates the buildspec; throws SpecErrors, BUILD_BUILDSPEC_NOT_FOUND, or
 * BUILD_PATH_ESCAPES when a buildspec inside the source (`buildspec.yml` is the source's own
 * file) really leads out of it, e.g. `ln -s /etc/shadow buildspec.yml`. A path the user names on
 * the command line outside the source is theirs to name and is read as it is.
 */
export async function loadBuildspec(sourceDir: string, buildspec: string | undefined): Promise<LoadedBuildspec> {
  if (buildspec !== undefined && isInline(buildspec)) return { spec: parseBuildspec(buildspec, '<inline>'), location: '<inline>' };
  const candidates = buildspec === undefined ? [path.join(sourceDir, 'buildspec.yml')] : [path.resolve(buildspec), path.resolve(sourceDir, buildspec)];
  const source = path.resolve(sourceDir);
  for (const file of candidates) {
    const relative = path.relative(source, file);
    const inSource = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
    const text = inSource ? await readSourceBuildspec(source, relative) : await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) return { spec: parseBuildspec(text, path.relative(process.cwd(), file) || file), location: file };
  }
  throw new NagareError('BUILD_BUILDSPEC_NOT_FOUND', `No buildspec at ${candidates.join(' or ')}; pass --buildspec PATH or put a buildspec.yml in the source directory`);
}

/**
 * A buildspec file of the source, read only where its real path stays inside the source and
 * never through a link swapped in at the last moment; undefined when there is none.
 */
export async function readSourceBuildspec(sourceDir: string, name: string): Promise<string | undefined> {
  try {
    return (await readConfinedFile(sourceDir, name)).toString('utf8');
  } catch (error) {
    if (isNagareError(error)) {
      throw new NagareError('BUILD_PATH_ESCAPES', `The buildspec ${name} is not read: ${error.message}`, { details: { path: name } });
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** The buildspec's warnings as `file:line:column: warning: message` lines. */
export function buildspecWarnings(spec: BuildSpec): string[] {
  return spec.warnings.map((w) => `${w.position.file}:${w.position.line}:${w.position.column}: warning: ${w.message}`);
}

function isInline(value: string): boolean {
  return value.includes('\n') || /^\s*version\s*:/.test(value);
}

export async function runLocalBuild(options: LocalBuildOptions, loaded: LoadedBuildspec): Promise<BuildRecord> {
  const original = path.resolve(options.sourceDir);
  const info = await stat(original).catch(() => undefined);
  if (!info?.isDirectory()) throw new NagareError('BUILD_SOURCE_NOT_FOUND', `Source directory ${original} does not exist`);
  if (options.inPlace) return buildIn(original, options, loaded);
  const stateDir = path.resolve(options.stateDir);
  const sourcesDir = path.join(stateDir, 'sources');
  // The state directory is left out when it lies in the source; when it is the source itself
  // (--state-dir .), only the folder the copies go to is.
  const copy = await openSourceCopy(original, sourcesDir, encodeURIComponent(options.projectName), stateDir === original ? sourcesDir : stateDir);
  try {
    return await buildIn(copy.dir, options, loaded);
  } finally {
    await copy.dispose();
  }
}

async function buildIn(sourceDir: string, options: LocalBuildOptions, loaded: LoadedBuildspec): Promise<BuildRecord> {
  const clock = options.clock ?? Date.now;
  // Independent, and each waits on a process or the disk: at once rather than one after the other.
  const [git, buildNumber] = await Promise.all([gitInfo(sourceDir), nextBuildNumber(options.stateDir, options.projectName)]);
  // The log is kept beside the build numbers: CODEBUILD_BUILD_URL points at it.
  const logFile = path.join(path.resolve(options.stateDir), 'logs', encodeURIComponent(options.projectName), `${buildNumber}.log`);
  await mkdir(path.dirname(logFile), { recursive: true });
  const logCopy = openLogCopy(logFile, options.log);
  const identity: BuildIdentity = {
    buildId: `${options.projectName}:${randomUUID()}`,
    buildNumber,
    projectName: options.projectName,
    region: options.region,
    accountId: '000000000000',
    initiator: options.initiator,
    image: options.image,
    sourceDir,
    startTime: clock(),
    sourceVersion: git.head,
    resolvedSourceVersion: git.head,
    sourceRepoUrl: git.remoteUrl,
    secondarySources: {},
    batch: options.batch,
    buildUrl: pathToFileURL(logFile).href,
  };
  try {
    return await runBuild({
      identity,
      buildspec: loaded.spec,
      buildspecLocation: loaded.location,
      executor: options.executor,
      overrides: options.overrides,
      parameters: new StaticParameterSource(options.parameters),
      artifactsDir: path.resolve(options.artifactsDir),
      reportsDir: options.reportsDir === undefined ? undefined : path.resolve(options.reportsDir),
      cacheRoot: path.resolve(options.cacheDir),
      cacheLimitBytes: options.cacheLimitBytes,
      timeoutInMinutes: options.timeoutInMinutes,
      logLimitBytes: options.logLimitBytes,
      log: {
        write: (text) => { options.log.write(text); logCopy.write(text); },
        writeBytes: (bytes) => {
          if (options.log.writeBytes) options.log.writeBytes(bytes);
          else options.log.write(bytes.toString('utf8'));
          logCopy.write(bytes);
        },
      },
      clock,
      signal: options.signal,
    });
  } finally {
    logCopy.close();
  }
}

/** HEAD and the origin URL when the source is a git work tree (CODEBUILD_RESOLVED_SOURCE_VERSION). */
export async function gitInfo(dir: string): Promise<{ head: string | undefined; remoteUrl: string | undefined }> {
  const git = async (...args: string[]): Promise<string | undefined> =>
    execFileAsync('git', ['-C', dir, ...args], { timeout: 10_000 }).then((r) => r.stdout.trim() || undefined, () => undefined);
  // Most sources without git have no `.git` above them: spawning git for nothing cost a few ms of start-up.
  if (process.env.GIT_DIR === undefined && !(await gitEntryAbove(path.resolve(dir)))) return { head: undefined, remoteUrl: undefined };
  const inside = await git('rev-parse', '--is-inside-work-tree');
  if (inside !== 'true') return { head: undefined, remoteUrl: undefined };
  const [head, remoteUrl] = await Promise.all([git('rev-parse', 'HEAD'), git('remote', 'get-url', 'origin')]);
  return { head, remoteUrl };
}

/** Whether `dir` or a directory above it holds a `.git` (a repository, or a work tree's link to one). */
async function gitEntryAbove(dir: string): Promise<boolean> {
  for (let current = dir; ; current = path.dirname(current)) {
    if (await stat(path.join(current, '.git')).then(() => true, () => false)) return true;
    if (path.dirname(current) === current) return false;
  }
}

/**
 * Per-project build counter, kept in `<stateDir>/build-numbers/<project>`. An exclusive lock file
 * keeps two builds started at once from taking the same number.
 */
export async function nextBuildNumber(stateDir: string, projectName: string): Promise<number> {
  const dir = path.join(stateDir, 'build-numbers');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, encodeURIComponent(projectName));
  const lock = `${file}.lock`;
  for (let attempt = 0; ; attempt += 1) {
    const handle = await open(lock, 'wx').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST' && attempt < 1000) return undefined;
      throw error;
    });
    if (!handle) {
      // A lock left by a killed process is taken over after 10 s.
      const held = await stat(lock).catch(() => undefined);
      if (held && Date.now() - held.mtimeMs > 10_000) await rm(lock, { force: true });
      await new Promise((resolve) => setTimeout(resolve, 25));
      continue;
    }
    try {
      const previous = Number.parseInt(await readFile(file, 'utf8').catch(() => '0'), 10);
      const next = (Number.isFinite(previous) ? previous : 0) + 1;
      await writeFile(`${file}.tmp`, String(next));
      await rename(`${file}.tmp`, file);
      return next;
    } finally {
      await handle.close();
      await rm(lock, { force: true });
    }
  }
}
