/**
 * Who shell builds run as (issue 7, finding 6). An agent running as root runs shell builds as an
 * unprivileged build user (`--build-user`, default `nagare-build`), created here if missing, so
 * that pushed code cannot read the server's data directory or the agent's own files. A buildspec's
 * `run-as` is honoured only for users the agent allows (`--allow-run-as`), and `root` only with
 * `--allow-root-builds`. An agent that is not root cannot switch users: its shell builds run as
 * itself, and the shell executor then isolates nothing but the environment.
 */
import { execFile } from 'node:child_process';
import type { BuildSpec } from '../core/buildspec.js';
import { NagareError } from '../core/errors.js';

export const DEFAULT_BUILD_USER = 'nagare-build';

export interface BuildUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

export interface RunAsPolicy {
  /** Undefined when the agent is not root: builds run as the agent's own user. */
  readonly buildUser: BuildUser | undefined;
  readonly allowRunAs: readonly string[];
  readonly allowRootBuilds: boolean;
}

/** The build user, created (system account, own group, home directory) when it does not exist. */
export async function ensureBuildUser(name: string, environment: Readonly<Record<string, string>>, log: (line: string) => void): Promise<BuildUser> {
  const existing = await lookUp(name, environment);
  if (existing) return existing;
  const created = await run('useradd', ['--system', '--user-group', '--create-home', '--shell', '/usr/sbin/nologin', '--comment', 'nagare builds', '--', name], environment);
  // Another agent on this host may have created it in the meantime: look again before failing.
  const user = await lookUp(name, environment);
  if (!user) throw new NagareError('CONFIG_INVALID', `could not create the build user ${name} (useradd: ${created.error ?? 'no error'}); create it or pass --build-user USER`);
  log(`created the build user ${name} (uid ${user.uid})`);
  return user;
}

/** The users a buildspec asks to run as (top level and per phase). */
export function runAsUsers(spec: BuildSpec): string[] {
  const users = [spec.runAs, ...Object.values(spec.phases).map((phase) => phase?.runAs)];
  return [...new Set(users.filter((user): user is string => user !== undefined))];
}

/** Why the agent refuses this buildspec's `run-as`, or undefined when it may run. */
export function runAsRefusal(spec: BuildSpec, policy: RunAsPolicy): string | undefined {
  for (const user of runAsUsers(spec)) {
    if (user === policy.buildUser?.name) continue;
    if (user === 'root' || user === '0') {
      if (!policy.allowRootBuilds) return `run-as: ${user} is refused: this agent runs builds as root only when started with --allow-root-builds`;
      continue;
    }
    if (!policy.allowRunAs.includes(user)) {
      return `run-as: ${user} is refused: this agent runs builds only as ${policy.buildUser?.name ?? 'its own user'} and the users given to --allow-run-as (${policy.allowRunAs.join(', ') || 'none'})`;
    }
  }
  return undefined;
}

async function lookUp(name: string, environment: Readonly<Record<string, string>>): Promise<BuildUser | undefined> {
  const result = await run('getent', ['passwd', name], environment);
  const fields = result.stdout.trim().split(':');
  if (result.error || fields.length < 7) return undefined;
  return { name, uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] ?? '/' };
}

function run(file: string, args: readonly string[], environment: Readonly<Record<string, string>>): Promise<{ stdout: string; error: string | undefined }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...environment, PATH: `${environment.PATH ?? ''}:/usr/sbin:/usr/bin:/sbin:/bin` } }, (error, stdout, stderr) => {
      resolve({ stdout, error: error ? (stderr.trim() || error.message) : undefined });
    });
  });
}
