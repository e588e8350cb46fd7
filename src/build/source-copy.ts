/**
 * `nagare build` builds in a fresh copy of the source directory, as CodeBuild and AWS's local
 * build script do, so that a second run starts from the same state as the first and the build
 * never changes the user's tree. `.git` is copied too, so git commands work in the build.
 *
 * The copy is GNU `cp -a --reflink=auto`: on a filesystem that can share blocks (btrfs, XFS)
 * files are cloned, not read and written; elsewhere they are copied. Hard links are never used:
 * a build that writes into a file in place (`>>`, `npm version`) would change the original.
 * Where GNU cp is missing (macOS), Node's copy with COPYFILE_FICLONE does the same more slowly.
 * A directory that must not be copied (the state directory holding the copy itself, when it
 * lies inside the source) is left out.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { cp, lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
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
