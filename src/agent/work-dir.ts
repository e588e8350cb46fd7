/**
 * The agent's work directory: one `build-*` directory per running build, the local cache, and
 * `agent.pid`, which says which live agent owns the directory.
 *
 * At start an agent removes the `build-*` directories a previous agent left behind (killed with
 * SIGKILL mid-build, issue 7 finding 12), but only when no other live agent holds the directory.
 * When builds run as a build user, the directory is 0711 (the user can reach its build's directory
 * but not list the others), and its source trees are handed to that user.
 */
import { chmod, lchown, lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NagareError } from '../core/errors.js';
import { processAlive } from '../executors/process-tree.js';
import type { AgentLogger } from './agent-logger.js';
import type { BuildUser } from './build-user.js';

const PID_FILE = 'agent.pid';

export interface WorkDirLease {
  release(): Promise<void>;
}

export async function claimWorkDir(workDir: string, buildUser: BuildUser | undefined, logger: AgentLogger): Promise<WorkDirLease> {
  await mkdir(workDir, { recursive: true, mode: 0o711 });
  // A directory someone else made (or a symlink planted where ours would go) is not ours to use.
  const info = await lstat(workDir);
  if (!info.isDirectory() || info.uid !== process.getuid?.()) {
    throw new NagareError('CONFIG_INVALID', `the work directory ${workDir} is ${info.isDirectory() ? `owned by uid ${info.uid}` : 'not a directory'}; give the agent a directory of its own (--work-dir)`);
  }
  if (buildUser) {
    await chmod(workDir, 0o711);
    await requireReachable(workDir, buildUser);
  }
  const pidFile = path.join(workDir, PID_FILE);
  const holder = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
    logger.warn(`work directory ${workDir} is also used by the agent with pid ${holder}: leaving its build directories alone`);
  } else {
    const leftovers = (await readdir(workDir)).filter((name) => name.startsWith('build-'));
    for (const name of leftovers) await rm(path.join(workDir, name), { recursive: true, force: true });
    if (leftovers.length > 0) logger.info(`removed ${leftovers.length} build director${leftovers.length === 1 ? 'y' : 'ies'} left by an agent that did not stop cleanly`);
  }
  await writeFile(pidFile, `${process.pid}\n`, { mode: 0o644 });
  return {
    async release() {
      const current = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
      if (current === process.pid) await rm(pidFile, { force: true });
    },
  };
}

/** Hands a build's source trees (`src`, `src_<name>`) to the build user; symlinks are not followed. */
export async function handOverSources(buildDir: string, user: BuildUser): Promise<void> {
  for (const name of await readdir(buildDir)) {
    if (name === 'src' || name.startsWith('src_')) await chownTree(path.join(buildDir, name), user);
  }
}

async function chownTree(target: string, user: BuildUser): Promise<void> {
  await lchown(target, user.uid, user.gid);
  const info = await lstat(target);
  if (!info.isDirectory()) return;
  for (const entry of await readdir(target)) await chownTree(path.join(target, entry), user);
}

/** The build user must be able to pass through every directory above the work directory. */
async function requireReachable(workDir: string, user: BuildUser): Promise<void> {
  for (let dir = path.dirname(workDir); ; dir = path.dirname(dir)) {
    const info = await lstat(dir);
    const passable = (info.mode & 0o001) !== 0 || (info.uid === user.uid && (info.mode & 0o100) !== 0) || (info.gid === user.gid && (info.mode & 0o010) !== 0);
    if (!passable) {
      throw new NagareError('CONFIG_INVALID', `the build user ${user.name} cannot reach the work directory ${workDir}: ${dir} is mode ${(info.mode & 0o777).toString(8)}; choose another --work-dir (e.g. /var/lib/nagare/agent)`);
    }
    if (dir === path.dirname(dir)) return;
  }
}
