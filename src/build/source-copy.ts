/**
 * `nagare build` builds in a fresh copy of the source directory, as CodeBuild and AWS's local
 * build script do, so that a second run starts from the same state as the first and the build
 * never changes the user's tree. `.git` is copied too, so git commands work in the build.
 *
 * `openSourceCopy` gives each build its own folder under `<state>/sources`:
 * - as root on Linux, an overlay mount (as Docker's image layers): the source is its read-only
 *   lower layer and the build's writes go to an upper layer of its own, so a tree of any size is
 *   "copied" in a few milliseconds and a file the build changes is copied up first, never written
 *   in place. Dropped (unmounted, its upper layer removed) when the build ends;
 * - elsewhere, or when the mount is refused (no overlayfs, an upper layer that cannot be one, the
 *   state directory inside the source), a real copy with GNU `cp -a --reflink=auto`: on a
 *   filesystem that can share blocks (btrfs, XFS) files are cloned, not read and written. Hard
 *   links are never used: a build that writes into a file in place (`>>`, `npm version`) would
 *   change the original. Where GNU cp is missing (macOS), Node's copy with COPYFILE_FICLONE.
 * Each folder names its owner's pid: one left by a killed build is dropped by the next build.
 * A directory that must not be copied (the state directory holding the copy itself, when it
 * lies inside the source) is left out.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { chmod, chown, cp, lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { processAlive } from '../executors/process-tree.js';
import { isInside } from './source-tree.js';

const execFileAsync = promisify(execFile);

/** Copies the contents of `from` into `to` (created), links and modes kept, `excluded` left out. */
export async function copySourceTree(from: string, to: string, excluded: string): Promise<void> {
  await mkdir(to, { recursive: true, mode: (await lstat(from)).mode & 0o7777 });
  if (!isInside(from, excluded) || from === excluded) {
    await copyEntries([`${from}/.`], to);
    return;
  }
  const whole: string[] = [];
  for (const name of await readdir(from)) {
    const entry = path.join(from, name);
    if (entry === excluded) continue;
    if (isInside(entry, excluded) && (await lstat(entry)).isDirectory()) await copySourceTree(entry, path.join(to, name), excluded);
    else whole.push(entry);
  }
  if (whole.length > 0) await copyEntries(whole, to);
}

async function copyEntries(entries: readonly string[], to: string): Promise<void> {
  try {
    await execFileAsync('cp', ['-a', '--reflink=auto', '--', ...entries, `${to}/`], { maxBuffer: 1024 * 1024 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !/unrecognized option|illegal option/.test(String((error as { stderr?: unknown }).stderr))) throw error;
    for (const entry of entries) {
      const target = entry.endsWith('/.') ? to : path.join(to, path.basename(entry));
      await cp(entry.endsWith('/.') ? entry.slice(0, -2) : entry, target, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true, mode: constants.COPYFILE_FICLONE });
    }
  }
}

/** A build's own view of its source: `dir` to build in, `dispose` when the build has ended. */
export interface SourceCopy {
  readonly dir: string;
  readonly method: 'overlay' | 'copy';
  dispose(): Promise<void>;
}

/**
 * Trees of at most this many entries are copied even where an overlay could be mounted: `cp -a`
 * of a few hundred small files takes about as long as spawning `mount` and `umount` (~40 ms).
 */
export const OVERLAY_ABOVE_ENTRIES = 400;

/**
 * A fresh copy of `from` under `sourcesDir` (created), by an overlay mount where it can be one
 * and the tree has more than `overlayAboveEntries` entries, else by copying; `excluded` is left
 * out of the copy (an overlay is used only when it lies outside `from`). Copies left by builds
 * that were killed are dropped first.
 */
