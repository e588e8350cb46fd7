/** What a command returns to `main`, which alone turns it into output and an exit status. */
import type { BuildRecord } from '../build/result.js';
import type { StatusType } from '../core/build-phases.js';
import { unhandledCode, type ErrorCode } from '../core/errors.js';
import type { LifecycleEventResult } from '../deploy/instance-deployment.js';

export type CommandOutcome =
  | { readonly kind: 'build'; readonly record: BuildRecord; readonly json: boolean }
  /** `warnings`: `file:line:column: message` for what the buildspec has that CodeBuild ignores. */
  | { readonly kind: 'validated'; readonly file: string; readonly json: boolean; readonly warnings: readonly string[] }
  /** Anything else: `value` printed as JSON with --json, `text` otherwise; a build's status sets the exit code. */
  | { readonly kind: 'output'; readonly json: boolean; readonly value: unknown; readonly text: string; readonly buildStatus?: StatusType | undefined }
  /** `deploy local`: its events were printed live; the status sets the exit code. */
  | { readonly kind: 'deployment'; readonly record: LocalDeploymentRecord; readonly json: boolean }
  /** Ctrl-C while following a build: the build goes on; `text` says so on stderr. */
  | { readonly kind: 'detached'; readonly text: string }
  /** A long-running command (server, agent) that ended on a signal. */
  | { readonly kind: 'stopped' };

/** Exit status of a follower detached by Ctrl-C: none of a build's own (130 is STOPPED). */
export const DETACHED_EXIT_CODE = 5;

/** What `nagare deploy local --json` prints. */
export interface LocalDeploymentRecord {
  readonly deploymentId: string;
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  readonly deploymentGroupId: string;
  readonly deploymentRoot: string;
  readonly status: 'Succeeded' | 'Failed' | 'Stopped';
  readonly scriptsLog: string;
  readonly lifecycleEvents: readonly LifecycleEventResult[];
}

/** Exit status of a local deployment: 0 only when it succeeded. */
export function deploymentExitCode(status: LocalDeploymentRecord['status']): number {
  switch (status) {
    case 'Succeeded':
      return 0;
    case 'Failed':
      return 1;
    case 'Stopped':
      return 130;
  }
}

/** Exit status of a finished build: 0 only on SUCCEEDED. */
export function buildExitCode(status: StatusType): number {
  switch (status) {
    case 'SUCCEEDED':
      return 0;
    case 'FAILED':
      return 1;
    case 'FAULT':
      return 3;
    case 'TIMED_OUT':
      return 4;
    case 'STOPPED':
      return 130;
    case 'IN_PROGRESS':
      return 3;
  }
}

/** Exit status for an error: 2 for input a person can correct, 3 for nagare's own failures. */
export function errorExitCode(code: ErrorCode | undefined): number {
  if (code === undefined) return 3;
  switch (code) {
    case 'SPEC_YAML_SYNTAX':
    case 'SPEC_NOT_A_MAP':
    case 'SPEC_MISSING_KEY':
    case 'SPEC_UNKNOWN_KEY':
    case 'SPEC_INVALID_TYPE':
    case 'SPEC_INVALID_VALUE':
    case 'SPEC_INVALID_VERSION':
    case 'SPEC_INVALID_PHASE':
    case 'SPEC_INVALID_ON_FAILURE':
    case 'SPEC_RESERVED_VARIABLE':
    case 'SPEC_EMPTY':
    case 'UNSUPPORTED_FEATURE':
    case 'SPEC_DUPLICATE_KEY':
    case 'SPEC_INVALID_PIPELINE':
    case 'SPEC_APPSPEC_UNKNOWN_HOOK':
    case 'SPEC_APPSPEC_WRONG_OS':
    case 'SPEC_APPSPEC_PATH_ESCAPES':
    case 'SPEC_APPSPEC_CONFLICT':
    case 'CONFIG_INVALID':
    case 'CONFIG_FILE_NOT_FOUND':
    case 'EXEC_USER_UNKNOWN':
    case 'EXEC_IMAGE_NOT_FOUND':
    case 'BUILD_SOURCE_NOT_FOUND':
    case 'BUILD_BUILDSPEC_NOT_FOUND':
    case 'API_INVALID_INPUT':
    case 'API_NOT_FOUND':
    case 'API_ALREADY_EXISTS':
    case 'API_MALFORMED_JSON':
    case 'API_CONFLICT':
    case 'AUTH_MISSING':
    case 'AUTH_INVALID_TOKEN':
    case 'AUTH_INVALID_SIGNATURE':
    case 'AUTH_UNKNOWN_ACCESS_KEY':
    case 'AUTH_EXPIRED_SIGNATURE':
    case 'AUTH_FORBIDDEN':
    case 'AUTH_HEADER_NOT_SIGNED':
    case 'REPO_INVALID_NAME':
    case 'REPO_NOT_FOUND':
    case 'REPO_ALREADY_EXISTS':
    case 'REPO_BRANCH_NOT_FOUND':
    case 'REPO_COMMIT_NOT_FOUND':
    case 'REPO_MIRROR_URL_REFUSED':
      return 2;
    case 'EXEC_SPAWN_FAILED':
    case 'EXEC_DOCKER_UNAVAILABLE':
    case 'BUILD_LOG_MISSING':
    case 'BUILD_PATH_ESCAPES':
    case 'BUILD_ARCHIVE_INVALID':
    case 'STORE_CONFLICT':
    case 'STORE_NOT_FOUND':
    case 'STORE_UNAVAILABLE':
    case 'STORE_MIGRATION_FAILED':
    case 'STORE_RECORD_INVALID':
    case 'STORE_SCHEMA_TOO_NEW':
    case 'BLOB_NOT_FOUND':
    case 'BLOB_TOO_LARGE':
    case 'API_UNKNOWN_OPERATION':
    case 'API_PAYLOAD_TOO_LARGE':
    case 'AGENT_LEASE_EXPIRED':
    case 'AGENT_LOG_GAP':
    case 'AGENT_LOG_LIMIT':
    case 'AGENT_PARAMETER_NOT_REFERENCED':
    case 'AGENT_PROTOCOL_MISMATCH':
    case 'REPO_GIT_FAILED':
    case 'NOTIFICATION_TARGET_FAILED':
      return 3;
    default:
      return unhandledCode(code);
  }
}
