/**
 * DownloadBundle on the host: the revision (zip, tar, tgz or a directory) is unpacked into the
 * deployment's `deployment-archive` directory. A revision is someone else's output, so:
 * - zip goes through executors/unzip.ts (names leading out refused, nothing written through a link);
 * - tar and tgz are unpacked by GNU tar (as the agent does, `tar -xpsf`) into a fresh empty
 *   directory: GNU tar refuses member names with `..`, strips a leading `/`, and creates links
 *   that point elsewhere only after every file is written, so no file is written through one;
 *   a non-zero exit fails the event;
 * - a directory is copied with its links kept as links;
 * and in every case each link of the result is then checked with `confine`: one leading out of
 * the revision fails the event.
 * Like the agent, a revision whose only top-level entry is a directory holding an appspec is
 * moved up one level.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rename, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { NagareError } from '../core/errors.js';
import { confine } from '../executors/confine.js';
import { DEFAULT_UNZIP_LIMITS, unzipInto } from '../executors/unzip.js';

export type BundleType = 'zip' | 'tar' | 'tgz' | 'directory';

/** The largest bundle file accepted; a zip or tgz may unpack to at most DEFAULT_UNZIP_LIMITS. */
export const MAX_BUNDLE_BYTES = 4 * 1024 ** 3;

/** Unpacks `bundle` into `archiveDir` (which must not exist yet); keeps a copy of a file bundle as `bundleCopy`. */
export async function unpackBundle(bundle: { readonly path: string; readonly type: BundleType }, archiveDir: string, bundleCopy: string): Promise<void> {
  const info = await stat(bundle.path).catch(() => undefined);
  if (info === undefined) throw bundleError(`The bundle ${bundle.path} does not exist`);
  if (bundle.type === 'directory') {
    if (!info.isDirectory()) throw bundleError(`The bundle ${bundle.path} is not a directory, but the bundle type is directory; give --type zip, tar or tgz`);
    await copyDirectory(bundle.path, archiveDir);
  } else {
    if (!info.isFile()) throw bundleError(`The bundle ${bundle.path} is not a file, but the bundle type is ${bundle.type}`);
    if (info.size > MAX_BUNDLE_BYTES) throw bundleError(`The bundle is ${info.size} bytes, more than the ${MAX_BUNDLE_BYTES} nagare accepts`);
    await mkdir(path.dirname(bundleCopy), { recursive: true });
    await copyFile(bundle.path, bundleCopy);
    await mkdir(archiveDir, { recursive: true });
    if (bundle.type === 'zip') await unzipInto(await readFile(bundleCopy), archiveDir);
    else {
      // A tar is no larger unpacked than the file; a tgz is listed first so that a gzip bomb fails clearly.
      if (bundle.type === 'tgz') await checkTgzSize(bundleCopy);
      await untar(bundleCopy, archiveDir, bundle.type === 'tgz');
    }
  }
  await checkLinks(archiveDir);
  await stripSingleTopDirectory(archiveDir);
}

function bundleError(message: string): NagareError {
  return new NagareError('BUILD_ARCHIVE_INVALID', message);
}

function untar(file: string, into: string, gzip: boolean): Promise<void> {
  // --no-same-owner: the revision's files belong to the agent's user, never to ids named in the archive.
  const args = ['-x', gzip ? '-z' : '', '-p', '--no-same-owner', '--no-overwrite-dir', '-f', file, '-C', into].filter((arg) => arg !== '');
  return runTool('tar', args, `The bundle is not a readable ${gzip ? 'tgz' : 'tar'} archive or has entries leading out of it`);
}

/** Sums the sizes `tar -tvz` lists and refuses the bundle past the unzip limits, before anything is written. */
async function checkTgzSize(file: string): Promise<void> {
  const { maxBytes, maxEntries } = DEFAULT_UNZIP_LIMITS;
  let bytes = 0;
  let entries = 0;
  let partial = '';
  const count = (line: string): void => {
    // `-rw-r--r-- user/group 1234 2024-01-01 12:00 name`: the size is the third field.
    const size = Number(line.trim().split(/\s+/)[2]);
    if (Number.isFinite(size)) bytes += size;
    entries += 1;
  };
  await runTool('tar', ['-t', '-v', '-z', '-f', file], 'The bundle is not a readable tgz archive', (chunk) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    lines.forEach(count);
    if (bytes > maxBytes || entries > maxEntries) return false;
    return true;
  });
  if (partial !== '') count(partial);
  if (bytes > maxBytes || entries > maxEntries) throw bundleError(`The bundle unpacks to more than ${maxBytes} bytes or ${maxEntries} entries, the most a revision may`);
}

/**
 * A directory bundle copied with cp: links stay links, modes and times are kept, owners are not
 * (one process instead of a Node call per file: a tenth of the time for a revision of many files).
 */
async function copyDirectory(from: string, into: string): Promise<void> {
  await mkdir(into, { recursive: true });
  await runTool('cp', ['-R', '--no-dereference', '--preserve=mode,timestamps,links', '--', `${from}/.`, into], `The bundle directory ${from} could not be copied`);
}

/** Runs a tool; `onOutput` sees its stdout and may return false to stop it early (then it resolves). */
function runTool(program: string, args: readonly string[], failure: string, onOutput?: (chunk: Buffer) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', onOutput ? 'pipe' : 'ignore', 'pipe'] });
    let stopped = false;
    child.stdout?.on('data', (chunk: Buffer) => {
      if (!stopped && onOutput?.(chunk) === false) {
        stopped = true;
        child.kill('SIGKILL');
      }
    });
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (errors.length < 4096) errors += chunk.toString();
    });
    child.on('error', (error) => reject(bundleError(`${program} could not be run: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0 || stopped) resolve();
      else reject(bundleError(`${failure} (${program} exited with ${String(code)}): ${errors.trim().split('\n').slice(0, 5).join('; ')}`));
    });
  });
}

/** Every link inside `root` must resolve inside it. */
async function checkLinks(root: string): Promise<void> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isSymbolicLink()) continue;
    const name = path.relative(root, path.join(entry.parentPath, entry.name));
    await confine(root, name);
  }
}

/** The agent's rule: one top-level directory with a file named like /appspec/i in it is the revision's root. */
async function stripSingleTopDirectory(archiveDir: string): Promise<void> {
  const top = await readdir(archiveDir, { withFileTypes: true });
  const only = top[0];
  if (top.length !== 1 || only === undefined || !only.isDirectory()) return;
  const inner = path.join(archiveDir, only.name);
  const children = await readdir(inner);
  if (!children.some((name) => /appspec/i.test(name))) return;
  const moved = path.join(archiveDir, `.nagare-strip-${process.pid}`);
  await rename(inner, moved);
  for (const name of children) await rename(path.join(moved, name), path.join(archiveDir, name));
  await rmdir(moved);
}

/** The appspec's name in a revision: appspec.yaml first, then appspec.yml (the agent's order). */
export async function findAppSpec(revisionDir: string, override?: string): Promise<string | undefined> {
  const names = override === undefined ? ['appspec.yaml', 'appspec.yml'] : [override];
  for (const name of names) {
    const info = await stat(path.join(revisionDir, name)).catch(() => undefined);
    if (info?.isFile()) return name;
  }
  return undefined;
}
