/**
 * The local build cache (reference §1.11, decision 5) in a directory:
 *   <cacheRoot>/projects/<project>/  one mutable entry per project (no `key`)
 *   <cacheRoot>/keys/<key>/          one immutable entry per key, shared by every project
 *   <cacheRoot>/tmp/                 entries being written; renamed into place when complete
 * Each entry holds `entry.json` and one `data/<n>.tar` archive per cached path. Like CodeBuild's
 * local custom cache it caches directories only. A cache problem is a warning in the log and
 * never fails the build: these functions do not reject. Entries of the older layout (`data/<n>/`
 * directories) are read as misses: a cache is a cache.
 *
 * Finding 2 of issue 7: the agent never touches a cache path itself. Every path, relative,
 * absolute (`/root/.m2`), with `..` or through a symlinked directory, is packed and unpacked by
 * the build itself with `tar`, run through the build's own shell (`runInBuild`): in the container
 * for Docker builds, as the build's user for shell builds. A path means what it means to the
 * build, and the build reaches only what it could reach anyway; no path is resolved or followed
 * here, so "confined by real path" has nothing left to confine. Archives pass through a staging
 * directory (cache-staging.ts) that the agent opens without following links.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { CacheSpec } from '../core/buildspec.js';
import { shellQuote } from '../executors/shells.js';
import { describe, type CacheStaging } from './cache-staging.js';

/** A save whose archives together exceed this is skipped with a warning. */
export const DEFAULT_CACHE_LIMIT_BYTES = 5 * 1024 ** 3;

/** The status of a script run as the build and its merged output. */
export interface ScriptOutcome {
  readonly status: number;
  readonly output: string;
}

export interface CacheContext {
  /** Directory holding every cache entry; created when missing. */
  readonly cacheRoot: string;
  readonly projectName: string;
  /** Relative cache paths are relative to it (as seen by the build). */
  readonly sourceDir: string;
  /** The build's staging directory, visible to the build at the same path. */
  readonly staging: CacheStaging;
  /** Largest save, all archives together. */
  readonly limitBytes: number;
  /** Runs a POSIX sh script as the build, in a subshell of its own session. */
  readonly runInBuild: (script: string) => Promise<ScriptOutcome>;
}

export interface CacheRestoreResult {
  readonly log: readonly string[];
  readonly restored: boolean;
  /** The key of the entry restored (the exact key or the one a fallback prefix matched). */
  readonly restoredKey?: string;
}

export interface CacheSaveResult {
  readonly log: readonly string[];
  readonly saved: boolean;
  readonly savedKey?: string;
}

interface EntryManifest {
  readonly key: string | undefined;
  readonly projectName: string;
  readonly createdAt: number;
  /** Each cached path as written (normalised) and its archive under `data/`. */
  readonly paths: readonly { readonly path: string; readonly archive: string }[];
}

class CacheProblem extends Error {}

/** Exit statuses of the save script that are answers, not failures. */
const MISSING = 3;
const NOT_A_DIRECTORY = 4;
/** 128 + SIGXFSZ: tar went past `ulimit -f`. */
const FILE_SIZE_EXCEEDED = 128 + 25;

/** Restore the cache before INSTALL; a miss or a problem leaves the source as it was. */
export async function restoreCache(spec: CacheSpec, ctx: CacheContext): Promise<CacheRestoreResult> {
  const log: string[] = [];
  if (!spec.restore) return { log: ['Cache action is save: not restoring the cache'], restored: false };
  const placed: string[] = [];
  try {
    const paths = cachePaths(spec);
    const found = await findEntry(spec, ctx, log);
    if (!found) return { log, restored: false };
    for (const [index, written] of paths.entries()) {
      const stored = found.manifest.paths.find((entryPath) => entryPath.path === written);
      if (!stored) {
        log.push(`Cache entry has no ${written}; skipping it`);
        continue;
      }
      const name = `restore-${index}.tar`;
      placed.push(name);
      await copyIntoStaging(path.join(found.dir, 'data', stored.archive), ctx.staging, name);
      const script = `cd ${shellQuote(ctx.sourceDir)} || exit 1; p=${shellQuote(asOperand(written))}; mkdir -p "$p" && tar -xof ${shellQuote(ctx.staging.archivePath(name))} -C "$p"`;
      const outcome = await ctx.runInBuild(script);
      if (outcome.status !== 0) throw new CacheProblem(`cannot unpack ${written} as the build (${lastLine(outcome)})`);
      log.push(`Restored ${written} from the cache`);
    }
    return { log, restored: true, ...(found.manifest.key === undefined ? {} : { restoredKey: found.manifest.key }) };
  } catch (error) {
    log.push(`Warning: unable to restore the cache: ${describe(error)}`);
    return { log, restored: false };
  } finally {
    await ctx.staging.clear(placed);
  }
}

