/**
 * The BlobStore of `nagare up`: one file per blob under a root directory. Puts write a temporary
 * file beside the target and rename it into place (atomic on POSIX file systems); appends fsync
 * before resolving, so a log chunk acknowledged to an agent survives a crash of the server.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { NagareError } from '../core/errors.js';
import { blobKeySegments } from './blob-key.js';
import type { BlobStore, PutOptions, PutResult, ReadOptions } from './blob-store.js';

const READ_CHUNK_BYTES = 64 * 1024;

export class FilesystemBlobStore implements BlobStore {
  private readonly rootDir: string;

  constructor(rootDir: string) {
    this.rootDir = resolve(rootDir);
  }

  async put(key: string, body: AsyncIterable<Uint8Array> | Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    const path = this.pathOf(key);
    await this.makeParent(path, key);
    // '#' cannot occur in a key, so no key names a temporary file.
    const temporary = `${path}#${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(temporary, 'wx', 0o644);
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      for await (const chunk of body instanceof Uint8Array ? [body] : body) {
        bytes += chunk.byteLength;
        if (options.maxBytes !== undefined && bytes > options.maxBytes) {
          throw new NagareError('BLOB_TOO_LARGE', `The blob ${key} is larger than the limit of ${options.maxBytes} bytes.`, {
            details: { key, maxBytes: options.maxBytes },
          });
        }
        hash.update(chunk);
        await writeAll(handle, chunk);
      }
      await handle.sync();
      await handle.close();
      await rename(temporary, path);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await unlink(temporary).catch(() => undefined);
      throw isDirectoryConflict(error) ? conflict(key, error) : error;
    }
    await syncDirectory(dirname(path));
    return { bytes, sha256: hash.digest('hex') };
  }

  async append(key: string, chunk: Uint8Array): Promise<number> {
    const path = this.pathOf(key);
    await this.makeParent(path, key);
    const handle = await open(path, 'a', 0o644).catch((error: unknown) => {
      throw isDirectoryConflict(error) ? conflict(key, error) : error;
    });
    let size: number;
    try {
      await writeAll(handle, chunk);
      await handle.sync();
      size = (await handle.stat()).size;
    } finally {
      await handle.close();
    }
    // The first append created the file: make its directory entry durable too.
    if (size === chunk.byteLength) await syncDirectory(dirname(path));
    return size;
  }

  async read(key: string, options: ReadOptions = {}): Promise<AsyncIterable<Uint8Array>> {
    const offset = options.offset ?? 0;
    const length = options.length ?? Number.POSITIVE_INFINITY;
    if (!Number.isSafeInteger(offset) || offset < 0 || !(length === Number.POSITIVE_INFINITY || (Number.isSafeInteger(length) && length >= 0))) {
      throw new NagareError('API_INVALID_INPUT', `A blob read needs a whole, non-negative offset and length (got ${offset} and ${length}).`);
    }
    const path = this.pathOf(key);
    let handle: FileHandle;
    try {
      // Opening now pins the content: a later put renames a new file over the path, not into this one.
      handle = await open(path, 'r');
    } catch (error) {
      if (isAbsent(error)) throw notFound(key);
      throw error;
    }
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw notFound(key);
    }
    return readRange(handle, offset, length);
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const stats = await stat(this.pathOf(key));
      return stats.isFile() ? stats.size : undefined;
    } catch (error) {
      if (isAbsent(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (error) {
      if (!isAbsent(error)) throw error;
    }
  }

  private pathOf(key: string): string {
    const path = join(this.rootDir, ...blobKeySegments(key));
    // blobKeySegments already forbids escapes; this guards against a future change to it.
    if (!path.startsWith(this.rootDir + sep)) throw new NagareError('API_INVALID_INPUT', `The blob key ${key} leaves the store.`);
    return path;
  }

  private async makeParent(path: string, key: string): Promise<void> {
    try {
      await mkdir(dirname(path), { recursive: true });
    } catch (error) {
      throw isDirectoryConflict(error) ? conflict(key, error) : error;
    }
  }
}

async function* readRange(handle: FileHandle, offset: number, length: number): AsyncGenerator<Uint8Array> {
  try {
    let position = offset;
    let remaining = length;
    while (remaining > 0) {
      const buffer = Buffer.alloc(Math.min(READ_CHUNK_BYTES, remaining));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      remaining -= bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let written = 0;
  while (written < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, written, chunk.byteLength - written);
    written += bytesWritten;
  }
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function isAbsent(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

function isDirectoryConflict(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR';
}

function notFound(key: string): NagareError {
  return new NagareError('BLOB_NOT_FOUND', `There is no blob ${key}.`, { details: { key } });
}

function conflict(key: string, cause: unknown): NagareError {
  return new NagareError('API_INVALID_INPUT', `The blob key ${key} names both a blob and a folder of blobs.`, { details: { key }, cause });
}
