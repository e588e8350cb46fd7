/**
 * A batch's combined artifact (CodePipeline's `CombineArtifacts`, the buildspec's
 * `combine-artifacts`): the primary artifact zips of its builds merged into one zip, each build's
 * files under a folder named after its identifier (AWS does not document the layout; this one
 * keeps builds from overwriting each other). Zips are read from the blob store by range, entry by
 * entry, and the result is streamed into the store: no zip is held in memory whole. yauzl refuses
 * absolute and `..` entry names; modes (links included) are kept.
 */
import { PassThrough, type Readable } from 'node:stream';
import yauzl from 'yauzl';
import yazl from 'yazl';
import type { BlobStore } from '../../blobs/blob-store.js';
import { NagareError } from '../../core/errors.js';

export interface CombinedPart {
  readonly identifier: string;
  readonly blobKey: string;
}

/** Writes the combined zip under `targetKey`; resolves with its size once stored. */
export async function combineArtifactZips(blobs: BlobStore, parts: readonly CombinedPart[], targetKey: string, maxBytes: number): Promise<number> {
  const zip = new yazl.ZipFile();
  const opened: yauzl.ZipFile[] = [];
  try {
    for (const part of parts) {
      const archive = await openBlobZip(blobs, part.blobKey);
      opened.push(archive);
      for (const entry of await entriesOf(archive)) {
        const name = `${part.identifier}/${entry.fileName}`;
        const mode = entry.externalFileAttributes >>> 16;
        const mtime = entry.getLastModDate();
        if (entry.fileName.endsWith('/')) {
          zip.addEmptyDirectory(name, { mtime, ...(mode ? { mode } : {}) });
          continue;
        }
        zip.addReadStreamLazy(name, { mtime, ...(mode ? { mode } : {}) }, (ready) => {
          archive.openReadStream(entry, (error, stream) => ready(error, stream));
        });
      }
    }
    zip.end();
    const written = await blobs.put(targetKey, zip.outputStream as AsyncIterable<Uint8Array>, { maxBytes });
    return written.bytes;
  } finally {
    for (const archive of opened) archive.close();
  }
}

/** Reads a blob as a zip, by ranges. */
async function openBlobZip(blobs: BlobStore, key: string): Promise<yauzl.ZipFile> {
  const size = await blobs.size(key);
  if (size === undefined) throw new NagareError('BLOB_NOT_FOUND', `The artifact ${key} to combine is gone`, { details: { key } });
  const reader = new BlobRangeReader(blobs, key);
  return new Promise((resolve, reject) => {
    yauzl.fromRandomAccessReader(reader, size, { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true }, (error, archive) => (error ? reject(invalid(key, error)) : resolve(archive)));
  });
}

function entriesOf(archive: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    archive.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      archive.readEntry();
    });
    archive.on('end', () => resolve(entries));
    archive.on('error', reject);
    archive.readEntry();
  });
}

class BlobRangeReader extends yauzl.RandomAccessReader {
  constructor(private readonly blobs: BlobStore, private readonly key: string) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const stream = new PassThrough();
    const copy = async (): Promise<void> => {
      for await (const chunk of await this.blobs.read(this.key, { offset: start, length: end - start })) {
        if (!stream.write(chunk)) await new Promise((resolve) => stream.once('drain', resolve));
      }
      stream.end();
    };
    copy().catch((error: unknown) => stream.destroy(error instanceof Error ? error : new Error(String(error))));
    return stream;
  }
}

function invalid(key: string, cause: Error): NagareError {
  return new NagareError('BUILD_ARCHIVE_INVALID', `The artifact ${key} is not a zip that can be combined: ${cause.message}`, { cause, details: { key } });
}
