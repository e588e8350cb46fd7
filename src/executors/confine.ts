/**
 * The one rule for every file nagare reads or writes on a build's behalf with the agent's own
 * rights (sources, input zips, cache inside the source, the buildspec, later the appspec):
 * `confine(root, name)` resolves the name the way the kernel would, one component at a time,
 * following every link, and refuses it unless where it really lands is inside `realpath(root)`.
 * Callers then open the returned path with O_NOFOLLOW, so its last component is never a link.
 *
 * It lives in executors/ because build/ and deploy/ both need it and must not import each other.
 *
 * Limits (time of check to time of use): the answer is true when it is computed. A process that
 * can write inside `root` at the same time (a build still running, a background job it left) can
 * swap a directory for a link between `confine` and the `open`. O_NOFOLLOW covers the last
 * component only. So callers use it where the build's own processes are not running in that tree
 * (before the build starts, after it ended), or accept that a race can at worst read a file the
 * build could read anyway when it runs with the same rights.
 */
import { constants } from 'node:fs';
import { lstat, open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { NagareError } from '../core/errors.js';

/** Linux's MAXSYMLINKS: more links than this in one resolution is a loop. */
const MAX_LINKS = 40;

export function isInsideRoot(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * Where `name` (relative to `root`, or absolute) really is: the real path of its longest existing
 * prefix, every link on the way resolved, with the not-yet-existing rest appended. Throws
 * BUILD_PATH_ESCAPES naming `name` when that is outside `realpath(root)` or when the links loop;
 * the message does not say where outside it leads (that would tell a build about the host).
 * A dangling link counts as the place it points to (creating through it would land there).
 */
export async function confine(root: string, name: string): Promise<string> {
  const realRoot = await realpath(root);
  const resolved = await resolveReal(realRoot, name, name);
  if (!isInsideRoot(realRoot, resolved)) {
    throw new NagareError('BUILD_PATH_ESCAPES', `The path ${name} leads outside ${realRoot} (through .., an absolute path or a symbolic link); nagare only reads and writes inside it on a build's behalf`, { details: { path: name } });
  }
  return resolved;
}

async function resolveReal(realRoot: string, name: string, shown: string): Promise<string> {
  const state = { links: 0 };
  const resolved = await walk({ path: path.isAbsolute(name) ? '/' : realRoot, missing: 0 }, name, state, shown);
  return resolved.path;
}

/** A real path whose last `missing` components do not exist (so no link can be among them). */
interface Resolved {
  readonly path: string;
  readonly missing: number;
}

/** Applies each component of `name` to `start` in turn, as the kernel would. */
async function walk(start: Resolved, name: string, state: { links: number }, shown: string): Promise<Resolved> {
  let current = start;
  for (const component of name.split('/')) {
    if (component === '' || component === '.') continue;
    if (component === '..') {
      // The parent of a real path is real; popping a missing component may reach existing ones again.
      current = { path: path.dirname(current.path), missing: Math.max(0, current.missing - 1) };
      continue;
    }
    const next = path.join(current.path, component);
    // Below something missing (or below a file) nothing exists either; the name is only appended.
    const info = current.missing > 0 ? undefined : await lstat(next).catch(absentOnly);
    if (info === undefined) {
      current = { path: next, missing: current.missing + 1 };
    } else if (!info.isSymbolicLink()) {
      current = { path: next, missing: 0 };
    } else {
      state.links += 1;
      if (state.links > MAX_LINKS) {
        throw new NagareError('BUILD_PATH_ESCAPES', `The path ${shown} goes through more than ${MAX_LINKS} symbolic links (a loop?); nagare refuses it`, { details: { path: shown } });
      }
      const target = await readlink(next);
      current = await walk(path.isAbsolute(target) ? { path: '/', missing: 0 } : current, target, state, shown);
    }
  }
  return current;
}

/** Nothing there (or a file where a directory would be): the rest of the name is only appended. */
function absentOnly(error: NodeJS.ErrnoException): undefined {
  if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
  throw error;
}

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Opens `name` under `root` for reading: confined, then as `openRegularFile`. */
export async function openConfinedForReading(root: string, name: string): Promise<FileHandle> {
  return openRegularFile(await confine(root, name), name);
}

/**
 * Opens a path that `confine` returned, for reading, with O_NOFOLLOW (a link swapped in since is
 * refused, not followed) and O_NONBLOCK (a FIFO cannot hang the agent); only a regular file is
 * kept. `shown` names it in errors. A missing file rejects with the usual ENOENT error.
 */
export async function openRegularFile(file: string, shown: string): Promise<FileHandle> {
  const handle = await open(file, READ_FLAGS).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ELOOP') throw new NagareError('BUILD_PATH_ESCAPES', `The path ${shown} was replaced by a symbolic link while nagare opened it`, { details: { path: shown } });
    throw error;
  });
  const info = await handle.stat();
  if (!info.isFile()) {
    await handle.close();
    throw new NagareError('BUILD_PATH_ESCAPES', `The path ${shown} is not a regular file`, { details: { path: shown } });
  }
  return handle;
}

/** The whole content of a confined regular file (see openConfinedForReading). */
export async function readConfinedFile(root: string, name: string): Promise<Buffer> {
  const handle = await openConfinedForReading(root, name);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * Creates a new file at an already confined path: O_CREAT | O_EXCL | O_NOFOLLOW, so it never
 * writes through a link or over anything that is already there.
 */
export function createExclusive(file: string, mode: number): Promise<FileHandle> {
  return open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
}
