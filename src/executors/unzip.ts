/**
 * Unpacking a zip (pipeline input artifacts, deployment bundles) into a directory, with the agent's own
 * rights. The zip is someone else's output (whoever could push to the pipeline's source), so:
 * - names are refused when absolute or when `..` leads out, and two entries may not share a name;
 * - nothing is ever written through a link: directories are made one component at a time and must
 *   really be directories, files are created with O_CREAT | O_EXCL | O_NOFOLLOW;
 * - a link entry's target must stay inside, read against the entry's own directory, and once
 *   everything is unpacked every link is checked again with `confine` (a link may only escape
 *   through another link that came later, e.g. `x -> l/../..` then `l -> .`);
 * - the entry count and the unpacked bytes are bounded, so a zip bomb fails clearly.
 * No build runs in the directory while it is unpacked, so the checks are not raced.
 */
import { lstat, mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type yauzl from 'yauzl';
import { NagareError } from '../core/errors.js';
import { confine, createExclusive, isInsideRoot } from './confine.js';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
/** The longest link text read from a zip (PATH_MAX). */
const MAX_LINK_TEXT = 4096;

export interface UnzipLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

export const DEFAULT_UNZIP_LIMITS: UnzipLimits = { maxEntries: 1_000_000, maxBytes: 20 * 1024 ** 3 };

/**
 * Unpacks `zip` into `dir` (created if missing) and returns the number of files and links.
 * Rejects with BUILD_PATH_ESCAPES (a name or link leading out) or BUILD_ARCHIVE_INVALID (not a
 * zip, a duplicate name, something in the way, too large); what was unpacked before stays.
 */
export async function unzipInto(zip: Buffer, dir: string, limits: UnzipLimits = DEFAULT_UNZIP_LIMITS): Promise<number> {
  await mkdir(dir, { recursive: true });
  const root = await confine(dir, '.');
  const archive = await openZip(zip);
  try {
    if (archive.entryCount > limits.maxEntries) {
      throw invalid(`The archive has ${archive.entryCount} entries, more than the ${limits.maxEntries} an input artifact may have`);
    }
    const seen = new Set<string>();
    const links: string[] = [];
    let bytes = 0;
    let files = 0;
    for (let entry = await nextEntry(archive); entry !== undefined; entry = await nextEntry(archive)) {
      const name = entryName(entry.fileName);
      if (seen.has(name)) throw invalid(`The archive has two entries named ${name}`);
      seen.add(name);
      const isDirectory = entry.fileName.endsWith('/');
      const isLink = ((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK;
      bytes += entry.uncompressedSize;
      if (bytes > limits.maxBytes) throw invalid(`The archive unpacks to more than ${limits.maxBytes} bytes, the most an input artifact may`);
      if (name === '.') continue;
      const parent = await makeDirectories(root, path.posix.dirname(name));
      const target = path.join(parent, path.posix.basename(name));
      if (isDirectory) {
        await makeDirectories(root, name);
        continue;
      }
      const stream = await openEntry(archive, entry);
      if (isLink) {
        const text = (await readAll(stream, MAX_LINK_TEXT, name)).toString();
        if (path.isAbsolute(text) || !isInsideRoot(root, path.resolve(parent, text))) {
          throw new NagareError('BUILD_PATH_ESCAPES', `The archive's link ${name} points to ${text}, outside the directory it is unpacked in`, { details: { path: name } });
        }
        await symlink(text, target).catch((error: NodeJS.ErrnoException) => inTheWay(error, name));
        links.push(name);
      } else {
        const mode = (entry.externalFileAttributes >>> 16) & 0o777 || 0o644;
        const handle = await createExclusive(target, mode).catch((error: NodeJS.ErrnoException) => inTheWay(error, name));
        await pipeline(stream, handle.createWriteStream());
      }
      files += 1;
    }
    for (const link of links) await confine(root, link);
    return files;
  } finally {
    archive.close();
  }
}

function invalid(message: string): NagareError {
  return new NagareError('BUILD_ARCHIVE_INVALID', message);
}

/** The entry's name, `/`-separated and normalised; absolute names and `..` leading out refused. */
function entryName(fileName: string): string {
  const slashed = fileName.replace(/\\/g, '/');
  const normalised = path.posix.normalize(slashed).replace(/\/+$/, '') || '.';
  if (path.posix.isAbsolute(slashed) || /^[A-Za-z]:/.test(slashed) || normalised === '..' || normalised.startsWith('../')) {
    throw new NagareError('BUILD_PATH_ESCAPES', `The archive's entry ${fileName} would be written outside the directory it is unpacked in`, { details: { path: fileName } });
  }
  return normalised;
}

/** Makes `rel` under `root` one component at a time; each must really be a directory, never a link. */
async function makeDirectories(root: string, rel: string): Promise<string> {
  let current = root;
  for (const part of rel === '.' ? [] : rel.split('/')) {
    current = path.join(current, part);
    await mkdir(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    const info = await lstat(current);
    if (!info.isDirectory()) {
      const what = info.isSymbolicLink() ? 'a link' : 'a file';
      throw invalid(`The archive puts entries below ${path.relative(root, current)}, which is ${what} in the archive; nagare never writes through it`);
    }
  }
  return current;
}

function inTheWay(error: NodeJS.ErrnoException, name: string): never {
  if (error.code === 'EEXIST' || error.code === 'ELOOP') throw invalid(`The archive's entry ${name} would replace something already unpacked`);
  throw error;
}

async function openZip(zip: Buffer): Promise<yauzl.ZipFile> {
  // Loaded on the first archive, not when the CLI starts: most commands never open one.
  const { default: zipReader } = await import('yauzl');
  return new Promise((resolve, reject) => {
    zipReader.fromBuffer(zip, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true }, (error, file) =>
      error ? reject(invalid(`The input artifact is not a readable zip: ${error.message}`)) : resolve(file));
  });
}

/** The next entry, or undefined at the end; a malformed central directory is BUILD_ARCHIVE_INVALID. */
function nextEntry(archive: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const done = (value: yauzl.Entry | undefined, error?: Error): void => {
      archive.off('entry', onEntry).off('end', onEnd).off('error', onError);
      if (error === undefined) resolve(value);
      // yauzl checks names itself before handing an entry over; its refusals keep our code.
      else if (/absolute path|invalid relative path/.test(error.message)) reject(new NagareError('BUILD_PATH_ESCAPES', `The archive has an entry that would be written outside the directory it is unpacked in (${error.message})`));
      else reject(invalid(`The input artifact is not a readable zip: ${error.message}`));
    };
    const onEntry = (entry: yauzl.Entry): void => done(entry);
    const onEnd = (): void => done(undefined);
    const onError = (error: Error): void => done(undefined, error);
    archive.on('entry', onEntry).on('end', onEnd).on('error', onError);
    archive.readEntry();
  });
}

function openEntry(archive: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    archive.openReadStream(entry, (error, stream) => (error ? reject(invalid(`The entry ${entry.fileName} cannot be read: ${error.message}`)) : resolve(stream)));
  });
}

async function readAll(stream: Readable, limit: number, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    length += (chunk as Buffer).length;
    if (length > limit) throw invalid(`The archive's link ${name} is longer than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
