/** What a command returns to `main`, which alone turns it into output and an exit status. */
import type { BuildRecord } from '../build/result.js';
import type { StatusType } from '../core/build-phases.js';
import type { ErrorCode } from '../core/errors.js';

export type CommandOutcome =
  | { readonly kind: 'build'; readonly record: BuildRecord; readonly json: boolean }
  | { readonly kind: 'validated'; readonly file: string; readonly json: boolean }
  /** Anything else: `value` printed as JSON with --json, `text` otherwise; a build's status sets the exit code. */
  | { readonly kind: 'output'; readonly json: boolean; readonly value: unknown; readonly text: string; readonly buildStatus?: StatusType | undefined }
  /** A long-running command (server, agent) that ended on a signal. */
  | { readonly kind: 'stopped' };

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
  if (code.startsWith('SPEC_') || code.startsWith('CONFIG_') || code.startsWith('AUTH_') || code === 'UNSUPPORTED_FEATURE') return 2;
  switch (code) {
    case 'BUILD_SOURCE_NOT_FOUND':
    case 'BUILD_BUILDSPEC_NOT_FOUND':
    case 'EXEC_IMAGE_NOT_FOUND':
    case 'EXEC_USER_UNKNOWN':
    case 'API_INVALID_INPUT':
    case 'API_NOT_FOUND':
    case 'API_ALREADY_EXISTS':
    case 'API_MALFORMED_JSON':
    case 'API_CONFLICT':
    case 'REPO_INVALID_NAME':
    case 'REPO_NOT_FOUND':
    case 'REPO_ALREADY_EXISTS':
    case 'REPO_BRANCH_NOT_FOUND':
    case 'REPO_COMMIT_NOT_FOUND':
    case 'REPO_MIRROR_URL_REFUSED':
      return 2;
    default:
      return 3;
  }
}
