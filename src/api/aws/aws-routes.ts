/**
 * The AWS JSON 1.1 APIs at `POST /`: the operation is named by `X-Amz-Target`
 * (`CodeBuild_20161006.<Operation>`), every request is verified with SigV4 over its raw bytes, and
 * answers and errors take the shapes the AWS SDKs and CLI parse: `application/x-amz-json-1.1`,
 * errors as `{"__type": Name, "message": …}` with `x-amzn-ErrorType: Name`. Never a stack trace.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import { isNagareError, NagareError, unhandledCode, type ErrorCode } from '../../core/errors.js';
import type { Services } from '../../server/services.js';
import { JSON_PROTOCOL_SIGNED_HEADERS, verifySigV4, type SigV4Identity } from '../auth/sigv4.js';
import { fromZod } from '../http-errors.js';
import { readBody, type BodyLimit } from '../request.js';
import { parseTraceParent } from '../../server/events/trace.js';
import { CODEBUILD_OPERATIONS, type AwsCaller, type AwsOperation } from './codebuild-operations.js';
import type { AwsError } from './aws-error.js';
import { codeCommitErrorOf } from './codecommit-errors.js';
import { CODECOMMIT_OPERATIONS } from './codecommit-operations.js';
import { codeDeployErrorOf } from './codedeploy-errors.js';
import { CODEDEPLOY_OPERATIONS } from './codedeploy-operations.js';
import { codePipelineErrorOf } from './codepipeline-errors.js';
import { CODEBUILD_IMAGE_OPERATIONS } from './codebuild-images.js';
import { CODEBUILD_REPORT_OPERATIONS } from './codebuild-reports.js';
import { CODEPIPELINE_OPERATIONS } from './codepipeline-operations.js';
import { EVENTS_OPERATIONS, eventsErrorOf } from './events-operations.js';

const CONTENT_TYPE = 'application/x-amz-json-1.1';
/** Every operation served has a small JSON body; larger ones are refused as soon as they pass this. */
const BODY_LIMIT: BodyLimit = { maxBytes: 1024 * 1024, what: 'An AWS API request body' };

/** Operations per `X-Amz-Target` prefix (the service's JSON target prefix and API version). */
const SERVICES: Readonly<Record<string, Readonly<Record<string, AwsOperation>>>> = {
  CodeBuild_20161006: { ...CODEBUILD_OPERATIONS, ...CODEBUILD_REPORT_OPERATIONS, ...CODEBUILD_IMAGE_OPERATIONS },
  CodeCommit_20150413: CODECOMMIT_OPERATIONS,
  CodePipeline_20150709: CODEPIPELINE_OPERATIONS,
  CodeDeploy_20141006: CODEDEPLOY_OPERATIONS,
  AWSEvents: EVENTS_OPERATIONS,
};

/** Per `X-Amz-Target` prefix, the services that name their own exceptions for some errors. */
const SERVICE_ERRORS: Readonly<Record<string, (error: NagareError) => AwsError | undefined>> = {
  CodeCommit_20150413: codeCommitErrorOf,
  CodePipeline_20150709: codePipelineErrorOf,
  CodeDeploy_20141006: codeDeployErrorOf,
  AWSEvents: eventsErrorOf,
};

