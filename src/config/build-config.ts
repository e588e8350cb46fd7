/**
 * The configuration of `nagare build`, compiled once from flags, the environment and the files the
 * flags name (env file, parameters file) into one readonly value. Only this module reads
 * `process.env`; everything after it takes what it needs as arguments.
 */
import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { NagareError } from '../core/errors.js';
import { defaultStateDir, definedEnvironment } from './environment.js';
import { parseLogLimit } from './log-limit.js';

export interface BuildFlags {
  readonly source?: string;
  readonly buildspec?: string;
  readonly artifacts?: string;
  readonly reports?: string;
  readonly envFile?: string;
  readonly envVar?: readonly string[];
  readonly parameters?: string;
  readonly image?: string;
  readonly executor?: string;
  readonly projectName?: string;
  readonly timeout?: string;
  readonly maxLogMib?: string;
  readonly stateDir?: string;
  readonly cacheDir?: string;
  readonly cacheLimit?: string;
  readonly json?: boolean;
  readonly validate?: boolean;
  readonly parallel?: string;
  readonly inPlace?: boolean;
  readonly privilegedMode?: boolean;
}

export interface BuildConfig {
  readonly sourceDir: string;
  readonly buildspec: string | undefined;
  readonly artifactsDir: string;
  readonly reportsDir: string | undefined;
  readonly overrides: Readonly<Record<string, string>>;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly executor: 'shell' | 'docker';
  readonly image: string | undefined;
  readonly projectName: string;
  readonly timeoutInMinutes: number;
  /** Bytes of log kept (finding 11); later output is dropped with a marker line. */
  readonly logLimitBytes: number;
  readonly stateDir: string;
  readonly cacheDir: string;
  /** The largest cache save in bytes (issue 7: every input has a bound). */
  readonly cacheLimitBytes: number;
  readonly json: boolean;
  readonly validateOnly: boolean;
  /** Build in the source directory itself instead of a fresh copy of it. */
  readonly inPlace: boolean;
  /** CodeBuild's privilegedMode: the Docker build gets the engine's socket. */
  readonly privilegedMode: boolean;
  readonly color: boolean;
  readonly region: string;
  readonly initiator: string;
  readonly hostEnvironment: Readonly<Record<string, string>>;
  /** The most builds of a batch running at once (`--parallel`); the machine's CPUs by default. */
  readonly parallel: number;
}

const PROJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export async function compileBuildConfig(flags: BuildFlags, env: NodeJS.ProcessEnv = process.env, isTty = Boolean(process.stdout.isTTY)): Promise<BuildConfig> {
  const sourceDir = path.resolve(flags.source ?? '.');
  const source = await stat(sourceDir).catch(() => undefined);
  if (!source) throw new NagareError('BUILD_SOURCE_NOT_FOUND', `-s/--source: the directory ${flags.source ?? sourceDir} does not exist`);
  if (!source.isDirectory()) throw new NagareError('BUILD_SOURCE_NOT_FOUND', `-s/--source: ${flags.source ?? sourceDir} is a file, not a directory`);
  const executor = flags.executor ?? (flags.image ? 'docker' : 'shell');
  if (executor !== 'shell' && executor !== 'docker') {
    throw new NagareError('CONFIG_INVALID', `--executor must be shell or docker, not '${executor}'`);
  }
  if (executor === 'docker' && !flags.image) {
    throw new NagareError('CONFIG_INVALID', '--executor docker needs --image IMAGE (for example nagare/base:latest, built by scripts/build-base-image.sh)');
  }
  if (flags.privilegedMode && executor !== 'docker') {
    throw new NagareError('CONFIG_INVALID', '--privileged-mode gives the build the Docker engine, which only a Docker build can be given: add --image IMAGE (for example nagare/base:latest)');
  }
  const projectName = flags.projectName ?? defaultProjectName(sourceDir);
  if (!PROJECT_NAME.test(projectName)) {
    throw new NagareError('CONFIG_INVALID', `Project name '${projectName}' must be 2–255 characters of letters, digits, '-' and '_' and start with a letter or digit; pass --project-name`);
  }
  const timeoutInMinutes = parseTimeout(flags.timeout);
  const stateDir = path.resolve(flags.stateDir ?? defaultStateDir(env));
  const overrides = { ...(flags.envFile ? await readEnvFile(flags.envFile) : {}), ...parseEnvVars(flags.envVar ?? []) };
  return {
    sourceDir,
    buildspec: flags.buildspec,
    artifactsDir: path.resolve(flags.artifacts ?? path.join(stateDir, 'artifacts', projectName)),
    reportsDir: flags.reports === undefined ? undefined : path.resolve(flags.reports),
    overrides,
    parameters: flags.parameters ? await readParametersFile(flags.parameters) : {},
    executor,
    image: flags.image,
    projectName,
    timeoutInMinutes,
    logLimitBytes: parseLogLimit(flags.maxLogMib),
    stateDir,
    cacheDir: path.resolve(flags.cacheDir ?? path.join(stateDir, 'cache')),
    cacheLimitBytes: parseCacheLimit(flags.cacheLimit),
    json: flags.json ?? false,
    validateOnly: flags.validate ?? false,
    inPlace: flags.inPlace ?? false,
    privilegedMode: flags.privilegedMode ?? false,
    color: isTty && env.NO_COLOR === undefined && env.TERM !== 'dumb',
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    initiator: env.USER ?? env.LOGNAME ?? os.userInfo().username,
    hostEnvironment: definedEnvironment(env),
    parallel: parseParallel(flags.parallel),
  };
}

