/**
 * Configuration of `nagare up`, `nagare server` and the client commands, compiled once from flags
 * and the environment. Only src/config reads `process.env`.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { NagareError } from '../core/errors.js';
import type { ImageMapping } from '../core/image-map.js';
import { compileAgentPlacement, compileBuildIsolation, compileImageMap, compileInstance, type BuildIsolationConfig, type InstanceConfig } from './agent-config.js';
import { definedEnvironment } from './environment.js';
import { parseLogLimit } from './log-limit.js';

export const DEFAULT_PORT = 8780;

export interface ServerFlags {
  readonly dataDir?: string;
  readonly port?: string;
  readonly host?: string;
  readonly databaseUrl?: string;
  readonly secretKey?: string;
  readonly logLevel?: string;
  readonly logFormat?: string;
  readonly approvalWebhookUrl?: string;
  readonly approvalWebhookSecret?: string;
  readonly maxLogMib?: string;
  readonly allowLocalMirrors?: boolean;
  readonly metricsPublic?: boolean;
  readonly workDir?: string;
  readonly buildUser?: string;
  readonly allowRunAs?: string;
  readonly allowRootBuilds?: boolean;
  readonly fleet?: string;
  readonly labels?: string;
  readonly imageMap?: readonly string[];
  readonly retainBuildsDays?: string;
  readonly retainExecutionsDays?: string;
  readonly instanceName?: string;
  readonly tags?: string;
  readonly deploymentRoot?: string;
}

export interface ServerConfig {
  readonly dataDir: string;
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string | undefined;
  readonly secretKey: string | undefined;
  readonly logLevel: string;
  /** Readable lines on a terminal, JSON otherwise (`--log-format`). */
  readonly logFormat: 'json' | 'pretty';
  /** Colour in pretty logs: a terminal and no NO_COLOR. */
  readonly logColor: boolean;
  readonly hostEnvironment: Readonly<Record<string, string>>;
  /** Where waiting manual approvals are announced (POST, signed with the secret), if anywhere. */
  readonly approvalWebhookUrl: string | undefined;
  readonly approvalWebhookSecret: string | undefined;
  /** Bytes of log kept per build, by the server and the embedded agent (finding 11). */
  readonly maxLogBytes: number;
  /** Repositories may mirror file://, local paths and this machine's addresses (issue 7). */
  readonly allowLocalMirrors: boolean;
  /** `/metrics` answers without a token (`--metrics-public`). */
  readonly metricsPublic: boolean;
  /** Retention windows in days; undefined keeps everything (the default). */
  readonly retainBuildsDays: number | undefined;
  readonly retainExecutionsDays: number | undefined;
  /** Request body limits in bytes (the server's defaults where unset). */
  readonly maxArtifactBytes: number | undefined;
  readonly bodyLimits: { readonly jsonBytes?: number | undefined; readonly webhookBytes?: number | undefined; readonly gitPushBytes?: number | undefined };
  /** `nagare up`: where the embedded agent's builds run, outside the data directory (which is 0700). */
  readonly agentWorkDir: string;
  readonly buildIsolation: BuildIsolationConfig;
  /** `nagare up`: the fleet the embedded agent joins (created when missing) and the labels it advertises. */
  readonly agentFleet: string | undefined;
  readonly agentLabels: readonly string[];
  /** The embedded agent's `--image-map` rules (core/image-map.ts). */
  readonly imageMap: readonly ImageMapping[];
  /** `nagare up --instance-name`: the embedded agent also serves this host as an on-premises instance. */
  readonly agentInstance: InstanceConfig | undefined;
}

