/**
 * An "upstream" for external-repository tests: a bare repository in a temp directory (mirrored by
 * its plain path or a file:// URL, no network) and a working clone that commits and pushes to it.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { commitFiles, gitOk, tempDir } from './git-client.js';

export interface Upstream {
  /** The bare repository's path (a git URL as it is). */
  readonly bare: string;
  readonly fileUrl: string;
  readonly work: string;
  /** Commits `files` on the current branch and pushes it; the commit id. */
  commit(files: Record<string, string>, message: string): Promise<string>;
  git(args: readonly string[]): Promise<string>;
}

export async function createUpstream(files: Record<string, string> = { 'README.md': '# upstream\n' }): Promise<Upstream> {
  const dir = await tempDir('upstream');
  const bare = path.join(dir, 'upstream.git');
  const work = path.join(dir, 'work');
  await gitOk(dir, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  await gitOk(dir, ['init', '--quiet', '--initial-branch=main', work]);
  await gitOk(work, ['remote', 'add', 'origin', bare]);
  const upstream: Upstream = {
    bare,
    fileUrl: pathToFileURL(bare).toString(),
    work,
    async commit(changed, message) {
      const commit = await commitFiles(work, changed, message);
      await gitOk(work, ['push', '--quiet', 'origin', 'HEAD']);
      return commit;
    },
    git: (args) => gitOk(work, args),
  };
  await upstream.commit(files, 'first');
  return upstream;
}
