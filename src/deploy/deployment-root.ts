/**
 * The CodeDeploy agent's deployment-root layout (reference §2.13), kept the same so that an
 * operator who knows the agent finds everything where they expect it:
 *
 *   <root>/<deploymentGroupId>/<deploymentId>/bundle.tar            the bundle as received (file bundles)
 *   <root>/<deploymentGroupId>/<deploymentId>/deployment-archive/   the extracted revision
 *   <root>/<deploymentGroupId>/<deploymentId>/logs/scripts.log      hook output
 *   <root>/deployment-instructions/<dgId>_last_successful_install    the deployment dir of the last Install that succeeded
 *   <root>/deployment-instructions/<dgId>_most_recent_install        the deployment dir of the last DownloadBundle
 *   <root>/deployment-instructions/<dgId>-cleanup                    the files the last Install created
 *   <root>/deployment-instructions/<dgId>-install.json               what the last Install was asked to do
 *   <root>/deployment-logs/codedeploy-agent-deployments.log          one line per event of every deployment
 *   <root>/ongoing-events/<deploymentId>.json                        nagare's marker of an event in progress
 *
 * The group and deployment ids come from the server (or `deploy local`) and name directories, so
 * they are checked to be plain names before any path is made of them.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Throws unless `id` can name a directory without leading anywhere else. */
export function checkPlainName(id: string, what: string): string {
  if (!PLAIN_NAME.test(id) || id.includes('..')) throw new TypeError(`${what} ${JSON.stringify(id)} is not a plain name (letters, digits, . _ -)`);
  return id;
}

export class DeploymentRoot {
  constructor(readonly root: string) {}

  groupDir(groupId: string): string {
    return path.join(this.root, checkPlainName(groupId, 'The deployment group id'));
  }

  deploymentDir(groupId: string, deploymentId: string): string {
    return path.join(this.groupDir(groupId), checkPlainName(deploymentId, 'The deployment id'));
  }

  archiveDir(deploymentDir: string): string {
    return path.join(deploymentDir, 'deployment-archive');
  }

  scriptsLog(deploymentDir: string): string {
    return path.join(deploymentDir, 'logs', 'scripts.log');
  }

  get instructionsDir(): string {
    return path.join(this.root, 'deployment-instructions');
  }

  cleanupFile(groupId: string): string {
    return path.join(this.instructionsDir, `${checkPlainName(groupId, 'The deployment group id')}-cleanup`);
  }

  installFile(groupId: string): string {
    return path.join(this.instructionsDir, `${checkPlainName(groupId, 'The deployment group id')}-install.json`);
  }

  /** The deployment dir recorded by the last Install that succeeded, if it still exists. */
  async lastSuccessfulInstall(groupId: string): Promise<string | undefined> {
    return this.readPointer(`${checkPlainName(groupId, 'The deployment group id')}_last_successful_install`);
  }

  async mostRecentInstall(groupId: string): Promise<string | undefined> {
    return this.readPointer(`${checkPlainName(groupId, 'The deployment group id')}_most_recent_install`);
  }

  async recordLastSuccessfulInstall(groupId: string, deploymentDir: string): Promise<void> {
    await this.writePointer(`${checkPlainName(groupId, 'The deployment group id')}_last_successful_install`, deploymentDir);
  }

  async recordMostRecentInstall(groupId: string, deploymentDir: string): Promise<void> {
    await this.writePointer(`${checkPlainName(groupId, 'The deployment group id')}_most_recent_install`, deploymentDir);
  }

  /** Appends one line to the agent-wide deployments log. */
  async logDeployment(deploymentId: string, line: string): Promise<void> {
    const file = path.join(this.root, 'deployment-logs', 'codedeploy-agent-deployments.log');
    const text = `${timestamp(new Date())} [${deploymentId}] ${line}\n`;
    await appendFile(file, text).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      await mkdir(path.dirname(file), { recursive: true });
      await appendFile(file, text);
    });
  }

  /**
   * Deletes the oldest deployment dirs of the group (by modification time) so that at most `keep`
   * remain counting `current`; the last successful install's dir is never deleted (decision 12).
   */
  async pruneRevisions(groupId: string, current: string, keep: number): Promise<string[]> {
    const groupDir = this.groupDir(groupId);
    const protectedDir = await this.lastSuccessfulInstall(groupId);
    const names = await readdir(groupDir).catch(() => [] as string[]);
    const others = [];
    for (const name of names) {
      const dir = path.join(groupDir, name);
      if (dir === current) continue;
      const info = await stat(dir).catch(() => undefined);
      if (info?.isDirectory()) others.push({ dir, mtime: info.mtimeMs });
    }
    others.sort((a, b) => a.mtime - b.mtime || a.dir.localeCompare(b.dir));
    const deleted: string[] = [];
    let excess = others.length + 1 - keep;
    for (const { dir } of others) {
      if (excess <= 0) break;
      if (dir === protectedDir) continue;
      await rm(dir, { recursive: true, force: true });
      deleted.push(dir);
      excess -= 1;
    }
    return deleted;
  }

  private async readPointer(name: string): Promise<string | undefined> {
    const text = await readFile(path.join(this.instructionsDir, name), 'utf8').catch(() => undefined);
    const dir = text?.trim();
    if (!dir || !path.isAbsolute(dir) || path.dirname(path.dirname(dir)) !== this.root) return undefined;
    return (await stat(dir).catch(() => undefined))?.isDirectory() ? dir : undefined;
  }

  private async writePointer(name: string, value: string): Promise<void> {
    await writeFileAtomically(path.join(this.instructionsDir, name), value);
  }
}

/** Writes through a temporary file and a rename, so that a kill leaves the old or the new content. */
export async function writeFileAtomically(file: string, content: string): Promise<void> {
  // Unique per write: two deployments of one process may record the same group at once.
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, content).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(temporary, content);
  });
  await rename(temporary, file);
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, as the agent's logs write it. */
export function timestamp(date: Date): string {
  return date.toISOString().replace('T', ' ').slice(0, 19);
}
