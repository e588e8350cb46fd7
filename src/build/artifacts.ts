/**
 * Build artifacts (reference §1.10, decision 6): which files an `artifacts` (or secondary artifact)
 * block takes, and the zip CodeBuild would upload. A selection that fails is a CLIENT_ERROR result
 * for UPLOAD_ARTIFACTS, never an exception; exceptions mean nagare itself failed (disk, permissions).
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform, type PassThrough } from 'node:stream';
import type { ArtifactSpec } from '../core/buildspec.js';
import { NagareError } from '../core/errors.js';
import { openRegularFile } from '../executors/confine.js';
import type { FileSelection, SelectedFile } from './file-selection.js';
import { selectWithOutside, type OutsideCollector } from './outside-paths.js';

export type ArtifactEntry = SelectedFile;
export type ArtifactFileList = FileSelection;

/** Unix mode of a symlink entry: the file type bits CodeBuild's unzip recognises as a link. */
export const ZIP_SYMLINK_MODE = 0o120777;

/**
 * The files of one artifact, relative to its base directory (or flattened with `discard-paths`).
 * `sourceDir` is the build's source directory: nothing outside it is ever taken.
 */
export function resolveArtifactFiles(spec: ArtifactSpec, sourceDir: string, outside?: OutsideCollector): Promise<ArtifactFileList> {
  return selectWithOutside(
    {
      files: spec.files,
      baseDirectory: spec.baseDirectory,
      excludePaths: spec.excludePaths,
      discardPaths: spec.discardPaths,
      enableSymlinks: spec.enableSymlinks,
    },
    sourceDir,
    'artifact',
    outside,
  );
}

/** An entry name that would land outside the archive root when unpacked: absolute, or with a `..` part. */
export function escapesRoot(zipPath: string): boolean {
  return zipPath.startsWith('/') || zipPath.split(/[\\/]/).some((part) => part === '..');
}

/**
 * Stream `entries` into a new zip at `zipFile` (overwritten if present). Files keep their mode and
 * modification time; symlinks are stored as links (mode 0o120777, the link text as content).
 * Rejects when a file cannot be read or the zip cannot be written.
 */
export async function writeArtifactZip(entries: readonly ArtifactEntry[], zipFile: string): Promise<{ bytes: number; sha256: string }> {
  // Loaded here, for builds with artifacts only: it saves every other `nagare build` ~10 ms of start-up.
  const { default: yazl } = await import('yazl');
  const zip = new yazl.ZipFile();
  // yazl reports unreadable files on the ZipFile, not on its output: fail the output with them.
  zip.on('error', (error: Error) => (zip.outputStream as PassThrough).destroy(error));
  for (const entry of entries) {
    if (escapesRoot(entry.zipPath)) throw new NagareError('BUILD_PATH_ESCAPES', `The artifact entry ${entry.zipPath} would be written outside the folder it is unpacked into; it is refused`, { details: { path: entry.zipPath } });
    if (entry.kind === 'symlink') {
      const [info, text] = await Promise.all([lstat(entry.readPath), readlink(entry.readPath)]);
      zip.addBuffer(Buffer.from(text), entry.zipPath, { mtime: info.mtime, mode: ZIP_SYMLINK_MODE, compress: false });
    } else {
      // readPath is the confined real path: a link swapped in after the selection is not followed.
      const info = await lstat(entry.readPath);
      const options = { mtime: info.mtime, mode: (info.mode & 0o7777) | 0o100000, size: info.size };
      zip.addReadStreamLazy(entry.zipPath, options, (ready) => {
        openRegularFile(entry.readPath, entry.zipPath).then((handle) => ready(null, handle.createReadStream()), (error: unknown) => ready(error, Readable.from([])));
      });
    }
  }
  zip.end();
  const hash = createHash('sha256');
  let bytes = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(zip.outputStream, measure, createWriteStream(zipFile));
  return { bytes, sha256: hash.digest('hex') };
}
