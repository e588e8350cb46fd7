/**
 * Reading a bare repository: branches, commits, and a commit's tree as a zip. Names and commit ids
 * from callers never reach git as options: they are checked first and passed after
 * `--end-of-options`.
 */
import { spawn } from 'node:child_process';
import { NagareError } from '../core/errors.js';
import { git, gitEnvironment, gitFailed, runGit } from './git-command.js';

export interface GitPerson {
  readonly name: string;
  readonly email: string;
  /** Epoch milliseconds. */
  readonly date: number;
  /** The person's time zone offset as git records it: `+0900`. */
  readonly timezone: string;
}

export interface CommitInfo {
  readonly commitId: string;
  readonly treeId: string;
  readonly parents: readonly string[];
  readonly message: string;
  /** Epoch milliseconds. */
  readonly authorDate: number;
  readonly committerDate: number;
  readonly author: GitPerson;
  readonly committer: GitPerson;
}

/** A full branch ref from `main` or `refs/heads/main`; undefined for a name git would refuse. */
export function branchRef(branch: string): string | undefined {
  const ref = branch.startsWith('refs/heads/') ? branch : `refs/heads/${branch}`;
  const name = ref.slice('refs/heads/'.length);
  if (name === '' || name.startsWith('-') || /[\0-\x20\x7f~^:?*[\\]|\.\.|@\{|\/\/|\/$|\.$|\.lock$/.test(name)) return undefined;
  return ref;
}

/** The commit a branch points at; REPO_BRANCH_NOT_FOUND when there is no such branch. */
export async function resolveBranch(gitDir: string, branch: string): Promise<string> {
  const ref = branchRef(branch);
  const result = ref === undefined ? undefined : await runGit(gitDir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  if (result === undefined || result.exitCode !== 0) {
    throw new NagareError('REPO_BRANCH_NOT_FOUND', `The repository has no branch ${JSON.stringify(branch)}`, { details: { branchName: branch } });
  }
  return result.stdout.toString('utf8').trim();
}

export async function listBranches(gitDir: string): Promise<string[]> {
  const out = await git(gitDir, ['for-each-ref', '--format=%(refname:strip=2)', 'refs/heads']);
  return out.split('\n').filter((name) => name !== '');
}

/** A full commit id (40 or 64 hex digits) that names a commit in the repository. */
async function verifyCommit(gitDir: string, commit: string): Promise<string> {
  const notFound = (): NagareError => new NagareError('REPO_COMMIT_NOT_FOUND', `The repository has no commit ${JSON.stringify(commit.slice(0, 80))}`, { details: { commitId: commit.slice(0, 80) } });
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(commit)) throw notFound();
  const result = await runGit(gitDir, ['cat-file', '-t', '--end-of-options', commit]);
  if (result.exitCode !== 0 || result.stdout.toString('utf8').trim() !== 'commit') throw notFound();
  return commit.toLowerCase();
}

const FORMAT = ['%H', '%T', '%P', '%an', '%ae', '%at', '%ai', '%cn', '%ce', '%ct', '%ci', '%B'].join('%x00');

export async function readCommit(gitDir: string, commit: string): Promise<CommitInfo> {
  const id = await verifyCommit(gitDir, commit);
  const out = await git(gitDir, ['show', '-s', '--no-show-signature', `--format=${FORMAT}`, '--end-of-options', id]);
  const [commitId = id, treeId = '', parents = '', an = '', ae = '', at = '0', ai = '', cn = '', ce = '', ct = '0', ci = '', ...message] = out.split('\0');
  const person = (name: string, email: string, seconds: string, iso: string): GitPerson => ({ name, email, date: Number(seconds) * 1000, timezone: iso.split(' ').at(-1) ?? '+0000' });
  const author = person(an, ae, at, ai);
  const committer = person(cn, ce, ct, ci);
  return {
    commitId,
    treeId,
    parents: parents.split(' ').filter((p) => p !== ''),
    message: message.join('\0').replace(/\n+$/, '\n'),
    authorDate: author.date,
    committerDate: committer.date,
    author,
    committer,
  };
}

/**
 * The tree of a commit as a zip (`git archive --format=zip`), streamed as git writes it; there is
 * no `.git` in it. REPO_COMMIT_NOT_FOUND before anything is streamed when the commit is unknown;
 * a failure of git mid-stream makes the iteration throw REPO_GIT_FAILED.
 */
export async function archiveCommit(gitDir: string, commit: string): Promise<AsyncIterable<Uint8Array>> {
  const id = await verifyCommit(gitDir, commit);
  const args = ['archive', '--format=zip', '--end-of-options', id];
  return (async function* archive(): AsyncGenerator<Uint8Array> {
    const child = spawn('git', args, { cwd: gitDir, env: gitEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const exited = new Promise<number>((resolve) => {
      child.on('close', (code) => resolve(code ?? -1));
      child.on('error', () => resolve(-1));
    });
    try {
      for await (const chunk of child.stdout) yield new Uint8Array(chunk as Buffer);
      const code = await exited;
      if (code !== 0) throw gitFailed(args, stderr.trim() || `exit status ${code}`);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  })();
}
