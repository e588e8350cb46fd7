/**
 * The Install event on the host, as the CodeDeploy agent's installer (§2.2): remove what the last
 * Install of the group created (its cleanup file), plan the copies and directories of `files`,
 * check the plan (two sources for one destination, a file where a directory goes), apply
 * `file_exists_behavior` to destinations that exist, then carry the plan out, recording every
 * created path in the new cleanup file as it is created, so that a kill leaves nothing installed
 * unrecorded. Permissions are applied afterwards (permissions.ts).
 */
import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, open, readFile, readdir, readlink, rmdir, symlink, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import type { AppSpec, FileExistsBehavior } from '../core/appspec.js';
import { confine } from '../executors/confine.js';
import { writeFileAtomically } from './deployment-root.js';

/** File operations in flight at once: libuv's thread pool has 4 threads; 8 keeps it busy. */
const BATCH = 8;

export type Instruction =
  | { readonly kind: 'mkdir'; readonly target: string }
  | { readonly kind: 'copy'; readonly source: string; readonly target: string };

/** An Install that cannot go on; its message says why, for the event's diagnostics. */
export class InstallError extends Error {
  override readonly name = 'InstallError';
}

export interface InstallRequest {
  readonly appSpec: AppSpec;
  readonly revisionDir: string;
  readonly fileExistsBehavior: FileExistsBehavior;
  readonly cleanupFile: string;
  readonly installFile: string;
}

/** Carries out the Install; returns the paths it installed (for permissions). */
export async function installFiles(request: InstallRequest): Promise<string[]> {
  await removePreviousInstall(request.cleanupFile);
  const plan = await planInstall(request.appSpec, request.revisionDir);
  const { instructions, retained } = await applyFileExistsBehavior(plan, request.fileExistsBehavior);
  await writeFileAtomically(request.installFile, JSON.stringify({ instructions: plan, retained }, null, 2));
  const cleanup = await open(request.cleanupFile, 'w');
  const installed: string[] = [];
  try {
    // Directories first, in order (parents before children); then the copies, a few at a time.
    for (const instruction of instructions) {
      if (instruction.kind !== 'mkdir') continue;
      const created = await mkdir(instruction.target).then(() => true, (error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') return false;
        throw error;
      });
      if (created) await cleanup.write(`${instruction.target}\n`);
      installed.push(instruction.target);
    }
    const copies = instructions.filter((instruction) => instruction.kind === 'copy');
    for (let start = 0; start < copies.length; start += BATCH) {
      const batch = copies.slice(start, start + BATCH);
      // Recorded before they are created: a kill in between leaves lines the next cleanup skips.
      await cleanup.write(batch.map((copy) => `${copy.target}\n`).join(''));
      await Promise.all(batch.map((copy) => copyEntry(copy.source, copy.target)));
      installed.push(...batch.map((copy) => copy.target));
    }
  } finally {
    await cleanup.close();
  }
  return installed;
}

/** Removes, last first, what the previous Install created: files and links; directories only when empty. */
async function removePreviousInstall(cleanupFile: string): Promise<void> {
  const text = await readFile(cleanupFile, 'utf8').catch(() => '');
  const paths = text.split('\n').filter((line) => path.isAbsolute(line));
  const infos = await inBatches(paths, (target) => lstat(target).catch(() => undefined));
  const files = paths.filter((_target, at) => infos[at] !== undefined && !infos[at]?.isDirectory());
  await inBatches(files, (target) => unlink(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  }));
  // Directories last, deepest first, and only when nothing else is left in them.
  const directories = paths.filter((_target, at) => infos[at]?.isDirectory() === true).reverse();
  for (const target of directories) {
    await rmdir(target).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST' && error.code !== 'ENOENT') throw error;
    });
  }
}

