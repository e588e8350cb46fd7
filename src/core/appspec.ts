/**
 * The compiled appspec of an EC2/on-premises deployment (reference §2.1–2.5): what src/spec makes
 * of an `appspec.yml` and what the host side (src/deploy) runs. Plain readonly data with every
 * default applied; field names follow the appspec keys.
 */
import type { SourcePosition } from './errors.js';

/**
 * Every lifecycle event of an in-place or blue/green deployment on one instance, in the agent's
 * order (§2.5, `DEFAULT_ORDERED_LIFECYCLE_EVENTS`).
 */
export const LIFECYCLE_EVENTS = [
  'BeforeBlockTraffic', 'BlockTraffic', 'AfterBlockTraffic',
  'ApplicationStop', 'DownloadBundle', 'BeforeInstall', 'Install', 'AfterInstall', 'ApplicationStart', 'ValidateService',
  'BeforeAllowTraffic', 'AllowTraffic', 'AfterAllowTraffic',
] as const;
export type LifecycleEventName = (typeof LIFECYCLE_EVENTS)[number];

/** The events done by the agent or the service itself, which an appspec cannot give scripts. */
export const UNSCRIPTABLE_EVENTS: readonly LifecycleEventName[] = ['BlockTraffic', 'DownloadBundle', 'Install', 'AllowTraffic'];

/** The events an appspec's `hooks` may name. */
export const SCRIPTABLE_EVENTS: readonly LifecycleEventName[] = LIFECYCLE_EVENTS.filter((event) => !UNSCRIPTABLE_EVENTS.includes(event));

/** What an in-place deployment without a load balancer runs (§2.5), the default of `deploy local`. */
export const IN_PLACE_EVENTS: readonly LifecycleEventName[] = [
  'ApplicationStop', 'DownloadBundle', 'BeforeInstall', 'Install', 'AfterInstall', 'ApplicationStart', 'ValidateService',
];

/** The events whose scripts come from the last successful install, not the revision being deployed. */
export const PREVIOUS_REVISION_EVENTS: readonly LifecycleEventName[] = ['ApplicationStop', 'BeforeBlockTraffic', 'AfterBlockTraffic'];

export type FileExistsBehavior = 'DISALLOW' | 'OVERWRITE' | 'RETAIN';
export const FILE_EXISTS_BEHAVIORS: readonly FileExistsBehavior[] = ['DISALLOW', 'OVERWRITE', 'RETAIN'];

/** The default and the most a hook script may run, in seconds (§2.4). */
export const DEFAULT_HOOK_TIMEOUT_SECONDS = 3600;
export const MAX_HOOK_TIMEOUT_SECONDS = 3600;

export interface FileMapping {
  /** Relative to the revision's root, `/`-separated, normalised; `.` is the whole revision. */
  readonly source: string;
  /** An absolute path on the instance, normalised. */
  readonly destination: string;
}

export type PermissionType = 'file' | 'directory';

export interface SelinuxContext {
  readonly user: string | undefined;
  readonly type: string;
  readonly range: string;
}

export interface PermissionSpec {
  /** An absolute path on the instance, normalised. */
  readonly object: string;
  /** `**` (everything below object) or a one-component glob of its direct children. */
  readonly pattern: string;
  readonly except: readonly string[];
  readonly owner: string | undefined;
  readonly group: string | undefined;
  /** The numeric mode (e.g. 0o644), or undefined to leave modes alone. */
  readonly mode: number | undefined;
  /** setfacl entries as written (`u:bob:rw`, `d:g:staff:r`). */
  readonly acls: readonly string[];
  readonly context: SelinuxContext | undefined;
  readonly type: readonly PermissionType[];
}

export interface HookScript {
  /** Relative to the revision's root, `/`-separated, normalised. */
  readonly location: string;
  /** Seconds; DEFAULT_HOOK_TIMEOUT_SECONDS when absent. */
  readonly timeout: number;
  readonly runas: string | undefined;
  readonly position: SourcePosition | undefined;
}

export interface AppSpec {
  readonly version: '0.0';
  readonly os: 'linux';
  readonly files: readonly FileMapping[];
  /** undefined when the appspec does not say (the deployment's setting then applies). */
  readonly fileExistsBehavior: FileExistsBehavior | undefined;
  readonly permissions: readonly PermissionSpec[];
  readonly hooks: Readonly<Partial<Record<LifecycleEventName, readonly HookScript[]>>>;
  readonly file: string;
}
