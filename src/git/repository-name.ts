/**
 * Repository names after CodeCommit's rules: 1–100 letters, digits, `.`, `_` and `-`, not ending
 * in `.git`. `.` and `..` are refused too: a name becomes a directory under the data directory.
 */
import { NagareError } from '../core/errors.js';

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** Why `name` is not a repository name, or undefined when it is one. */
export function repositoryNameProblem(name: string): string | undefined {
  if (!NAME.test(name)) return 'must be 1 to 100 letters, digits, periods, underscores and dashes';
  if (name.toLowerCase().endsWith('.git')) return 'must not end in .git';
  if (name === '.' || name === '..') return 'must not be . or ..';
  return undefined;
}

/** The name itself; REPO_INVALID_NAME when it breaks the rules. */
export function checkRepositoryName(name: string): string {
  const problem = repositoryNameProblem(name);
  if (problem !== undefined) {
    throw new NagareError('REPO_INVALID_NAME', `The repository name ${JSON.stringify(name.slice(0, 120))} ${problem}`, { details: { repositoryName: name.slice(0, 120) } });
  }
  return name;
}
