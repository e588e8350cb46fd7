/**
 * A source artifact in CodePipeline's CODEBUILD_CLONE_REF format: instead of the bare tree, the
 * build gets a real git clone (`.git` included, the branch checked out at the commit, `origin`
 * the upstream's URL), so that `git log`, `git describe` and the like work in the build. CodeBuild
 * clones the reference itself; nagare hands the agent the clone as an ordinary input zip, which it
 * unpacks with the usual checks.
 */
import { lstat, mkdtemp, readdir, readlink, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import yazl from 'yazl';
import { git } from './git-command.js';

/** A clone of `gitDir` at `commit` on `branch`, zipped; `originUrl` becomes its `origin` (credentials must already be redacted). */
export async function cloneArchive(gitDir: string, commit: string, branch: string, originUrl: string): Promise<Buffer> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'nagare-clone-'));
  try {
    const dir = path.join(work, 'src');
    await git(work, ['clone', '--quiet', '--no-checkout', '--end-of-options', gitDir, dir]);
    await git(dir, ['checkout', '--quiet', '-B', branch, commit]);
    await git(dir, ['remote', 'set-url', 'origin', originUrl]);
    return await zipDirectory(dir);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function zipDirectory(root: string): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(path.join(root, relative), { withFileTypes: true })) {
      const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const full = path.join(root, name);
      const info = await lstat(full);
      if (entry.isDirectory()) {
        zip.addEmptyDirectory(name, { mtime: info.mtime, mode: (info.mode & 0o7777) | 0o040000 });
        await walk(name);
      } else if (entry.isSymbolicLink()) {
        zip.addBuffer(Buffer.from(await readlink(full)), name, { mtime: info.mtime, mode: 0o120777, compress: false });
      } else if (entry.isFile()) {
        zip.addBuffer(await readFile(full), name, { mtime: info.mtime, mode: (info.mode & 0o7777) | 0o100000 });
      }
    }
  };
  await walk('');
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
