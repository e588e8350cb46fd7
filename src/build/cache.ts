/**
 * The local build cache (reference §1.11, decision 5) in a directory:
 *   <cacheRoot>/projects/<project>/  one mutable entry per project (no `key`)
 *   <cacheRoot>/keys/<key>/          one immutable entry per key, shared by every project
 *   <cacheRoot>/tmp/                 entries being written; renamed into place when complete
 * Each entry holds `entry.json` and one `data/<n>/` directory per cached path. Like CodeBuild's
 * local custom cache it caches directories only. A cache problem is a warning in the log and
 * never fails the build: these functions do not reject.
 */
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CacheSpec } from '../core/buildspec.js';

export interface CacheContext {
  /** Directory holding every cache entry; created when missing. */
  readonly cacheRoot: string;
  readonly projectName: string;
  /** Relative cache paths are relative to it. */
  readonly sourceDir: string;
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
  /** Each cached path as written (normalised) and its directory under `data/`. */
  readonly paths: readonly { readonly path: string; readonly dir: string }[];
}

/** A `paths` item: `dir`, `dir/`, `dir/**` and `dir/**\/*` all mean the directory `dir`. */
interface CachePath {
  readonly written: string;
  readonly absolute: string;
}

class CacheProblem extends Error {}

/** Restore the cache before INSTALL; a miss or a problem leaves the source as it was. */
export async function restoreCache(spec: CacheSpec, ctx: CacheContext): Promise<CacheRestoreResult> {
  const log: string[] = [];
  if (!spec.restore) return { log: ['Cache action is save: not restoring the cache'], restored: false };
  try {
    const paths = cachePaths(spec, ctx);
    const found = await findEntry(spec, ctx, log);
    if (!found) return { log, restored: false };
    for (const item of paths) {
      const stored = found.manifest.paths.find((entryPath) => entryPath.path === item.written);
      if (!stored) {
        log.push(`Cache entry has no ${item.written}; skipping it`);
        continue;
      }
      await mkdir(item.absolute, { recursive: true });
      await cp(path.join(found.dir, 'data', stored.dir), item.absolute, { recursive: true, force: true, verbatimSymlinks: true });
      log.push(`Restored ${item.written} from the cache`);
    }
    return { log, restored: true, ...(found.manifest.key === undefined ? {} : { restoredKey: found.manifest.key }) };
  } catch (error) {
    log.push(`Warning: unable to restore the cache: ${describe(error)}`);
    return { log, restored: false };
  }
}

/** Save the cache after a successful BUILD; an existing key entry is never replaced. */
export async function saveCache(spec: CacheSpec, ctx: CacheContext): Promise<CacheSaveResult> {
  const log: string[] = [];
  if (!spec.save) return { log: ['Cache action is restore: not saving the cache'], saved: false };
  const staging = path.join(ctx.cacheRoot, 'tmp', `entry-${randomBytes(6).toString('hex')}`);
  try {
    const paths = cachePaths(spec, ctx);
    const target = entryDir(spec, ctx);
    if (spec.key !== undefined && (await exists(target))) {
      log.push(`Cache entry for key ${spec.key} already exists; not saving (keyed entries are immutable)`);
      return { log, saved: false };
    }
    const stored: { path: string; dir: string }[] = [];
    for (const item of paths) {
      const info = await stat(item.absolute).catch(() => undefined);
      if (!info) {
        log.push(`Cache path ${item.written} does not exist; skipping it`);
        continue;
      }
      if (!info.isDirectory()) throw new CacheProblem(`${item.written} is a file: only directories can be cached locally`);
      const dir = String(stored.length);
      await cp(item.absolute, path.join(staging, 'data', dir), { recursive: true, verbatimSymlinks: true });
      stored.push({ path: item.written, dir });
    }
    if (stored.length === 0) {
      log.push('None of the cache paths exist; nothing to save');
      return { log, saved: false };
    }
    const manifest: EntryManifest = { key: spec.key, projectName: ctx.projectName, createdAt: Date.now(), paths: stored };
    await mkdir(staging, { recursive: true });
    await writeFile(path.join(staging, 'entry.json'), JSON.stringify(manifest, null, 2));
    const saved = await publish(staging, target, spec.key !== undefined, ctx.cacheRoot);
    log.push(saved ? `Saved ${stored.length} path(s) to the cache${spec.key === undefined ? '' : ` under key ${spec.key}`}` : `Cache entry for key ${spec.key ?? ''} was saved by another build meanwhile; keeping it`);
    return { log, saved, ...(saved && spec.key !== undefined ? { savedKey: spec.key } : {}) };
  } catch (error) {
    log.push(`Warning: unable to save the cache: ${describe(error)}`);
    return { log, saved: false };
  } finally {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}

function cachePaths(spec: CacheSpec, ctx: CacheContext): CachePath[] {
  if (spec.paths.length === 0) throw new CacheProblem('no paths specified to be cached');
  return spec.paths.map((written) => {
    const directory = written.replace(/(\/\*\*(\/\*)?|\/)+$/, '') || '/';
    if (/[*?[\]{}]/.test(directory)) throw new CacheProblem(`${written}: only directories can be cached locally (a glob can end in /**/* only)`);
    const normalized = path.posix.normalize(directory);
    return { written: normalized, absolute: path.resolve(ctx.sourceDir, normalized) };
  });
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

async function readManifest(dir: string): Promise<EntryManifest | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, 'entry.json'), 'utf8')) as EntryManifest;
  } catch {
    return undefined;
  }
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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