/** Save the cache after a successful BUILD; an existing key entry is never replaced. */
export async function saveCache(spec: CacheSpec, ctx: CacheContext): Promise<CacheSaveResult> {
  const log: string[] = [];
  if (!spec.save) return { log: ['Cache action is restore: not saving the cache'], saved: false };
  const entry = path.join(ctx.cacheRoot, 'tmp', `entry-${randomBytes(6).toString('hex')}`);
  const packed: string[] = [];
  try {
    const paths = cachePaths(spec);
    const target = entryDir(spec, ctx);
    if (spec.key !== undefined && (await exists(target))) {
      log.push(`Cache entry for key ${spec.key} already exists; not saving (keyed entries are immutable)`);
      return { log, saved: false };
    }
    const stored: { path: string; archive: string }[] = [];
    let bytes = 0;
    // Only the agent reads the store: a build reaches its cache through its own staging directory.
    await mkdir(ctx.cacheRoot, { recursive: true, mode: 0o700 });
    await mkdir(path.join(entry, 'data'), { recursive: true });
    for (const written of paths) {
      const archive = `${stored.length}.tar`;
      const name = `save-${archive}`;
      packed.push(name);
      // `ulimit -f` stops tar at the limit instead of letting it fill the disk first; its unit is
      // 512 bytes in sh and 1,024 in bash, so the exact check is the size of the archive below.
      const blocks = Math.ceil((ctx.limitBytes - bytes) / 512) + 1;
      const script = `cd ${shellQuote(ctx.sourceDir)} || exit 1; p=${shellQuote(asOperand(written))}; [ -e "$p" ] || exit ${MISSING}; [ -d "$p" ] || exit ${NOT_A_DIRECTORY}; ulimit -f ${blocks} 2>/dev/null; tar -cf ${shellQuote(ctx.staging.archivePath(name))} -C "$p" .`;
      const outcome = await ctx.runInBuild(script);
      if (outcome.status === FILE_SIZE_EXCEEDED) throw new CacheProblem(`the cache is larger than the limit of ${ctx.limitBytes} bytes; not saving it`);
      if (outcome.status === MISSING) {
        log.push(`Cache path ${written} does not exist; skipping it`);
        continue;
      }
      if (outcome.status === NOT_A_DIRECTORY) throw new CacheProblem(`${written} is a file: only directories can be cached locally`);
      if (outcome.status !== 0) throw new CacheProblem(`cannot pack ${written} as the build (${lastLine(outcome)})`);
      bytes += await copyOutOfStaging(ctx.staging, name, path.join(entry, 'data', archive), ctx.limitBytes - bytes);
      stored.push({ path: written, archive });
    }
    if (stored.length === 0) {
      log.push('None of the cache paths exist; nothing to save');
      return { log, saved: false };
    }
    const manifest: EntryManifest = { key: spec.key, projectName: ctx.projectName, createdAt: Date.now(), paths: stored };
    await writeFile(path.join(entry, 'entry.json'), JSON.stringify(manifest, null, 2));
    const saved = await publish(entry, target, spec.key !== undefined, ctx.cacheRoot);
    log.push(saved ? `Saved ${stored.length} path(s) to the cache${spec.key === undefined ? '' : ` under key ${spec.key}`}` : `Cache entry for key ${spec.key ?? ''} was saved by another build meanwhile; keeping it`);
    return { log, saved, ...(saved && spec.key !== undefined ? { savedKey: spec.key } : {}) };
  } catch (error) {
    log.push(`Warning: unable to save the cache: ${describe(error)}`);
    return { log, saved: false };
  } finally {
    await rm(entry, { recursive: true, force: true }).catch(() => undefined);
    await ctx.staging.clear(packed);
  }
}

/** A `paths` item: `dir`, `dir/`, `dir/**` and `dir/**\/*` all mean the directory `dir`. */
function cachePaths(spec: CacheSpec): string[] {
  if (spec.paths.length === 0) throw new CacheProblem('no paths specified to be cached');
  return spec.paths.map((written) => {
    const directory = written.replace(/(\/\*\*(\/\*)?|\/)+$/, '') || '/';
    if (/[*?[\]{}]/.test(directory)) throw new CacheProblem(`${written}: only directories can be cached locally (a glob can end in /**/* only)`);
    return path.posix.normalize(directory);
  });
}

/** `./` keeps a relative path that starts with `-` from reading as an option of mkdir or tar. */
function asOperand(written: string): string {
  return written.startsWith('/') ? written : `./${written}`;
}

/**
 * Copies (never renames) the build's archive into the store, so that the stored file belongs to
 * the agent and the build cannot change it later; at most `remaining` bytes.
 */
async function copyOutOfStaging(staging: CacheStaging, name: string, destination: string, remaining: number): Promise<number> {
  const handle = await staging.openArchive(name);
  try {
    const { size } = await handle.stat();
    if (size > remaining) throw new CacheProblem(`the cache is larger than the limit (${remaining} bytes left); not saving it`);
    if (size === 0) throw new CacheProblem(`the archive of ${name} is empty`);
    // `end` bounds the copy to the size checked, even if something keeps appending to the file.
    await pipeline(handle.createReadStream({ start: 0, end: size - 1 }), createWriteStream(destination, { flags: 'wx', mode: 0o600 }));
    return size;
  } finally {
    await handle.close();
  }
}