/** The AWS error name and HTTP status of each nagare error code, as the SDKs expect them. */
export function awsErrorOf(code: ErrorCode): AwsError {
  switch (code) {
    case 'API_NOT_FOUND':
    case 'STORE_NOT_FOUND':
      return { type: 'ResourceNotFoundException', status: 400 };
    case 'API_ALREADY_EXISTS':
      return { type: 'ResourceAlreadyExistsException', status: 400 };
    case 'API_INVALID_INPUT':
    case 'API_MALFORMED_JSON':
      return { type: 'InvalidInputException', status: 400 };
    case 'API_UNKNOWN_OPERATION':
      return { type: 'UnknownOperationException', status: 400 };
    case 'API_PAYLOAD_TOO_LARGE':
      return { type: 'RequestEntityTooLargeException', status: 413 };
    case 'AUTH_MISSING':
      return { type: 'MissingAuthenticationTokenException', status: 403 };
    case 'AUTH_UNKNOWN_ACCESS_KEY':
      return { type: 'UnrecognizedClientException', status: 400 };
    case 'AUTH_INVALID_SIGNATURE':
    case 'AUTH_EXPIRED_SIGNATURE':
    case 'AUTH_HEADER_NOT_SIGNED':
      return { type: 'InvalidSignatureException', status: 400 };
    case 'AUTH_INVALID_TOKEN':
    case 'AUTH_FORBIDDEN':
      return { type: 'AccessDeniedException', status: 400 };
    case 'STORE_UNAVAILABLE':
      return { type: 'ServiceUnavailableException', status: 503 };
    case 'NOTIFICATION_TARGET_FAILED':
      return { type: 'ServiceUnavailableException', status: 503 };
    // nagare's own fault.
    case 'STORE_MIGRATION_FAILED':
    case 'STORE_RECORD_INVALID':
    case 'STORE_SCHEMA_TOO_NEW':
    case 'BUILD_LOG_MISSING':
    case 'AGENT_PROTOCOL_MISMATCH':
    case 'EXEC_SPAWN_FAILED':
    case 'EXEC_DOCKER_UNAVAILABLE':
    case 'REPO_GIT_FAILED':
      return { type: 'InternalFailure', status: 500 };
    // The remaining codes are the caller's input (4xx in the native API).
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
    case 'STORE_CONFLICT':
    case 'BLOB_NOT_FOUND':
    case 'BLOB_TOO_LARGE':
    case 'API_CONFLICT':
    case 'AGENT_LEASE_EXPIRED':
    case 'AGENT_LOG_GAP':
    case 'AGENT_LOG_LIMIT':
    case 'AGENT_PARAMETER_NOT_REFERENCED':
    case 'REPO_INVALID_NAME':
    case 'REPO_NOT_FOUND':
    case 'REPO_ALREADY_EXISTS':
    case 'REPO_BRANCH_NOT_FOUND':
    case 'REPO_COMMIT_NOT_FOUND':
    case 'REPO_MIRROR_URL_REFUSED':
      return { type: 'InvalidInputException', status: 400 };
    default:
      return unhandledCode(code);
  }
}

function awsErrorResponse(type: string, status: ContentfulStatusCode, message: string, requestId: string): Response {
  return new Response(JSON.stringify({ __type: type, message }), {
    status,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-ErrorType': type, 'x-amzn-RequestId': requestId },
  });
}

/** The request's target: service prefix and operation; UnknownOperationException when absent. */
function operationOf(target: string | undefined): { operation: AwsOperation; name: string } {
  const dot = target?.lastIndexOf('.') ?? -1;
  const prefix = target?.slice(0, dot) ?? '';
  const name = target?.slice(dot + 1) ?? '';
  const operations = Object.hasOwn(SERVICES, prefix) ? SERVICES[prefix] : undefined;
  const operation = operations && Object.hasOwn(operations, name) ? operations[name] : undefined;
  if (dot < 0 || !operation) {
    throw new NagareError('API_UNKNOWN_OPERATION', target ? `nagare does not serve the operation ${target}` : 'The request has no X-Amz-Target header naming an operation');
  }
  return { operation, name };
}

/**
 * Before the body is read: the request names an access key nagare issued, with a signature of the
 * right shape. The full SigV4 check (the payload hash included) follows over the capped body, so an
 * unauthenticated caller never makes the server read more than headers.
 */
