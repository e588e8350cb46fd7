/**
 * Where a client command finds its server and token, compiled once: flags, then the environment,
 * then the signed-in profile (`nagare login`), then — for a local `nagare up` — the admin token in
 * the data directory. The sources tried are kept, so a missing token can say where it looked.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_PORT, defaultDataDir } from './server-config.js';
import { profileName, readUserConfig, userConfigFile } from './user-config.js';

export interface ClientFlags {
  readonly server?: string;
  readonly token?: string;
  readonly profile?: string;
  readonly json?: boolean;
}

export interface ClientConfig {
  readonly server: string;
  readonly token: string | undefined;
  /** Where the token came from (`--token`, `NAGARE_TOKEN`, `profile 'default'`, a file), or undefined. */
  readonly tokenSource: string | undefined;
  /** Every place looked at for a token, in order, with what was found: for the credentials error. */
  readonly sourcesTried: readonly string[];
  readonly profile: string;
  readonly json: boolean;
  readonly color: boolean;
}

export function compileClientConfig(flags: ClientFlags, env: NodeJS.ProcessEnv = process.env, isTty = Boolean(process.stdout.isTTY)): ClientConfig {
  const profile = profileName(flags.profile, env);
  const configFile = userConfigFile(env);
  const saved = readUserConfig(configFile).profiles[profile];
  const server = flags.server ?? (env.NAGARE_SERVER || undefined) ?? saved?.server ?? `http://127.0.0.1:${env.NAGARE_PORT ?? DEFAULT_PORT}`;
  const credentialsFile = path.join(path.resolve(env.NAGARE_DATA_DIR ?? defaultDataDir(env)), 'initial-credentials.json');
  // A profile's token goes only to the profile's own server, never to another one named by a flag.
  const profileToken = saved && sameServer(saved.server, server) ? saved.token : undefined;
  const candidates: readonly (readonly [string, () => string | undefined, string])[] = [
    ['--token', () => flags.token, 'not given'],
    ['$NAGARE_TOKEN', () => env.NAGARE_TOKEN || undefined, 'unset'],
    [`profile '${profile}' in ${configFile}`, () => profileToken, saved ? `signed in to ${saved.server}, not ${server}` : 'not signed in'],
    [credentialsFile, () => localToken(credentialsFile), 'not found (the first start of `nagare up` writes it)'],
  ];
  const sourcesTried: string[] = [];
  for (const [source, read, absent] of candidates) {
    const token = read();
    if (token !== undefined) return { server, token, tokenSource: source, sourcesTried, profile, json: flags.json ?? false, color: colorWanted(env, isTty) };
    sourcesTried.push(`${source}: ${absent}`);
  }
  return { server, token: undefined, tokenSource: undefined, sourcesTried, profile, json: flags.json ?? false, color: colorWanted(env, isTty) };
}

function colorWanted(env: NodeJS.ProcessEnv, isTty: boolean): boolean {
  return isTty && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

function sameServer(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

function localToken(file: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { token?: string }).token;
  } catch {
    return undefined;
  }
}