/** The mkdir and copy instructions of `files`, in order, refusing conflicting destinations. */
export async function planInstall(appSpec: AppSpec, revisionDir: string): Promise<Instruction[]> {
  const instructions: Instruction[] = [];
  const copies = new Map<string, string>();
  const directories = new Set<string>();
  const addDirectory = (target: string): void => {
    if (copies.has(target)) throw new InstallError(`The appspec installs a file at ${target} and also makes a directory there`);
    if (directories.has(target)) return;
    directories.add(target);
    instructions.push({ kind: 'mkdir', target });
  };
  const addCopy = (source: string, target: string): void => {
    const other = copies.get(target);
    if (other !== undefined) throw new InstallError(`The appspec installs two files at ${target} (from ${path.relative(revisionDir, other)} and ${path.relative(revisionDir, source)}); give them different destinations`);
    if (directories.has(target)) throw new InstallError(`The appspec makes a directory at ${target} and also installs a file there`);
    copies.set(target, source);
    instructions.push({ kind: 'copy', source, target });
  };
  for (const mapping of appSpec.files) {
    const source = await confine(revisionDir, mapping.source).catch(() => {
      throw new InstallError(`The appspec's files source ${mapping.source} leads out of the revision`);
    });
    const info = await lstat(source).catch(() => undefined);
    if (info === undefined) throw new InstallError(`The appspec's files source ${mapping.source} does not exist in the revision`);
    for (const ancestor of await missingAncestors(mapping.destination)) addDirectory(ancestor);
    if (info.isDirectory()) {
      addDirectory(mapping.destination);
      await planDirectory(source, mapping.destination, addDirectory, addCopy);
    } else {
      addDirectory(mapping.destination);
      addCopy(source, path.join(mapping.destination, path.basename(source)));
    }
  }
  return instructions;
}

async function planDirectory(source: string, target: string, addDirectory: (target: string) => void, addCopy: (source: string, target: string) => void): Promise<void> {
  const entries = await readdir(source, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    if (entry.isDirectory()) {
      addDirectory(to);
      await planDirectory(from, to, addDirectory, addCopy);
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      addCopy(from, to);
    }
  }
}

/** The ancestors of `destination` (outermost first) that do not exist yet. */
async function missingAncestors(destination: string): Promise<string[]> {
  const missing: string[] = [];
  for (let dir = path.dirname(destination); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if ((await lstat(dir).catch(() => undefined)) !== undefined) break;
    missing.unshift(dir);
  }
  return missing;
}

/** DISALLOW fails on a destination file that exists; OVERWRITE replaces it; RETAIN keeps it and copies nothing. */
async function applyFileExistsBehavior(plan: readonly Instruction[], behavior: FileExistsBehavior): Promise<{ instructions: Instruction[]; retained: string[] }> {
  const instructions: Instruction[] = [];
  const retained: string[] = [];
  const existing: string[] = [];
  const infos = await inBatches(plan, (instruction) => lstat(instruction.target).catch(() => undefined));
  for (const [at, instruction] of plan.entries()) {
    const info = infos[at];
    if (instruction.kind === 'mkdir') {
      if (info !== undefined && !info.isDirectory()) throw new InstallError(`The appspec makes a directory at ${instruction.target}, but a file is there`);
      instructions.push(instruction);
    } else if (info === undefined) {
      instructions.push(instruction);
    } else if (info.isDirectory()) {
      throw new InstallError(`The appspec installs a file at ${instruction.target}, but a directory is there`);
    } else if (behavior === 'DISALLOW') {
      existing.push(instruction.target);
    } else if (behavior === 'RETAIN') {
      retained.push(instruction.target);
    } else {
      await unlink(instruction.target);
      instructions.push(instruction);
    }
  }
  if (existing.length > 0) {
    const shown = existing.slice(0, 5).join(', ') + (existing.length > 5 ? ` and ${existing.length - 5} more` : '');
    throw new InstallError(`The deployment failed because a specified file already exists at this location: ${shown}. Files not installed by the previous deployment are kept unless the deployment's file exists behavior is OVERWRITE or RETAIN`);
  }
  return { instructions, retained };
}

/** Copies a file keeping its mode and times, or recreates a link as a link. */
async function copyEntry(source: string, target: string): Promise<void> {
  const info = await lstat(source);
  if (info.isSymbolicLink()) {
    await symlink(await readlink(source), target);
    return;
  }
  await copyFile(source, target, constants.COPYFILE_EXCL);
  await utimes(target, info.atime, info.mtime);
}

/** `map` over `items` a few at a time (about the thread pool's width), keeping their order. */
async function inBatches<T, R>(items: readonly T[], map: (item: T) => Promise<R>, width = BATCH): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += width) results.push(...(await Promise.all(items.slice(start, start + width).map(map))));
  return results;
}