function parseParallel(value: string | undefined): number {
  if (value === undefined) return os.availableParallelism();
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 100) {
    throw new NagareError('CONFIG_INVALID', `--parallel must be a whole number of builds from 1 to 100, not '${value}'`);
  }
  return count;
}

function defaultProjectName(sourceDir: string): string {
  const name = path.basename(sourceDir).replace(/[^A-Za-z0-9_-]/g, '-').replace(/^[-_]+/, '');
  return name.length >= 2 ? name : 'local-build';
}

/** Minutes, 5–2160 in CodeBuild; locally any whole number from 1 is allowed for quick checks. */
function parseTimeout(value: string | undefined): number {
  if (value === undefined) return 60;
  const minutes = Number(value);
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 2160) {
    throw new NagareError('CONFIG_INVALID', `--timeout must be a number of minutes between 0 and 2160, not '${value}'`);
  }
  return minutes;
}

/** Bytes, or a whole number with K, M, G or T (powers of 1,024); 5G when absent. */
function parseCacheLimit(value: string | undefined): number {
  if (value === undefined) return 5 * 1024 ** 3;
  const match = /^([0-9]+)([KMGT]?)$/i.exec(value.trim());
  const bytes = match ? Number(match[1]) * 1024 ** 'BKMGT'.indexOf((match[2] || 'B').toUpperCase()) : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new NagareError('CONFIG_INVALID', `--cache-limit must be a size such as 500M or 5G, not '${value}'`);
  }
  return bytes;
}

/** `NAME=VALUE` lines as CodeBuild's local `-e` file: `#` comments and blank lines skipped, quotes kept. */
export async function readEnvFile(file: string): Promise<Record<string, string>> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new NagareError('CONFIG_FILE_NOT_FOUND', `Env file ${file} cannot be read`);
  });
  const vars: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const [name, value] = splitAssignment(line, `${file}:${index + 1}`);
    vars[name] = value;
  });
  return vars;
}

function parseEnvVars(assignments: readonly string[]): Record<string, string> {
  return Object.fromEntries(assignments.map((a) => splitAssignment(a, `--env-var ${a}`)));
}

function splitAssignment(text: string, where: string): [string, string] {
  const eq = text.indexOf('=');
  const name = eq === -1 ? text.trim() : text.slice(0, eq).trim();
  if (eq === -1 || !VARIABLE_NAME.test(name)) {
    throw new NagareError('CONFIG_INVALID', `${where}: expected NAME=VALUE with a shell variable name`);
  }
  if (name.startsWith('CODEBUILD_')) {
    throw new NagareError('CONFIG_INVALID', `${where}: names starting with CODEBUILD_ are reserved for the build`);
  }
  return [name, text.slice(eq + 1)];
}

/** A JSON or YAML map of parameter names and secret ids to values. */
export async function readParametersFile(file: string): Promise<Record<string, unknown>> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new NagareError('CONFIG_FILE_NOT_FOUND', `Parameters file ${file} cannot be read`);
  });
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new NagareError('CONFIG_INVALID', `Parameters file ${file} is not valid JSON or YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  const map = data ?? {};
  if (typeof map !== 'object' || Array.isArray(map)) throw new NagareError('CONFIG_INVALID', `Parameters file ${file} must be a map of names to values`);
  return map as Record<string, unknown>;
}
