/**
 * Host users by name, through the system's user database (`id`, so NSS sources work too). An agent
 * runs every build as its build user, and two `id` processes per build were a third of its CPU
 * per trivial build (spawning from a large process is dear): an answer is kept while the account
 * files are unchanged (their inode, size and mtime), and for a minute at most, for users from other
 * NSS sources (LDAP, sssd) whose changes no file shows.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { NagareError } from '../core/errors.js';

export interface UserIdentity {
  readonly uid: number;
  readonly gid: number;
}

const ACCOUNT_FILES = ['/etc/passwd', '/etc/group'];
const KEPT_MS = 60_000;

const known = new Map<string, { readonly identity: UserIdentity; readonly accounts: string; readonly at: number }>();

/** Resolves `user` to its uid and primary gid; EXEC_USER_UNKNOWN when the host has no such user. */
export async function lookUpUser(user: string, hostEnvironment: Readonly<Record<string, string>>): Promise<UserIdentity> {
  const accounts = await accountFilesStamp();
  const kept = known.get(user);
  if (kept && kept.accounts === accounts && Date.now() - kept.at < KEPT_MS) return kept.identity;
  const identity = await askId(user, hostEnvironment);
  if (known.size > 100) known.clear();
  known.set(user, { identity, accounts, at: Date.now() });
  return identity;
}

async function accountFilesStamp(): Promise<string> {
  const stamps = await Promise.all(ACCOUNT_FILES.map((file) => stat(file).then((info) => `${info.ino}:${info.size}:${info.mtimeMs}`, () => '-')));
  return stamps.join('|');
}

/** One `id -- user`: `uid=N(name) gid=N(name) groups=…` in the C locale (the words are translatable; a name may hold spaces). */
function askId(user: string, hostEnvironment: Readonly<Record<string, string>>): Promise<UserIdentity> {
  return new Promise((resolve, reject) => {
    execFile(existsSync('/usr/bin/id') ? '/usr/bin/id' : 'id', ['--', user], { env: { ...hostEnvironment, LC_ALL: 'C' } }, (error, stdout) => {
      const match = /^uid=(\d+)(?:\(.*?\))? gid=(\d+)/.exec(stdout);
      if (error || !match) reject(new NagareError('EXEC_USER_UNKNOWN', `user ${JSON.stringify(user)} does not exist on this host`, { details: { user }, ...(error ? { cause: error } : {}) }));
      else resolve({ uid: Number(match[1]), gid: Number(match[2]) });
    });
  });
}
