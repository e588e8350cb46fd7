/**
 * A read-only view of the files under one directory of the build's source, as the artifact and
 * report globs see it: every file once, by its path relative to that directory, with symlinks
 * classified by where they point. Nothing here follows a link out of the source directory.
 */
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isInsideRoot } from '../executors/confine.js';

/** One selectable thing under a directory. */
export type TreeLeaf =
  /** A regular file, or a symlink to a file inside the source directory (its content is stored). */
  | { readonly kind: 'file'; readonly rel: string; readonly abs: string }
  /** A symlink kept as a link: `enable-symlinks` is on and it points inside the source directory. */
  | { readonly kind: 'symlink'; readonly rel: string; readonly abs: string }
  /** A symlink (to a file or a directory) that resolves outside the source directory. */
  | { readonly kind: 'escaping'; readonly rel: string; readonly abs: string; readonly target: string; readonly directory: boolean }
  /** A symlink whose target does not exist. */
  | { readonly kind: 'dangling'; readonly rel: string; readonly abs: string };

export interface TreeOptions {
  /** realpath of the source directory: the boundary nothing may leave. */
  readonly sourceRoot: string;
  readonly enableSymlinks: boolean;
}

/** The one inside-test, shared with `confine`. */
export const isInside = isInsideRoot;

/**
 * All leaves under `dirAbs` (which must be inside the source directory), sorted by path. Symlinked
 * directories inside the source are descended (once per chain, so a loop ends), unless links are
 * kept, in which case the link itself is the leaf. Empty directories yield nothing.
 */
export async function listTree(dirAbs: string, options: TreeOptions): Promise<TreeLeaf[]> {
  const leaves: TreeLeaf[] = [];
  const start = await realpath(dirAbs);
  await walk(dirAbs, '', new Set([start]), options, leaves);
  return leaves;
}

async function walk(dirAbs: string, relPrefix: string, ancestors: Set<string>, options: TreeOptions, out: TreeLeaf[]): Promise<void> {
  const names = (await readdir(dirAbs)).sort();
  for (const name of names) {
    const abs = path.join(dirAbs, name);
    const rel = relPrefix === '' ? name : `${relPrefix}/${name}`;
    const info = await lstat(abs);
    if (info.isDirectory()) {
      await walk(abs, rel, ancestors, options, out);
    } else if (info.isSymbolicLink()) {
      const leaf = await classifyLink(abs, rel, options);
      if (leaf.kind === 'file' && (await stat(abs)).isDirectory()) {
        const target = await realpath(abs);
        if (!ancestors.has(target)) await walk(abs, rel, new Set([...ancestors, target]), options, out);
      } else {
        out.push(leaf);
      }
    } else if (info.isFile()) {
      out.push({ kind: 'file', rel, abs });
    }
  }
}

/** A link as a leaf; `file` here may still be a directory, which the caller descends. */
export async function classifyLink(abs: string, rel: string, options: TreeOptions): Promise<TreeLeaf> {
  let target: string;
  try {
    target = await realpath(abs);
  } catch {
    const text = await readlink(abs);
    const lexical = path.resolve(path.dirname(abs), text);
    const keepable = options.enableSymlinks && isInside(options.sourceRoot, lexical);
    return keepable ? { kind: 'symlink', rel, abs } : { kind: 'dangling', rel, abs };
  }
  if (!isInside(options.sourceRoot, target)) {
    const directory = (await stat(target)).isDirectory();
    return { kind: 'escaping', rel, abs, target, directory };
  }
  return options.enableSymlinks ? { kind: 'symlink', rel, abs } : { kind: 'file', rel, abs };
}

/** Directories (relative to `dirAbs`) up to `maxDepth` levels deep, not entering symlinked ones. */
export async function listDirectories(dirAbs: string, maxDepth: number, relPrefix = ''): Promise<{ rel: string; abs: string }[]> {
  if (maxDepth <= 0) return [];
  const found: { rel: string; abs: string }[] = [];
  let names: string[];
  try {
    names = (await readdir(dirAbs)).sort();
  } catch {
    return found;
  }
  for (const name of names) {
    const abs = path.join(dirAbs, name);
    const rel = relPrefix === '' ? name : `${relPrefix}/${name}`;
    const info = await lstat(abs);
    if (info.isDirectory()) {
      found.push({ rel, abs }, ...(await listDirectories(abs, maxDepth - 1, rel)));
    } else if (info.isSymbolicLink()) {
      const target = await stat(abs).catch(() => undefined);
      if (target?.isDirectory()) found.push({ rel, abs });
    }
  }
  return found;
}
