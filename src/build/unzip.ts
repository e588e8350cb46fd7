/**
 * Unpacking an artifact zip (pipeline input artifacts) into a directory. An entry that would land
 * outside the directory (`..`, an absolute path) is refused: the zip is someone else's output.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { NagareError } from '../core/errors.js';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

export async function unzipInto(zip: Buffer, dir: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  const root = path.resolve(dir);
  const archive = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, file) => (error ? reject(error) : resolve(file)));
  });
  let files = 0;
  await new Promise<void>((resolve, reject) => {
    archive.on('error', reject);
    archive.on('end', () => resolve());
    archive.on('entry', (entry: yauzl.Entry) => {
      const target = path.resolve(root, entry.fileName);
      if (target !== root && !target.startsWith(root + path.sep)) {
        reject(new NagareError('BUILD_ARTIFACT_PATH_ESCAPES', `Zip entry ${entry.fileName} would be written outside ${dir}`));
        return;
      }
      const mode = (entry.externalFileAttributes >>> 16) & 0o177777;
      if (entry.fileName.endsWith('/')) {
        mkdir(target, { recursive: true }).then(() => archive.readEntry(), reject);
        return;
      }
      archive.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        const write = async (): Promise<void> => {
          await mkdir(path.dirname(target), { recursive: true });
          if ((mode & S_IFMT) === S_IFLNK) {
            const chunks: Buffer[] = [];
            for await (const chunk of stream) chunks.push(chunk as Buffer);
            await symlink(Buffer.concat(chunks).toString(), target);
          } else {
            await pipeline(stream, createWriteStream(target, { mode: mode & 0o777 || 0o644 }));
          }
          files += 1;
        };
        write().then(() => archive.readEntry(), reject);
      });
    });
    archive.readEntry();
  });
  return files;
}
