/**
 * The glob engine shared by artifacts and reports (reference §1.10, decision 6): which files a
 * `base-directory` + `files` + `exclude-paths` + `discard-paths` selection takes from the source
 * directory, with the log lines CodeBuild prints while doing it. A selection that cannot be made is
 * a CLIENT_ERROR result, never an exception: the caller fails its phase with that context.
 */
import { lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { isNagareError } from '../core/errors.js';
import { confine } from '../executors/confine.js';
import { isInside, listDirectories, listTree, type TreeLeaf } from './source-tree.js';

export interface FileSelectionSpec {
  readonly files: readonly string[];
  readonly baseDirectory: string | undefined;
  readonly excludePaths: readonly string[];
  readonly discardPaths: boolean;
  readonly enableSymlinks: boolean;
}

export interface SelectedFile {
  /** Path inside the zip (or report directory), relative to its base directory, `/`-separated. */
  readonly zipPath: string;
  readonly absolutePath: string;
  /**
   * Where to read it: its real path (every link on the way resolved, checked inside the source by
   * `confine`), so that readers can open it with O_NOFOLLOW; for a kept link, the link itself.
   */
  readonly readPath: string;
  /** `symlink`: store the link itself; `file`: store the content (following a link if it is one). */
  readonly kind: 'file' | 'symlink';
}

export interface SelectionFailure {
  readonly statusCode: 'CLIENT_ERROR';
  readonly message: string;
}

export type FileSelection =
  | { readonly ok: true; readonly entries: readonly SelectedFile[]; readonly log: readonly string[] }
  | { readonly ok: false; readonly context: SelectionFailure; readonly log: readonly string[] };

/** What is being selected, for messages: `artifact` or `report`. */
export type SelectionNoun = 'artifact' | 'report';

const GLOB_OPTIONS = { dot: true } as const;

class SelectionError extends Error {}

/** Select the files of one artifact or report group. */
export async function selectFiles(spec: FileSelectionSpec, sourceDir: string, noun: SelectionNoun): Promise<FileSelection> {
  const log: string[] = [];
  try {
    const sourceRoot = await realpath(sourceDir).catch(() => {
      throw new SelectionError(`source directory ${sourceDir} does not exist`);
    });
    const entries = await confined(await select(spec, sourceDir, sourceRoot, noun, log), sourceRoot, noun);
    log.push(`Found ${entries.length} file(s)`);
    if (entries.length === 0) return failure(`no matching ${noun} paths found`, log);
    return { ok: true, entries, log };
  } catch (error) {
    if (error instanceof SelectionError) return failure(error.message, log);
    throw error;
  }
}

function failure(message: string, log: string[]): FileSelection {
  return { ok: false, context: { statusCode: 'CLIENT_ERROR', message }, log };
}

async function select(spec: FileSelectionSpec, sourceDir: string, sourceRoot: string, noun: SelectionNoun, log: string[]): Promise<SelectedFile[]> {
  const base = baseDirectoryPattern(spec.baseDirectory, sourceDir, sourceRoot);
  log.push(`Expanding base directory path: ${base}`, 'Assembling file list', `Expanding ${base}`);
  const baseDirs = await expandBaseDirectory(base, sourceRoot, log);
  const patterns = spec.files.map((file) => filePattern(relativeToBase(file, base, sourceDir, sourceRoot), noun));
  const excluded = exclusionTest(spec.excludePaths);
  const selected: { file: SelectedFile; sourceRel: string }[] = [];
  for (const dir of baseDirs) {
    log.push(`Expanding file paths for base directory ${dir.rel}`, 'Assembling file list');
    const leaves = await listTree(dir.abs, { sourceRoot, enableSymlinks: spec.enableSymlinks });
    for (const [index, pattern] of patterns.entries()) {
      log.push(`Expanding ${spec.files[index] ?? pattern.text}`);
      for (const leaf of matchPattern(pattern, leaves, log)) {
        if (excluded(leaf.rel)) continue;
        if (leaf.kind === 'escaping') throw new SelectionError(escapeMessage(noun, joinRel(dir.rel, leaf.rel), leaf.target));
        if (leaf.kind === 'dangling') {
          log.push(`Skipping invalid file path ${leaf.rel}`);
          continue;
        }
        const zipPath = spec.discardPaths ? path.posix.basename(leaf.rel) : leaf.rel;
        selected.push({ file: { zipPath, absolutePath: leaf.abs, readPath: leaf.abs, kind: leaf.kind }, sourceRel: joinRel(dir.rel, leaf.rel) });
      }
    }
  }
  return withoutDuplicates(selected, spec.discardPaths);
}

/**
 * The selection is read with the agent's rights, so each file goes through the one confine rule
 * once more, as the last check before reading: the tree walk classifies links, this pins the real
 * path the readers open (with O_NOFOLLOW) and refuses anything that now leads out.
 */
async function confined(entries: readonly SelectedFile[], sourceRoot: string, noun: SelectionNoun): Promise<SelectedFile[]> {
  // Many files share a directory: each directory is confined once, then only the last component
  // is looked at (and confined in full when it is a link, which kind `file` follows).
  const directories = new Map<string, Promise<string>>();
  const realDirectory = (dir: string): Promise<string> => {
    let real = directories.get(dir);
    if (real === undefined) directories.set(dir, (real = confine(sourceRoot, dir)));
    return real;
  };
  const pinned: SelectedFile[] = [];
  for (const entry of entries) {
    try {
      const inDirectory = path.join(await realDirectory(path.dirname(entry.absolutePath)), path.basename(entry.absolutePath));
      const isLink = entry.kind === 'file' && (await lstat(inDirectory)).isSymbolicLink();
      pinned.push({ ...entry, readPath: isLink ? await confine(sourceRoot, inDirectory) : inDirectory });
    } catch (error) {
      if (!isNagareError(error)) throw error;
      throw new SelectionError(`${noun} path ${path.relative(sourceRoot, entry.absolutePath)} resolves outside the source directory; only paths inside the source directory can be uploaded`);
    }
  }
  return pinned;
}

function joinRel(dir: string, rel: string): string {
  return dir === '.' ? rel : `${dir}/${rel}`;
}

function escapeMessage(noun: SelectionNoun, rel: string, target: string): string {
  return `${noun} path ${rel} resolves outside the source directory (symlink to ${target}); only paths inside the source directory can be uploaded`;
}

/** `base-directory` as a `/`-separated pattern relative to the source directory (`.` when absent). */
function baseDirectoryPattern(baseDirectory: string | undefined, sourceDir: string, sourceRoot: string): string {
  if (baseDirectory === undefined || baseDirectory.trim() === '') return '.';
  let base = baseDirectory;
  if (path.isAbsolute(base)) {
    // `$CODEBUILD_SRC_DIR/dist` is common in real buildspecs; it is fine while it stays inside.
    const within = [path.resolve(sourceDir), sourceRoot].find((root) => isInside(root, path.resolve(base)));
    if (within === undefined) throw new SelectionError(`base-directory ${baseDirectory} is outside the source directory`);
    base = path.relative(within, path.resolve(base)) || '.';
  }
  const normalized = path.posix.normalize(base.replace(/\/+$/, '') || '.');
  if (normalized === '..' || normalized.startsWith('../')) {
    throw new SelectionError(`base-directory ${baseDirectory} resolves outside the source directory`);
  }
  return normalized;
}

async function expandBaseDirectory(base: string, sourceRoot: string, log: string[]): Promise<{ rel: string; abs: string }[]> {
  const notFound = new SelectionError(`no matching base directory path found for ${base}`);
  if (!picomatch.scan(base).isGlob) {
    const abs = path.join(sourceRoot, base);
    const info = await stat(abs).catch(() => undefined);
    if (!info?.isDirectory()) {
      log.push(`Skipping invalid file path ${base}`);
      throw notFound;
    }
    await assertInside(abs, sourceRoot, `base-directory ${base}`);
    return [{ rel: base, abs }];
  }
  const scanned = picomatch.scan(base);
  const start = scanned.base === '' ? '.' : scanned.base;
  const depth = base.includes('**') ? Number.POSITIVE_INFINITY : base.split('/').length - (start === '.' ? 0 : start.split('/').length);
  const isMatch = picomatch(base, GLOB_OPTIONS);
  const candidates = await listDirectories(path.join(sourceRoot, start), depth);
  const matched = candidates.map((dir) => ({ rel: joinRel(start, dir.rel), abs: dir.abs })).filter((dir) => isMatch(dir.rel));
  if (matched.length === 0) throw notFound;
  for (const dir of matched) await assertInside(dir.abs, sourceRoot, `base-directory ${dir.rel}`);
  return matched;
}

async function assertInside(abs: string, sourceRoot: string, what: string): Promise<void> {
  const real = await realpath(abs);
  if (!isInside(sourceRoot, real)) throw new SelectionError(`${what} resolves outside the source directory (to ${real})`);
}

/**
 * `$CODEBUILD_SRC_DIR/out/*` (an absolute path once expanded) inside the base directory is the
 * same as `out/*` written relative to it; any other absolute path stays absolute (and is refused).
 */
function relativeToBase(file: string, base: string, sourceDir: string, sourceRoot: string): string {
  if (!path.isAbsolute(file) || picomatch.scan(base).isGlob) return file;
  for (const root of [path.resolve(sourceDir), sourceRoot]) {
    const baseDir = path.join(root, base);
    const resolved = path.resolve(file);
    if (resolved === baseDir) return '.';
    if (isInside(baseDir, resolved)) return path.relative(baseDir, resolved).split(path.sep).join('/') + (file.endsWith('/') ? '/' : '');
  }
  return file;
}

interface FilePattern {
  readonly text: string;
  readonly glob: boolean;
  readonly isMatch: (rel: string) => boolean;
}

/** One `files` entry, refused when absolute or when `..` leads out of its base directory. */
function filePattern(file: string, noun: SelectionNoun): FilePattern {
  if (path.isAbsolute(file)) {
    throw new SelectionError(`${noun} path ${file} is absolute; paths in files are relative to the base directory`);
  }
  const text = path.posix.normalize(file.replace(/\/+$/, '') || '.');
  if (text === '..' || text.startsWith('../')) {
    throw new SelectionError(`${noun} path ${file} resolves outside the base directory; paths must stay inside the source directory`);
  }
  const glob = picomatch.scan(text).isGlob;
  return { text, glob, isMatch: glob ? picomatch(text, GLOB_OPTIONS) : () => false };
}

/**
 * Leaves a pattern takes. A glob takes the files it matches (a directory it matches is not
 * expanded: `dir/*` is the files directly in `dir`); a plain path takes that file, or every file
 * under it when it is a directory. A link out of the source is taken when the pattern reaches it.
 */
function matchPattern(pattern: FilePattern, leaves: readonly TreeLeaf[], log: string[]): TreeLeaf[] {
  if (pattern.glob) {
    return leaves.filter((leaf) => pattern.isMatch(leaf.rel) || (leaf.kind === 'escaping' && leaf.directory && pattern.isMatch(`${leaf.rel}/x`)));
  }
  if (pattern.text === '.') return [...leaves];
  const taken = leaves.filter((leaf) => leaf.rel === pattern.text || leaf.rel.startsWith(`${pattern.text}/`));
  const through = leaves.find((leaf) => leaf.kind === 'escaping' && pattern.text.startsWith(`${leaf.rel}/`));
  if (through) return [through];
  if (taken.length === 0) log.push(`Skipping invalid file path ${pattern.text}`);
  return taken;
}

/** `exclude-paths`: globs (`*` within one name, `**` across); a plain directory excludes its files. */
function exclusionTest(excludePaths: readonly string[]): (rel: string) => boolean {
  if (excludePaths.length === 0) return () => false;
  const normalized = excludePaths.map((p) => path.posix.normalize(p.replace(/\/+$/, '') || '.'));
  const isMatch = picomatch(normalized, GLOB_OPTIONS);
  const plain = normalized.filter((p) => !picomatch.scan(p).isGlob);
  return (rel) => isMatch(rel) || plain.some((p) => rel.startsWith(`${p}/`));
}

/** The same file taken twice is kept once; two files stored under one name is an error. */
function withoutDuplicates(selected: readonly { file: SelectedFile; sourceRel: string }[], discardPaths: boolean): SelectedFile[] {
  const byZipPath = new Map<string, { file: SelectedFile; sourceRel: string }>();
  for (const item of selected) {
    const seen = byZipPath.get(item.file.zipPath);
    if (seen === undefined) {
      byZipPath.set(item.file.zipPath, item);
    } else if (seen.file.absolutePath !== item.file.absolutePath) {
      const why = discardPaths ? 'discard-paths: yes stores' : 'two base directories store';
      throw new SelectionError(`${why} both ${seen.sourceRel} and ${item.sourceRel} as ${item.file.zipPath}; rename one or exclude it`);
    }
  }
  return [...byZipPath.values()].map((item) => item.file);
}
