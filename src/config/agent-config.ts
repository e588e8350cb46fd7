/**
 * The configuration of `nagare agent`, compiled once from flags and the environment (passed in by
 * the CLI) into the options of `startAgent`.
 */
import os from 'node:os';
import path from 'node:path';
import { NagareError } from '../core/errors.js';
import { defaultStateDir, definedEnvironment } from './environment.js';
import { parseLogLimit } from './log-limit.js';

export interface AgentFlags {
  readonly server?: string;
  readonly token?: string;
  readonly name?: string;
  readonly tag?: readonly string[];
  readonly workDir?: string;
  readonly executor?: string;
  readonly pollSeconds?: string;
  readonly maxLogMib?: string;
}

/** The options of `startAgent` that come from flags and the environment. */
export interface AgentConfig {
  /** One URL, or several of one cluster separated by commas (failover in order). */
  readonly serverUrl: string;
  readonly token: string;
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly workDir: string;
  readonly executorKind: 'shell' | 'docker' | undefined;
  readonly hostEnvironment: Readonly<Record<string, string>>;
  readonly pollSeconds: number;
  /** Bytes of log kept per build (finding 11). */
  readonly logLimitBytes: number;
}

export function compileAgentConfig(flags: AgentFlags, env: NodeJS.ProcessEnv): AgentConfig {
  const serverUrl = flags.server ?? env.NAGARE_SERVER;
  if (!serverUrl) throw new NagareError('CONFIG_INVALID', 'nagare agent needs --server URL (or NAGARE_SERVER)');
  // Several servers of one cluster: URL1,URL2, tried in that order (the agent client fails over).
  for (const url of serverUrl.split(',')) {
    if (!/^https?:\/\/[^/]/.test(url.trim())) throw new NagareError('CONFIG_INVALID', `--server must be an http:// or https:// URL, or several separated by commas, not '${serverUrl}'`);
  }
  const token = flags.token ?? env.NAGARE_AGENT_TOKEN;
  if (!token) throw new NagareError('CONFIG_INVALID', 'nagare agent needs --token TOKEN (or NAGARE_AGENT_TOKEN): a registration token from the server');
  const tags: Record<string, string> = {};
  for (const tag of flags.tag ?? []) {
    const at = tag.indexOf('=');
    if (at <= 0) throw new NagareError('CONFIG_INVALID', `--tag must be KEY=VALUE, not '${tag}'`);
    tags[tag.slice(0, at)] = tag.slice(at + 1);
  }
  const executor = flags.executor;
  if (executor !== undefined && executor !== 'shell' && executor !== 'docker') throw new NagareError('CONFIG_INVALID', `--executor must be shell or docker, not '${executor}'`);
  const pollSeconds = flags.pollSeconds === undefined ? 20 : Number(flags.pollSeconds);
  if (!Number.isInteger(pollSeconds) || pollSeconds < 1 || pollSeconds > 60) throw new NagareError('CONFIG_INVALID', `--poll-seconds must be a whole number from 1 to 60, not '${flags.pollSeconds}'`);
  return {
    serverUrl,
    token,
    name: flags.name ?? os.hostname(),
    tags,
    workDir: path.resolve(flags.workDir ?? path.join(defaultStateDir(env), 'agent')),
    executorKind: executor,
    hostEnvironment: definedEnvironment(env),
    pollSeconds,
    logLimitBytes: parseLogLimit(flags.maxLogMib ?? env.NAGARE_MAX_LOG_MIB),
  };
}
