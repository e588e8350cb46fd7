/**
 * The user's sign-ins: `$XDG_CONFIG_HOME/nagare/config.json` (~/.config/nagare/config.json), mode
 * 0600 in a 0700 directory, holding one server and token per named profile, like the AWS CLI's
 * profiles. `nagare login` and `nagare up` write it; client commands read it once at start.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NagareError } from '../core/errors.js';

export const DEFAULT_PROFILE = 'default';

export interface Profile {
  server: string;
  token: string;
}
export interface UserConfig {
  profiles: Record<string, Profile>;
}

/**
 * The file's problems, checked by hand rather than with zod: every command reads this file, and
 * loading zod for two strings per profile cost `nagare build` tens of milliseconds at start.
 */
function userConfigIssues(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [': expected an object'];
  const profiles = (value as { profiles?: unknown }).profiles;
  if (profiles === undefined) return [];
  if (typeof profiles !== 'object' || profiles === null || Array.isArray(profiles)) return ['profiles: expected an object'];
  const issues: string[] = [];
  for (const [name, profile] of Object.entries(profiles)) {
    if (typeof profile !== 'object' || profile === null || Array.isArray(profile)) {
      issues.push(`profiles.${name}: expected an object`);
      continue;
    }
    for (const key of ['server', 'token'] as const) {
      const field = (profile as Record<string, unknown>)[key];
      if (typeof field !== 'string' || field.length === 0) issues.push(`profiles.${name}.${key}: expected a non-empty string`);
    }
  }
  return issues;
}

export function userConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CONFIG_HOME ?? path.join(env.HOME ?? os.homedir(), '.config'), 'nagare', 'config.json');
}

/** The profile a command uses: `--profile`, then $NAGARE_PROFILE, then `default`. */
export function profileName(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const name = flag ?? (env.NAGARE_PROFILE || undefined) ?? DEFAULT_PROFILE;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new NagareError('CONFIG_INVALID', `--profile must be letters, digits, '.', '_' or '-' (at most 64), not '${name}'`);
  return name;
}

/** The file's profiles; none when it does not exist. A file that is not ours is an error, never overwritten. */
export function readUserConfig(file: string): UserConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new NagareError('CONFIG_INVALID', `${file} is not JSON; fix or delete it (nagare login writes it again)`);
  }
  const issues = userConfigIssues(parsed);
  if (issues.length > 0) throw new NagareError('CONFIG_INVALID', `${file} is not a nagare config: ${issues.join('; ')}`);
  const profiles = (parsed as { profiles?: Record<string, Profile> }).profiles ?? {};
  return { profiles: Object.fromEntries(Object.entries(profiles).map(([name, { server, token }]) => [name, { server, token }])) };
}

/** Writes the whole file atomically (a reader never sees half of it), readable by its owner only. */
export function writeUserConfig(file: string, config: UserConfig): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

export function saveProfile(file: string, name: string, profile: Profile): void {
  const config = readUserConfig(file);
  writeUserConfig(file, { profiles: { ...config.profiles, [name]: profile } });
}

/** Removes a profile; false when there was none of that name. */
export function removeProfile(file: string, name: string): boolean {
  const config = readUserConfig(file);
  if (!(name in config.profiles)) return false;
  const { [name]: _removed, ...rest } = config.profiles;
  writeUserConfig(file, { profiles: rest });
  return true;
}
