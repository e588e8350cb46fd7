/**
 * The configuration of `nagare deploy local`, compiled once from its flags and the environment,
 * with `codedeploy-local`'s defaults (reference §2.13): the bundle in the current directory as a
 * directory, DISALLOW, group `default-local-deployment-group` named `LocalFleet`, the application
 * named after the bundle location, and the in-place events with DownloadBundle and Install always
 * in them.
 */
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { FILE_EXISTS_BEHAVIORS, IN_PLACE_EVENTS, LIFECYCLE_EVENTS, type FileExistsBehavior } from '../core/appspec.js';
import { NagareError } from '../core/errors.js';
import { defaultStateDir, definedEnvironment } from './environment.js';

export interface DeployLocalFlags {
  readonly bundleLocation?: string;
  readonly type?: string;
  readonly fileExistsBehavior?: string;
  readonly deploymentGroup?: string;
  readonly deploymentGroupName?: string;
  readonly applicationName?: string;
  readonly events?: string;
  readonly deploymentRoot?: string;
  readonly ignoreApplicationStopFailures?: boolean;
  readonly json?: boolean;
}

export interface DeployLocalConfig {
  readonly bundle: { readonly path: string; readonly type: 'zip' | 'tar' | 'tgz' | 'directory' };
  readonly fileExistsBehavior: FileExistsBehavior;
  readonly deploymentGroupId: string;
  readonly deploymentGroupName: string;
  readonly applicationName: string;
  readonly deploymentId: string;
  readonly events: readonly string[];
  readonly deploymentRoot: string;
  readonly ignoreApplicationStopFailures: boolean;
  readonly json: boolean;
  readonly color: boolean;
  /** What hook scripts inherit, as the agent's own environment. */
  readonly environment: Readonly<Record<string, string>>;
}

const BUNDLE_TYPES = ['zip', 'tar', 'tgz', 'directory'] as const;
const GROUP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function compileDeployLocalConfig(flags: DeployLocalFlags, env: NodeJS.ProcessEnv = process.env, isTty = Boolean(process.stdout.isTTY)): DeployLocalConfig {
  const type = BUNDLE_TYPES.find((known) => known === (flags.type ?? 'directory'));
  if (type === undefined) throw new NagareError('CONFIG_INVALID', `--type must be one of ${BUNDLE_TYPES.join(', ')}, not '${flags.type ?? ''}'`);
  const fileExistsBehavior = FILE_EXISTS_BEHAVIORS.find((known) => known === (flags.fileExistsBehavior ?? 'DISALLOW').toUpperCase());
  if (fileExistsBehavior === undefined) throw new NagareError('CONFIG_INVALID', `--file-exists-behavior must be one of ${FILE_EXISTS_BEHAVIORS.join(', ')}, not '${flags.fileExistsBehavior ?? ''}'`);
  const deploymentGroupId = flags.deploymentGroup ?? 'default-local-deployment-group';
  if (!GROUP_ID.test(deploymentGroupId) || deploymentGroupId.includes('..')) {
    throw new NagareError('CONFIG_INVALID', `--deployment-group '${deploymentGroupId}' must be 1–128 letters, digits, '.', '_' or '-' (it names a directory of the deployment root)`);
  }
  const bundlePath = path.resolve(flags.bundleLocation ?? '.');
  const deploymentId = `d-${Array.from({ length: 9 }, () => ID_ALPHABET.charAt(randomInt(ID_ALPHABET.length))).join('')}-local`;
  return {
    bundle: { path: bundlePath, type },
    fileExistsBehavior,
    deploymentGroupId,
    deploymentGroupName: flags.deploymentGroupName ?? 'LocalFleet',
    applicationName: flags.applicationName ?? bundlePath,
    deploymentId,
    events: parseEvents(flags.events),
    deploymentRoot: path.resolve(flags.deploymentRoot ?? defaultDeploymentRoot(env)),
    ignoreApplicationStopFailures: flags.ignoreApplicationStopFailures ?? false,
    json: flags.json ?? false,
    color: isTty && env.NO_COLOR === undefined && env.TERM !== 'dumb',
    environment: Object.fromEntries(Object.entries(definedEnvironment(env)).filter(([name]) => !name.startsWith('NAGARE_'))),
  };
}

/** /opt/nagare/deployment-root as root (as the agent's /opt/codedeploy-agent/deployment-root), a per-user directory otherwise. */
export function defaultDeploymentRoot(env: NodeJS.ProcessEnv): string {
  return process.getuid?.() === 0 ? '/opt/nagare/deployment-root' : path.join(defaultStateDir(env), 'deployment-root');
}

/**
 * `--events A,B,…`: the events named, with DownloadBundle and Install always added, all in the
 * canonical order (as codedeploy-local); no flag means the in-place events.
 */
export function parseEvents(flag: string | undefined): string[] {
  if (flag === undefined) return [...IN_PLACE_EVENTS];
  const named = flag.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = named.filter((name) => !LIFECYCLE_EVENTS.some((event) => event === name));
  if (unknown.length > 0) throw new NagareError('CONFIG_INVALID', `--events names ${unknown.join(', ')}, which ${unknown.length === 1 ? 'is not a lifecycle event' : 'are not lifecycle events'}; the events are ${LIFECYCLE_EVENTS.join(', ')}`);
  const wanted = new Set([...named, 'DownloadBundle', 'Install']);
  return LIFECYCLE_EVENTS.filter((event) => wanted.has(event));
}
