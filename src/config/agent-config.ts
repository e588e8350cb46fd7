/**
 * The configuration of `nagare agent`, compiled once from flags and the environment (passed in by
 * the CLI) into the options of `startAgent`.
 */
import os from 'node:os';
import path from 'node:path';
import { NagareError } from '../core/errors.js';
import { parseImageMapping, type ImageMapping } from '../core/image-map.js';
import { LABEL_PATTERN, normaliseLabels } from '../core/job-routing.js';
import { defaultDeploymentRoot } from './deploy-local-config.js';
import { defaultStateDir, definedEnvironment } from './environment.js';
import { parseLogLimit } from './log-limit.js';

export interface AgentFlags {
  readonly server?: string;
  readonly token?: string;
  readonly name?: string;
  readonly tag?: readonly string[];
  readonly fleet?: string;
  readonly labels?: string;
  readonly workDir?: string;
  readonly executor?: string;
  readonly pollSeconds?: string;
  readonly maxLogMib?: string;
  readonly buildUser?: string;
  readonly allowRunAs?: string;
  readonly allowRootBuilds?: boolean;
  readonly imageMap?: readonly string[];
  readonly instanceName?: string;
  /** `--tags K=V,K2=V2`: the instance's tags. */
  readonly tags?: string;
  readonly deploymentRoot?: string;
  /** false with `--no-builds`. */
  readonly builds?: boolean;
}

/** Who shell builds run as (issue 7, finding 6); shared by `nagare agent` and `nagare up`. */
export interface BuildIsolationConfig {
  /** The build user a root agent runs shell builds as; undefined for the default, `nagare-build`. */
  readonly buildUser: string | undefined;
  readonly allowRunAs: readonly string[];
  readonly allowRootBuilds: boolean;
}

/** The options of `startAgent` that come from flags and the environment. */
export interface AgentConfig {
  /** One URL, or several of one cluster separated by commas (failover in order). */
  readonly serverUrl: string;
  readonly token: string;
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fleet: string | undefined;
  /** Labels given with --labels; `docker` is added at start when the engine answers. */
  readonly labels: readonly string[];
  readonly workDir: string;
  readonly executorKind: 'shell' | 'docker' | undefined;
  readonly hostEnvironment: Readonly<Record<string, string>>;
  readonly pollSeconds: number;
  /** Bytes of log kept per build (finding 11). */
  readonly logLimitBytes: number;
  readonly buildUser: string | undefined;
  readonly allowRunAs: readonly string[];
  readonly allowRootBuilds: boolean;
  /** `--image-map PATTERN=IMAGE` rules, in order (core/image-map.ts). */
  readonly imageMap: readonly ImageMapping[];
  /** `--instance-name`, `--tags`, `--deployment-root`: the on-premises instance this agent serves. */
  readonly instance: InstanceConfig | undefined;
  /** false with `--no-builds` (only with an instance). */
  readonly runBuilds: boolean;
}

export interface InstanceConfig {
  readonly instanceName: string;
  readonly tags: readonly { readonly Key: string; readonly Value: string }[];
  readonly deploymentRoot: string;
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
  const { fleet, labels } = compileAgentPlacement(flags, env);
  const executor = flags.executor;
  if (executor !== undefined && executor !== 'shell' && executor !== 'docker') throw new NagareError('CONFIG_INVALID', `--executor must be shell or docker, not '${executor}'`);
  const pollSeconds = flags.pollSeconds === undefined ? 20 : Number(flags.pollSeconds);
  if (!Number.isInteger(pollSeconds) || pollSeconds < 1 || pollSeconds > 60) throw new NagareError('CONFIG_INVALID', `--poll-seconds must be a whole number from 1 to 60, not '${flags.pollSeconds}'`);
  return {
    serverUrl,
    token,
    name: flags.name ?? os.hostname(),
    tags,
    fleet,
    labels,
    workDir: path.resolve(flags.workDir ?? defaultAgentWorkDir(env)),
    executorKind: executor,
    hostEnvironment: definedEnvironment(env),
    pollSeconds,
    logLimitBytes: parseLogLimit(flags.maxLogMib ?? env.NAGARE_MAX_LOG_MIB),
    ...compileBuildIsolation(flags, env),
    imageMap: compileImageMap(flags.imageMap, env),
    ...compileInstance(flags, env),
  };
}

/** As CodeDeploy names on-premises instances (RegisterOnPremisesInstance). */
const INSTANCE_NAME = /^[A-Za-z0-9._+=,@-]{1,100}$/;
const MAX_INSTANCE_TAGS = 10;

/**
 * `--instance-name` (or NAGARE_INSTANCE_NAME) makes the agent an on-premises instance with the
 * `--tags` (NAGARE_INSTANCE_TAGS) and a deployment root (`--deployment-root`,
 * NAGARE_DEPLOYMENT_ROOT; by default the one `nagare deploy local` uses). `--no-builds`
 * (NAGARE_NO_BUILDS=true) leaves it only the instance's deployments. The instance's flags without
 * a name are refused rather than ignored.
 */
