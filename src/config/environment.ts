/** What the configuration modules read from the environment in the same way. */
import os from 'node:os';
import path from 'node:path';

/** NAGARE_DEBUG=1: the CLI adds the stack to an internal error's one-line message. */
export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NAGARE_DEBUG === '1' || env.NAGARE_DEBUG?.toLowerCase() === 'true';
}

/** The environment without unset entries: what builds and git start from. */
export function definedEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Build numbers, the local cache and agent work directories: $NAGARE_STATE_DIR or ~/.local/state/nagare. */
export function defaultStateDir(env: NodeJS.ProcessEnv): string {
  return env.NAGARE_STATE_DIR ?? path.join(env.XDG_STATE_HOME ?? path.join(env.HOME ?? os.homedir(), '.local', 'state'), 'nagare');
}
