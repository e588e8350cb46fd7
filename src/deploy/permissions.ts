/**
 * The appspec's `permissions` on the host (§2.3): applied only to what this Install installed,
 * per object in the agent's order (mode, ACLs, SELinux context, owner and group). A path given
 * permissions by two entries, a default ACL on a file, an unknown user or an SELinux context on a
 * host without SELinux fail the Install with a message saying which.
 */
import { execFile } from 'node:child_process';
import { chmod, lchown, lstat, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import type { PermissionSpec } from '../core/appspec.js';
import { InstallError } from './install.js';

export async function applyPermissions(permissions: readonly PermissionSpec[], installed: readonly string[]): Promise<void> {
  const done = new Map<string, string>();
  const ids = new IdCache();
  for (const permission of permissions) {
    for (const target of await matches(permission, installed)) {
      const other = done.get(target);
      if (other !== undefined) throw new InstallError(`Two permissions entries (objects ${other} and ${permission.object}) both apply to ${target}; the agent sets permissions once per path`);
      done.set(target, permission.object);
      await applyTo(target, permission, ids);
    }
  }
}

async function matches(permission: PermissionSpec, installed: readonly string[]): Promise<string[]> {
  const pattern = permission.pattern === '**' ? undefined : picomatch(permission.pattern, { dot: true });
  const excluded = permission.except.map((name) => picomatch(name, { dot: true }));
  const found: string[] = [];
  for (const target of installed) {
    const isDirectory = (await lstat(target)).isDirectory();
    if (target === permission.object) {
      // The object itself is matched when it is an installed file (the docs' `type: file` on a file).
      if (!isDirectory && permission.type.includes('file')) {
        if (pattern !== undefined || excluded.length > 0) throw new InstallError(`The permissions of ${permission.object}, an installed file, may not have a pattern or except`);
        found.push(target);
      }
      continue;
    }
    if (!target.startsWith(permission.object === '/' ? '/' : `${permission.object}/`)) continue;
    const relative = path.relative(permission.object, target);
    if (pattern !== undefined && (relative.includes('/') || !pattern(relative))) continue;
    if (excluded.some((except) => except(path.basename(target)))) continue;
    if (!permission.type.includes(isDirectory ? 'directory' : 'file')) continue;
    found.push(target);
  }
  return found;
}

async function applyTo(target: string, permission: PermissionSpec, ids: IdCache): Promise<void> {
  const info = await lstat(target);
  if (info.isSymbolicLink()) return; // modes and ACLs of a link are its target's; the agent leaves links alone
  if (permission.mode !== undefined) await chmod(target, permission.mode);
  if (permission.acls.length > 0) {
    const entries = info.isDirectory() ? permission.acls : permission.acls.filter((entry) => !/^d(efault)?:/.test(entry));
    if (entries.length !== permission.acls.length && !info.isDirectory()) throw new InstallError(`The permissions of ${permission.object} give the file ${target} a default ACL; default ACLs (d:) apply to directories only`);
    await run('setfacl', ['-m', entries.join(','), target], 'set ACLs (is the acl package installed?)');
  }
  if (permission.context !== undefined) {
    if (!(await stat('/sys/fs/selinux/enforce').then(() => true, () => false))) {
      throw new InstallError(`The permissions of ${permission.object} set an SELinux context, but SELinux is not enabled on this host; remove \`context\` or deploy to hosts with SELinux`);
    }
    const { user, type, range } = permission.context;
    await run('chcon', [...(user ? ['-u', user] : []), '-t', type, '-l', range, target], 'set the SELinux context');
  }
  if (permission.owner !== undefined || permission.group !== undefined) {
    const uid = permission.owner === undefined ? -1 : await ids.user(permission.owner);
    const gid = permission.group === undefined ? -1 : await ids.group(permission.group);
    await lchown(target, uid, gid);
  }
}

class IdCache {
  private readonly users = new Map<string, number>();
  private readonly groups = new Map<string, number>();

  async user(name: string): Promise<number> {
    return this.lookup(this.users, name, 'passwd', 2, 'user');
  }

  async group(name: string): Promise<number> {
    return this.lookup(this.groups, name, 'group', 2, 'group');
  }

  private async lookup(cache: Map<string, number>, name: string, database: string, field: number, what: string): Promise<number> {
    const known = cache.get(name);
    if (known !== undefined) return known;
    const line = await run('getent', [database, name], `look up the ${what} ${name}`).catch(() => {
      throw new InstallError(`The ${what} ${name} named in the appspec's permissions does not exist on this host`);
    });
    const id = Number(line.split(':')[field]);
    if (!Number.isInteger(id)) throw new InstallError(`The ${what} ${name} named in the appspec's permissions has no numeric id`);
    cache.set(name, id);
    return id;
  }
}

function run(program: string, args: readonly string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new InstallError(`Could not ${what}: ${(stderr || error.message).trim()}`));
      else resolve(stdout);
    });
  });
}