export function compileServerConfig(flags: ServerFlags, env: NodeJS.ProcessEnv = process.env, stderrIsTty = Boolean(process.stderr.isTTY)): ServerConfig {
  const logFormat = flags.logFormat ?? env.NAGARE_LOG_FORMAT ?? (stderrIsTty ? 'pretty' : 'json');
  if (logFormat !== 'json' && logFormat !== 'pretty') throw new NagareError('CONFIG_INVALID', `--log-format must be json or pretty, not '${logFormat}'`);
  const port = Number(flags.port ?? env.NAGARE_PORT ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new NagareError('CONFIG_INVALID', `--port must be a port number, not '${flags.port ?? env.NAGARE_PORT}'`);
  const databaseUrl = flags.databaseUrl ?? env.NAGARE_DATABASE_URL;
  if (databaseUrl !== undefined && !/^(postgres(ql)?|sqlite):\/\//.test(databaseUrl)) {
    throw new NagareError('CONFIG_INVALID', `--database-url must start with postgres:// or sqlite://, not '${databaseUrl}'`);
  }
  const approvalWebhookUrl = flags.approvalWebhookUrl ?? env.NAGARE_APPROVAL_WEBHOOK_URL;
  if (approvalWebhookUrl !== undefined && !/^https?:\/\/[^/]/.test(approvalWebhookUrl)) {
    throw new NagareError('CONFIG_INVALID', `--approval-webhook-url must be an http:// or https:// URL, not '${approvalWebhookUrl}'`);
  }
  const dataDir = path.resolve(flags.dataDir ?? env.NAGARE_DATA_DIR ?? defaultDataDir(env));
  const agentWorkDir = path.resolve(flags.workDir ?? defaultEmbeddedWorkDir(dataDir, env));
  if (agentWorkDir === dataDir || agentWorkDir.startsWith(dataDir + path.sep)) {
    throw new NagareError('CONFIG_INVALID', `--work-dir must be outside the data directory ${dataDir}: builds may not reach the data directory`);
  }
  return {
    dataDir,
    agentWorkDir,
    buildIsolation: compileBuildIsolation(flags, env),
    ...(({ fleet, labels }) => ({ agentFleet: fleet, agentLabels: labels }))(compileAgentPlacement(flags, env)),
    imageMap: compileImageMap(flags.imageMap, env),
    agentInstance: compileEmbeddedInstance(flags, env),
    port,
    host: flags.host ?? env.NAGARE_HOST ?? '127.0.0.1',
    databaseUrl,
    secretKey: flags.secretKey ?? env.NAGARE_SECRET_KEY,
    logLevel: flags.logLevel ?? env.NAGARE_LOG_LEVEL ?? 'info',
    logFormat,
    logColor: stderrIsTty && env.NO_COLOR === undefined && env.TERM !== 'dumb',
    hostEnvironment: definedEnvironment(env),
    approvalWebhookUrl,
    approvalWebhookSecret: flags.approvalWebhookSecret ?? env.NAGARE_APPROVAL_WEBHOOK_SECRET,
    maxLogBytes: parseLogLimit(flags.maxLogMib ?? env.NAGARE_MAX_LOG_MIB),
    metricsPublic: flags.metricsPublic ?? isTrue(env.NAGARE_METRICS_PUBLIC, 'NAGARE_METRICS_PUBLIC'),
    allowLocalMirrors: flags.allowLocalMirrors ?? isTrue(env.NAGARE_ALLOW_LOCAL_MIRRORS, 'NAGARE_ALLOW_LOCAL_MIRRORS'),
    retainBuildsDays: retentionDays(flags.retainBuildsDays ?? env.NAGARE_RETAIN_BUILDS_DAYS, '--retain-builds-days'),
    retainExecutionsDays: retentionDays(flags.retainExecutionsDays ?? env.NAGARE_RETAIN_EXECUTIONS_DAYS, '--retain-executions-days'),
    maxArtifactBytes: byteLimit(env, 'NAGARE_MAX_ARTIFACT_BYTES'),
    bodyLimits: {
      jsonBytes: byteLimit(env, 'NAGARE_MAX_JSON_BYTES'),
      webhookBytes: byteLimit(env, 'NAGARE_MAX_WEBHOOK_BYTES'),
      gitPushBytes: byteLimit(env, 'NAGARE_MAX_GIT_PUSH_BYTES'),
    },
  };
}

function isTrue(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '' || value === '0' || value.toLowerCase() === 'false') return false;
  if (value === '1' || value.toLowerCase() === 'true') return true;
  throw new NagareError('CONFIG_INVALID', `${name} must be 1/true or 0/false, not '${value}'`);
}

/** A whole number of days from 1, or undefined (keep everything). */
function retentionDays(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const days = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(days) || days < 1) throw new NagareError('CONFIG_INVALID', `${name} must be a whole number of days from 1, not '${value}'`);
  return days;
}

/** A positive whole number of bytes from the environment, or undefined for the default. */
function byteLimit(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const bytes = Number(value);
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new NagareError('CONFIG_INVALID', `${name} must be a whole number of bytes, not '${value}'`);
  return bytes;
}

/**
 * `nagare up --instance-name --tags --deployment-root`: flags only, so that the NAGARE_INSTANCE_*
 * variables of a host's `nagare agent` never turn a `nagare server` or `up` into an instance.
 */
function compileEmbeddedInstance(flags: ServerFlags, env: NodeJS.ProcessEnv): InstanceConfig | undefined {
  const { NAGARE_INSTANCE_NAME: _name, NAGARE_INSTANCE_TAGS: _tags, NAGARE_DEPLOYMENT_ROOT: _root, NAGARE_NO_BUILDS: _builds, ...rest } = env;
  return compileInstance({ instanceName: flags.instanceName, tags: flags.tags, deploymentRoot: flags.deploymentRoot }, rest).instance;
}

/**
 * One work directory per data directory (two servers on a host do not share one), never inside it:
 * /var/lib/nagare/work/… for root, whose build user cannot pass through /root; ~/.cache otherwise.
 */
function defaultEmbeddedWorkDir(dataDir: string, env: NodeJS.ProcessEnv): string {
  const base = process.getuid?.() === 0 ? '/var/lib/nagare/work' : path.join(env.XDG_CACHE_HOME ?? path.join(env.HOME ?? os.homedir(), '.cache'), 'nagare', 'work');
  return path.join(base, `${path.basename(dataDir)}-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`);
}

export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  return path.join(env.XDG_DATA_HOME ?? path.join(env.HOME ?? os.homedir(), '.local', 'share'), 'nagare');
}

export type { ClientConfig, ClientFlags } from './client-config.js';