async function copyIntoStaging(source: string, staging: CacheStaging, name: string): Promise<void> {
  const input = await open(source, 'r');
  try {
    const output = await staging.createArchive(name);
    try {
      await pipeline(input.createReadStream(), output.createWriteStream());
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}

function entryDir(spec: CacheSpec, ctx: CacheContext): string {
  return spec.key === undefined ? path.join(ctx.cacheRoot, 'projects', safeName(ctx.projectName)) : path.join(ctx.cacheRoot, 'keys', safeName(spec.key));
}

/** A file name for any key: bytes outside `[A-Za-z0-9_-]` percent-encoded; long names end in a hash. */
export function safeName(key: string): string {
  const encoded = [...Buffer.from(key)].map((byte) => (/[A-Za-z0-9_-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
  if (encoded.length <= 200) return encoded || '%';
  return `${encoded.slice(0, 130)}~${createHash('sha256').update(key).digest('hex')}`;
}

async function findEntry(spec: CacheSpec, ctx: CacheContext, log: string[]): Promise<{ dir: string; manifest: EntryManifest } | undefined> {
  if (spec.key === undefined) {
    if (spec.fallbackKeys.length > 0) log.push('Cache fallback-keys are ignored without a key');
    const dir = entryDir(spec, ctx);
    const manifest = await readManifest(dir);
    log.push(manifest ? `Restoring the project cache of ${ctx.projectName}` : `No cache saved yet for project ${ctx.projectName}`);
    return manifest ? { dir, manifest } : undefined;
  }
  const exact = entryDir(spec, ctx);
  const manifest = await readManifest(exact);
  if (manifest) {
    log.push(`Cache hit for key ${spec.key}`);
    return { dir: exact, manifest };
  }
  log.push(`Cache miss for key ${spec.key}`);
  const keysDir = path.join(ctx.cacheRoot, 'keys');
  const names = await readdir(keysDir).catch(() => [] as string[]);
  const entries = (await Promise.all(names.map(async (name) => ({ dir: path.join(keysDir, name), manifest: await readManifest(path.join(keysDir, name)) })))).filter(
    (entry): entry is { dir: string; manifest: EntryManifest } => entry.manifest?.key !== undefined,
  );
  for (const prefix of spec.fallbackKeys.slice(0, 5)) {
    const newest = entries.filter((entry) => entry.manifest.key?.startsWith(prefix)).sort((a, b) => b.manifest.createdAt - a.manifest.createdAt)[0];
    if (newest) {
      log.push(`Cache fallback key ${prefix} matched ${newest.manifest.key ?? ''}`);
      return newest;
    }
    log.push(`Cache fallback key ${prefix} matched nothing`);
  }
  return undefined;
}

/** The entry's manifest, or undefined when missing, unreadable or of the older layout (a miss). */
async function readManifest(dir: string): Promise<EntryManifest | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path.join(dir, 'entry.json'), 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { key, projectName, createdAt, paths } = value as Record<string, unknown>;
  if ((key !== undefined && typeof key !== 'string') || typeof projectName !== 'string' || typeof createdAt !== 'number' || !Array.isArray(paths)) return undefined;
  const archives = paths.flatMap((item: unknown) => {
    const { path: written, archive } = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    return typeof written === 'string' && typeof archive === 'string' && /^[0-9]+\.tar$/.test(archive) ? [{ path: written, archive }] : [];
  });
  if (archives.length !== paths.length) return undefined;
  return { key, projectName, createdAt, paths: archives };
}

/**
 * Move a complete staged entry into place. A keyed entry is only ever created (the rename fails
 * if another build got there first); a project entry replaces the previous one, which is first
 * moved aside so that a reader never sees a half-written directory.
 */
async function publish(staging: string, target: string, immutable: boolean, cacheRoot: string): Promise<boolean> {
  await mkdir(path.dirname(target), { recursive: true });
  if (immutable) {
    try {
      await rename(staging, target);
      return true;
    } catch (error) {
      if (['EEXIST', 'ENOTEMPTY'].includes((error as NodeJS.ErrnoException).code ?? '')) return false;
      throw error;
    }
  }
  const previous = path.join(cacheRoot, 'tmp', `previous-${randomBytes(6).toString('hex')}`);
  const hadPrevious = await rename(target, previous).then(() => true, () => false);
  await rename(staging, target);
  if (hadPrevious) await rm(previous, { recursive: true, force: true });
  return true;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

/** The last line of a script's output, for a one-line warning. */
function lastLine(outcome: ScriptOutcome): string {
  const line = outcome.output.trim().split('\n').at(-1)?.trim() ?? '';
  return line === '' ? `exit status ${outcome.status}` : `exit status ${outcome.status}: ${line.slice(0, 200)}`;
}