async function preauthorize(c: Context, services: Services): Promise<void> {
  const url = new URL(c.req.raw.url);
  const authorization = c.req.header('authorization');
  const credential = authorization === undefined ? url.searchParams.get('X-Amz-Credential') : /Credential=([^,\s]+)/.exec(authorization)?.[1];
  const signature = authorization === undefined ? url.searchParams.get('X-Amz-Signature') : /Signature=([^,\s]+)/.exec(authorization)?.[1];
  if (authorization === undefined && credential === null) {
    throw new NagareError('AUTH_MISSING', 'The request is not signed: send an AWS SigV4 Authorization header (configure AWS credentials for this endpoint).');
  }
  if (!credential || !signature || !/^[0-9a-f]{64}$/.test(signature)) {
    throw new NagareError('AUTH_INVALID_SIGNATURE', 'The request does not carry a SigV4 Credential and a 64-digit hexadecimal Signature.');
  }
  const accessKeyId = credential.split('/')[0] ?? '';
  if ((await services.auth.accessKeySecret(accessKeyId)) === undefined) {
    throw new NagareError('AUTH_UNKNOWN_ACCESS_KEY', 'The security token included in the request is invalid: nagare issued no such access key.');
  }
}

async function authenticate(c: Context, services: Services, body: Uint8Array): Promise<SigV4Identity> {
  const url = new URL(c.req.raw.url);
  const headers: Record<string, string> = {};
  c.req.raw.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  const request = { method: c.req.method, path: url.pathname, query: url.search.slice(1), headers, body };
  return verifySigV4(request, (accessKeyId) => services.auth.accessKeySecret(accessKeyId), services.context.clock(), JSON_PROTOCOL_SIGNED_HEADERS);
}

/**
 * The user name a caller's builds record as `initiator`. Access keys have no owner of their own yet:
 * the one nagare issues at first start belongs to the admin (named `admin`, as its API token is).
 */
function callerOf(identity: SigV4Identity): AwsCaller {
  return { accessKeyId: identity.accessKeyId, userName: 'admin' };
}

function parseJson(body: Uint8Array): unknown {
  const text = new TextDecoder().decode(body);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new NagareError('API_MALFORMED_JSON', 'The request body is not valid JSON');
  }
}

export function awsRoutes(services: Services): Hono {
  const app = new Hono();
  const { logger } = services.context;

  app.post('/', async (c) => {
    const requestId = services.context.newId();
    const target = c.req.header('x-amz-target');
    try {
      // With no target there is no operation to run, and no signed target to check: say so first.
      if (target === undefined) operationOf(undefined);
      await preauthorize(c, services);
      const body = await readBody(c, BODY_LIMIT);
      const caller = { ...callerOf(await authenticate(c, services, body)), traceParent: parseTraceParent(c.req.header('traceparent')) };
      const { operation, name } = operationOf(target);
      const output = await operation(services, parseJson(body), caller);
      logger.debug({ target, accessKeyId: caller.accessKeyId, requestId }, `aws ${name}`);
      return new Response(JSON.stringify(output), { status: 200, headers: { 'content-type': CONTENT_TYPE, 'x-amzn-RequestId': requestId } });
    } catch (thrown) {
      const error = thrown instanceof ZodError ? fromZod(thrown) : thrown;
      if (isNagareError(error)) {
        const prefix = target?.slice(0, Math.max(0, target.lastIndexOf('.'))) ?? '';
        const { type, status } = (Object.hasOwn(SERVICE_ERRORS, prefix) ? SERVICE_ERRORS[prefix]?.(error) : undefined) ?? awsErrorOf(error.code);
        if (error.code.startsWith('AUTH_')) logger.warn({ target, code: error.code, requestId }, 'aws request refused');
        return awsErrorResponse(type, status, error.message, requestId);
      }
      logger.error({ err: error, target, requestId }, 'unexpected error in an aws operation');
      return awsErrorResponse('InternalFailure', 500, `nagare failed to handle this request (request id ${requestId}); the server log has the details`, requestId);
    }
  });

  return app;
}
