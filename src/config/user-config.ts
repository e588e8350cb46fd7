/**
 * The user's sign-ins: `$XDG_CONFIG_HOME/nagare/config.json` (~/.config/nagare/config.json), mode
 * 0600 in a 0700 directory, holding one server and token per named profile, like the AWS CLI's
 * profiles. `nagare login` and `nagare up` write it; client commands read it once at start.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { NagareError } from '../core/errors.js';

export const DEFAULT_PROFILE = 'default';

const profileSchema = z.object({ server: z.string().min(1), token: z.string().min(1) });
const userConfigSchema = z.object({ profiles: z.record(z.string(), profileSchema).default({}) });

export type Profile = z.infer<typeof profileSchema>;
export type UserConfig = z.infer<typeof userConfigSchema>;

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
  const result = userConfigSchema.safeParse(parsed);
  if (!result.success) throw new NagareError('CONFIG_INVALID', `${file} is not a nagare config: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return result.data;
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
