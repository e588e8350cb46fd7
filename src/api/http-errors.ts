/**
 * How errors leave the native API and the agent protocol: a stable code, a message a person can
 * act on, and an HTTP status chosen by one exhaustive switch. Never a stack trace.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import { isNagareError, NagareError, unhandledCode, type ErrorCode } from '../core/errors.js';
import type { Logger } from '../server/logger.js';

export function httpStatusOf(code: ErrorCode): ContentfulStatusCode {
  switch (code) {
    case 'API_NOT_FOUND':
    case 'BLOB_NOT_FOUND':
    case 'STORE_NOT_FOUND':
    case 'REPO_NOT_FOUND':
    case 'REPO_BRANCH_NOT_FOUND':
    case 'REPO_COMMIT_NOT_FOUND':
      return 404;
    case 'API_ALREADY_EXISTS':
    case 'API_CONFLICT':
    case 'STORE_CONFLICT':
    case 'AGENT_LEASE_EXPIRED':
    case 'AGENT_LOG_GAP':
    case 'REPO_ALREADY_EXISTS':
      return 409;
    case 'API_PAYLOAD_TOO_LARGE':
    case 'BLOB_TOO_LARGE':
    case 'AGENT_LOG_LIMIT':
      return 413;
    case 'AUTH_MISSING':
    case 'AUTH_INVALID_TOKEN':
    case 'AUTH_INVALID_SIGNATURE':
    case 'AUTH_UNKNOWN_ACCESS_KEY':
    case 'AUTH_EXPIRED_SIGNATURE':
    case 'AUTH_HEADER_NOT_SIGNED':
      return 401;
    case 'AUTH_FORBIDDEN':
    case 'AGENT_PARAMETER_NOT_REFERENCED':
      return 403;
    case 'STORE_UNAVAILABLE':
    case 'STORE_MIGRATION_FAILED':
      return 503;
    case 'STORE_RECORD_INVALID':
    case 'STORE_SCHEMA_TOO_NEW':
    case 'BUILD_LOG_MISSING':
    case 'AGENT_PROTOCOL_MISMATCH':
    case 'EXEC_SPAWN_FAILED':
    case 'EXEC_DOCKER_UNAVAILABLE':
    case 'REPO_GIT_FAILED':
      return 500;
    // Spec, config, build and API input: the caller's to fix.
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
    case 'BUILD_PATH_ESCAPES':
    case 'BUILD_ARCHIVE_INVALID':
    case 'API_INVALID_INPUT':
    case 'API_UNKNOWN_OPERATION':
    case 'API_MALFORMED_JSON':
    case 'REPO_INVALID_NAME':
    case 'REPO_MIRROR_URL_REFUSED':
      return 400;
    default:
      return unhandledCode(code);
  }
}

/** A zod failure at the edge as the one error type: which field, and what was wrong with it. */
export function fromZod(error: ZodError): NagareError {
  const issues = error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  return new NagareError('API_INVALID_INPUT', `Invalid request: ${issues.join('; ')}`);
}

export function errorResponse(c: Context, thrown: unknown, logger: Logger): Response {
  const error = thrown instanceof ZodError ? fromZod(thrown) : thrown;
  if (isNagareError(error)) {
    const status = httpStatusOf(error.code);
    // nagare's own failures (a lost blob, git failing) are the operator's to see, not only the caller's.
    if (status >= 500) logger.error({ code: error.code, details: error.details, path: c.req.path }, error.message);
    return c.json({ error: { code: error.code, message: error.message, ...(Object.keys(error.details).length > 0 ? { details: error.details } : {}) } }, status);
  }
  logger.error({ err: error, path: c.req.path }, 'unexpected error');
  return c.json({ error: { code: 'INTERNAL', message: 'nagare failed to handle this request; the server log has the details' } }, 500);
}

