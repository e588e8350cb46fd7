// Real temporary directories for the build tests, and reading zips back with yauzl.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import yauzl from 'yauzl';

const made: string[] = [];
after(async () => {
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
});

export async function tempDir(prefix = 'nagare-build-'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** `{ 'a/b.txt': 'content', 'link': { symlink: '../x' }, 'empty/': null }` under a new temp dir. */
export type TreeSpec = Record<string, string | { symlink: string } | null>;

export async function makeTree(tree: TreeSpec, root?: string): Promise<string> {
  const dir = root ?? (await tempDir());
  for (const [rel, content] of Object.entries(tree)) {
    const abs = path.join(dir, rel);
    if (content === null) {
      await mkdir(abs, { recursive: true });
      continue;
    }
    await mkdir(path.dirname(abs), { recursive: true });
    if (typeof content === 'string') await writeFile(abs, content);
    else await symlink(content.symlink, abs);
  }
  return dir;
}

export interface ZipEntryRead {
  readonly name: string;
  readonly mode: number;
  readonly content: string;
}

export function readZip(file: string): Promise<ZipEntryRead[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (openError, zip) => {
      if (openError) return reject(openError);
      const entries: ZipEntryRead[] = [];
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            entries.push({ name: entry.fileName, mode: (entry.externalFileAttributes >>> 16) & 0o177777, content: Buffer.concat(chunks).toString() });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}
