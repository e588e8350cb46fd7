/**
 * What a push changed: the branches and tags of a bare repository read before and after
 * `git-receive-pack`, compared, and the paths each changed ref touched.
 */
import { git, runGit } from './git-command.js';

export interface RefTarget {
  /** The object the ref points at (a commit, or an annotated tag object). */
  readonly object: string;
  /** The commit it leads to (annotated tags are peeled). */
  readonly commit: string;
}

/** Ref name (`refs/heads/main`) → its target; branches and tags only. */
export type RefSnapshot = ReadonlyMap<string, RefTarget>;

export interface RefUpdate {
  readonly ref: string;
  readonly refType: 'branch' | 'tag';
  readonly oldCommit: string | undefined;
  readonly newCommit: string | undefined;
}

export async function readRefs(gitDir: string): Promise<RefSnapshot> {
  const out = await git(gitDir, ['for-each-ref', '--format=%(refname)%00%(objectname)%00%(*objectname)', 'refs/heads', 'refs/tags']);
  const refs = new Map<string, RefTarget>();
  for (const line of out.split('\n')) {
    const [ref, object, peeled] = line.split('\0');
    if (!ref || !object) continue;
    refs.set(ref, { object, commit: peeled || object });
  }
  return refs;
}

/** The refs whose target differs between two snapshots, in ref name order. */
export function refUpdates(before: RefSnapshot, after: RefSnapshot): RefUpdate[] {
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  return names.flatMap((ref) => {
    const old = before.get(ref);
    const now = after.get(ref);
    if (old?.object === now?.object) return [];
    return [{ ref, refType: ref.startsWith('refs/tags/') ? 'tag' : 'branch', oldCommit: old?.commit, newCommit: now?.commit } as const];
  });
}

/**
 * Paths that differ between the old and new commit; every file of the new commit for a new ref;
 * none for a deleted ref (or a tag of something that is not a commit).
 */
export async function changedPaths(gitDir: string, update: RefUpdate): Promise<string[]> {
  if (update.newCommit === undefined) return [];
  const args = update.oldCommit === undefined
    ? ['ls-tree', '-r', '-z', '--name-only', update.newCommit]
    : ['diff', '--name-only', '-z', '--no-renames', update.oldCommit, update.newCommit];
  const result = await runGit(gitDir, args);
  if (result.exitCode !== 0) return [];
  return result.stdout.toString('utf8').split('\0').filter((p) => p !== '');
}