export async function openSourceCopy(from: string, sourcesDir: string, name: string, excluded: string, overlayAboveEntries = OVERLAY_ABOVE_ENTRIES): Promise<SourceCopy> {
  await mkdir(sourcesDir, { recursive: true });
  await dropAbandoned(sourcesDir);
  const folder = path.join(sourcesDir, `${name}-${randomUUID()}`);
  await mkdir(folder);
  await writeFile(path.join(folder, OWNER_FILE), `${process.pid}\n`);
  const dir = path.join(folder, 'tree');
  // Never throws: a copy that cannot go now (a mount still busy) is left for the next build to drop.
  const dispose = async (mounted: boolean): Promise<void> => {
    if (mounted && !(await unmount(dir))) return;
    await rm(folder, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    if (!(await hasAtMost(from, overlayAboveEntries)) && (await mountOverlay(from, folder, excluded))) return { dir, method: 'overlay', dispose: () => dispose(true) };
    await copySourceTree(from, dir, excluded);
    return { dir, method: 'copy', dispose: () => dispose(false) };
  } catch (error) {
    await dispose(false);
    throw error;
  }
}

const OWNER_FILE = 'owner.pid';

/** Whether the tree under `dir` has at most `limit` entries; the walk stops as soon as it has more. */
async function hasAtMost(dir: string, limit: number): Promise<boolean> {
  let count = 0;
  const pending = [dir];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const entries = await readdir(next, { withFileTypes: true }).catch(() => []);
    count += entries.length;
    if (count > limit) return false;
    for (const entry of entries) if (entry.isDirectory()) pending.push(path.join(next, entry.name));
  }
  return true;
}

/** Characters the overlay mount's option string cannot carry as they are. */
const UNSAFE_MOUNT_PATH = /[,:\\\s]/;

/** Mounts `<folder>/tree` as an overlay of `from`; false where that cannot be done (the caller copies). */
async function mountOverlay(from: string, folder: string, excluded: string): Promise<boolean> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  // A state directory inside the source would be seen through the copy (and be a layer of itself).
  if (isInside(from, excluded) || isInside(excluded, from) || UNSAFE_MOUNT_PATH.test(from) || UNSAFE_MOUNT_PATH.test(folder)) return false;
  const [upper, work, tree] = ['upper', 'work', 'tree'].map((part) => path.join(folder, part)) as [string, string, string];
  await Promise.all([mkdir(upper), mkdir(work), mkdir(tree)]);
  try {
    // The copy's root has the source's owner and mode, as `cp -a` gives it.
    const root = await lstat(from);
    await chown(upper, root.uid, root.gid);
    await chmod(upper, root.mode & 0o7777);
    // redirect_dir: a directory of the source renames as on a real copy (without it, rename(2) is EXDEV).
    await execFileAsync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${from},upperdir=${upper},workdir=${work},redirect_dir=on`, tree], { timeout: 10_000 });
    return true;
  } catch {
    // A mount that went through although `mount` failed (its time ran out) is undone first; one
    // that will not go keeps the folder (the caller's copy then fails, and the next build drops it).
    if (await isMountPoint(tree)) await unmount(tree);
    await Promise.all([upper, work].map((part) => rm(part, { recursive: true, force: true })));
    return false;
  }
}

/**
 * Unmounts an overlay; lazily when something still holds it (a process the build left behind).
 * True when `dir` is no longer a mount point.
 */
async function unmount(dir: string): Promise<boolean> {
  await execFileAsync('umount', [dir], { timeout: 10_000 }).catch(() => execFileAsync('umount', ['-l', dir], { timeout: 10_000 }).catch(() => undefined));
  return !(await isMountPoint(dir));
}

/**
 * Drops the copies whose owner is no longer running (a build killed before it could drop its own).
 * Best effort: a copy that cannot go now (busy, or dropped by another build at the same moment)
 * stays for a later build, and never stops this one.
 */
async function dropAbandoned(sourcesDir: string): Promise<void> {
  for (const entry of await readdir(sourcesDir).catch(() => [])) {
    const folder = path.join(sourcesDir, entry);
    const owner = Number((await readFile(path.join(folder, OWNER_FILE), 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(owner) || owner <= 0 || processAlive(owner)) continue;
    const tree = path.join(folder, 'tree');
    // Never removed through a mount that would not go (though overlayfs never writes its lower layer).
    if ((await isMountPoint(tree)) && !(await unmount(tree))) continue;
    await rm(folder, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** A mount point is on another device than the folder holding it (whatever symlinks its path has). */
async function isMountPoint(dir: string): Promise<boolean> {
  const [inner, outer] = await Promise.all([lstat(dir).catch(() => undefined), lstat(path.dirname(dir)).catch(() => undefined)]);
  return inner !== undefined && outer !== undefined && inner.dev !== outer.dev;
}
