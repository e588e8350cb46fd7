/**
 * The one error type of nagare. Every error a user can see carries a stable `code` (listed in
 * docs/errors.md, never changing meaning), a message a person can act on, and for spec files the
 * position of the problem. A failed build is not an error: it is a result (see build-phases.ts).
 */

/** Stable error codes, grouped by prefix. Add new ones at the end of their group. */
export const ERROR_CODES = [
  // spec files
  'SPEC_YAML_SYNTAX',
  'SPEC_NOT_A_MAP',
  'SPEC_MISSING_KEY',
  'SPEC_UNKNOWN_KEY',
  'SPEC_INVALID_TYPE',
  'SPEC_INVALID_VALUE',
  'SPEC_INVALID_VERSION',
  'SPEC_INVALID_PHASE',
  'SPEC_INVALID_ON_FAILURE',
  'SPEC_RESERVED_VARIABLE',
  'SPEC_EMPTY',
  'UNSUPPORTED_FEATURE',
  'SPEC_DUPLICATE_KEY',
  'SPEC_INVALID_PIPELINE',
  'SPEC_APPSPEC_UNKNOWN_HOOK',
  'SPEC_APPSPEC_WRONG_OS',
  'SPEC_APPSPEC_PATH_ESCAPES',
  'SPEC_APPSPEC_CONFLICT',
  // configuration and command line
  'CONFIG_INVALID',
  'CONFIG_FILE_NOT_FOUND',
  // executors
  'EXEC_SPAWN_FAILED',
  'EXEC_USER_UNKNOWN',
  'EXEC_DOCKER_UNAVAILABLE',
  'EXEC_IMAGE_NOT_FOUND',
  // build runner
  'BUILD_SOURCE_NOT_FOUND',
  'BUILD_BUILDSPEC_NOT_FOUND',
  'BUILD_LOG_MISSING',
  'BUILD_PATH_ESCAPES',
  'BUILD_ARCHIVE_INVALID',
  // store
  'STORE_CONFLICT',
  'STORE_NOT_FOUND',
  'STORE_UNAVAILABLE',
  'STORE_MIGRATION_FAILED',
  'STORE_RECORD_INVALID',
  'STORE_SCHEMA_TOO_NEW',
  // blobs
  'BLOB_NOT_FOUND',
  'BLOB_TOO_LARGE',
  // HTTP APIs
  'API_INVALID_INPUT',
  'API_NOT_FOUND',
  'API_ALREADY_EXISTS',
  'API_UNKNOWN_OPERATION',
  'API_MALFORMED_JSON',
  'API_PAYLOAD_TOO_LARGE',
  'API_CONFLICT',
  // authentication
  'AUTH_MISSING',
  'AUTH_INVALID_TOKEN',
  'AUTH_INVALID_SIGNATURE',
  'AUTH_UNKNOWN_ACCESS_KEY',
  'AUTH_EXPIRED_SIGNATURE',
  'AUTH_FORBIDDEN',
  'AUTH_HEADER_NOT_SIGNED',
  // agents
  'AGENT_LEASE_EXPIRED',
  'AGENT_LOG_GAP',
  'AGENT_LOG_LIMIT',
  'AGENT_PARAMETER_NOT_REFERENCED',
  'AGENT_PROTOCOL_MISMATCH',
  // hosted repositories
  'REPO_INVALID_NAME',
  'REPO_NOT_FOUND',
  'REPO_ALREADY_EXISTS',
  'REPO_BRANCH_NOT_FOUND',
  'REPO_COMMIT_NOT_FOUND',
  'REPO_GIT_FAILED',
  'REPO_MIRROR_URL_REFUSED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * The end of an exhaustive switch over codes: a code left out fails to compile here, and if an
 * unknown one arrives at run time anyway (a newer server's code) it is reported as such.
 */
export function unhandledCode(code: never): never {
  throw new TypeError(`Unhandled error code: ${String(code)}`);
}

/** Where in a spec file a problem is; line and column are 1-based. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Key path in the document, e.g. `phases.build.commands[2]`. */
  readonly path: string;
}

export interface NagareErrorOptions {
  readonly details?: Readonly<Record<string, unknown>>;
  readonly position?: SourcePosition;
  readonly cause?: unknown;
}

export class NagareError extends Error {
  override readonly name = 'NagareError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;
  readonly position: SourcePosition | undefined;

  constructor(code: ErrorCode, message: string, options: NagareErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    this.position = options.position;
  }

  /** `file:line:column: CODE message` for spec errors, `CODE message` otherwise. */
  describe(): string {
    const where = this.position ? `${this.position.file}:${this.position.line}:${this.position.column}: ` : '';
    const key = this.position?.path ? ` (at ${this.position.path})` : '';
    return `${where}${this.code} ${this.message}${key}`;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.position ? { file: this.position.file, line: this.position.line, column: this.position.column, path: this.position.path } : {}),
      ...(Object.keys(this.details).length > 0 ? { details: this.details } : {}),
    };
  }
}

/** Several spec problems found in one pass; the first is the headline. */
export class SpecErrors extends NagareError {
  readonly errors: readonly NagareError[];

  constructor(errors: readonly NagareError[]) {
    const first = errors[0];
    if (!first) throw new RangeError('SpecErrors needs at least one error');
    super(first.code, first.message, { position: first.position, details: first.details });
    this.errors = errors;
  }
}

export function isNagareError(value: unknown): value is NagareError {
  return value instanceof NagareError;
}