export function compileInstance(flags: Pick<AgentFlags, 'instanceName' | 'tags' | 'deploymentRoot' | 'builds'>, env: NodeJS.ProcessEnv): { instance: InstanceConfig | undefined; runBuilds: boolean } {
  const instanceName = flags.instanceName ?? env.NAGARE_INSTANCE_NAME;
  const tagsText = flags.tags ?? env.NAGARE_INSTANCE_TAGS;
  const root = flags.deploymentRoot ?? env.NAGARE_DEPLOYMENT_ROOT;
  // Commander gives `builds: true` unless --no-builds, so the environment is read only when it did not say false.
  const runBuilds = flags.builds !== false && env.NAGARE_NO_BUILDS !== 'true';
  if (instanceName === undefined) {
    const stray = tagsText !== undefined ? '--tags' : root !== undefined ? '--deployment-root' : !runBuilds ? '--no-builds' : undefined;
    if (stray) throw new NagareError('CONFIG_INVALID', `${stray} is for an agent that serves an instance: give --instance-name NAME too`);
    return { instance: undefined, runBuilds };
  }
  if (!INSTANCE_NAME.test(instanceName)) throw new NagareError('CONFIG_INVALID', `--instance-name must be 1 to 100 letters, digits and . _ + = , @ -, not '${instanceName}'`);
  return { instance: { instanceName, tags: parseInstanceTags(tagsText ?? ''), deploymentRoot: path.resolve(root ?? defaultDeploymentRoot(env)) }, runBuilds };
}

/** `K=V,K2=V2` into CodeDeploy tags: every pair needs `=` and a key; at most 10, each key once. */
export function parseInstanceTags(text: string): { Key: string; Value: string }[] {
  const tags: { Key: string; Value: string }[] = [];
  for (const pair of text.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new NagareError('CONFIG_INVALID', `--tags takes KEY=VALUE pairs separated by commas (e.g. env=prod,role=web), not '${pair}'`);
    const tag = { Key: pair.slice(0, at), Value: pair.slice(at + 1) };
    if (tag.Key.length > 128 || tag.Value.length > 256) throw new NagareError('CONFIG_INVALID', `--tags: keys are at most 128 characters and values at most 256, not '${pair}'`);
    if (tags.some((other) => other.Key === tag.Key)) throw new NagareError('CONFIG_INVALID', `--tags names the key '${tag.Key}' twice`);
    tags.push(tag);
  }
  if (tags.length > MAX_INSTANCE_TAGS) throw new NagareError('CONFIG_INVALID', `--tags: an instance has at most ${MAX_INSTANCE_TAGS} tags, not ${tags.length}`);
  return tags;
}

/** `--image-map` flags (repeatable), or NAGARE_IMAGE_MAP with rules separated by commas. */
export function compileImageMap(flags: readonly string[] | undefined, env: NodeJS.ProcessEnv): ImageMapping[] {
  const written = flags ?? (env.NAGARE_IMAGE_MAP ?? '').split(',').map((rule) => rule.trim()).filter((rule) => rule !== '');
  return written.map((rule) => {
    const mapping = parseImageMapping(rule);
    if (!mapping) throw new NagareError('CONFIG_INVALID', `--image-map takes PATTERN=IMAGE, e.g. 'aws/codebuild/*=nagare/base:latest', not '${rule}'`);
    return mapping;
  });
}

const USER_NAME = /^[a-z_][a-z0-9_.-]{0,31}\$?$/i;

/** `--fleet` and `--labels` (`nagare agent` and the embedded agent of `nagare up`). */
export function compileAgentPlacement(flags: { readonly fleet?: string | undefined; readonly labels?: string | undefined }, env: NodeJS.ProcessEnv): { fleet: string | undefined; labels: string[] } {
  const fleet = flags.fleet ?? env.NAGARE_AGENT_FLEET;
  if (fleet !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_-]{1,127}$/.test(fleet)) throw new NagareError('CONFIG_INVALID', `--fleet must be a fleet name (2 to 128 letters, digits, - and _), not '${fleet}'`);
  const labels = normaliseLabels((flags.labels ?? env.NAGARE_AGENT_LABELS ?? '').split(','));
  for (const label of labels) {
    if (!LABEL_PATTERN.test(label)) throw new NagareError('CONFIG_INVALID', `--labels takes labels separated by commas (letters, digits, ., _ and -), not '${label}'`);
  }
  return { fleet, labels };
}

export function compileBuildIsolation(flags: { readonly buildUser?: string; readonly allowRunAs?: string; readonly allowRootBuilds?: boolean }, env: NodeJS.ProcessEnv): BuildIsolationConfig {
  const buildUser = flags.buildUser ?? env.NAGARE_BUILD_USER;
  if (buildUser !== undefined && !USER_NAME.test(buildUser)) throw new NagareError('CONFIG_INVALID', `--build-user must be a user name, not '${buildUser}'`);
  const allowRunAs = (flags.allowRunAs ?? env.NAGARE_ALLOW_RUN_AS ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of allowRunAs) {
    if (!USER_NAME.test(name)) throw new NagareError('CONFIG_INVALID', `--allow-run-as takes user names separated by commas, not '${name}'`);
    if (name === 'root') throw new NagareError('CONFIG_INVALID', '--allow-run-as cannot allow root: start the agent with --allow-root-builds for that');
  }
  return { buildUser, allowRunAs, allowRootBuilds: flags.allowRootBuilds ?? env.NAGARE_ALLOW_ROOT_BUILDS === 'true' };
}

/**
 * `nagare agent`'s work directory: <state-dir>/agent, or /var/lib/nagare/agent for root, whose
 * build user could not pass through /root to reach its builds.
 */
function defaultAgentWorkDir(env: NodeJS.ProcessEnv): string {
  return process.getuid?.() === 0 && env.NAGARE_STATE_DIR === undefined ? '/var/lib/nagare/agent' : path.join(defaultStateDir(env), 'agent');
}
