/**
 * Verification of AWS Signature Version 4, so that the AWS CLI and SDKs can call nagare with the
 * access keys it issues. Both forms are accepted: the `Authorization: AWS4-HMAC-SHA256 …` header and
 * query-string presigned URLs (`X-Amz-Algorithm`, `X-Amz-Credential`, … `X-Amz-Signature`).
 *
 * Any region and any service name in the credential scope are accepted: one key signs for
 * codebuild, codepipeline, codecommit and codedeploy alike. Payloads must be signed: a declared
 * `x-amz-content-sha256` has to match the body, and `UNSIGNED-PAYLOAD` / streaming payloads are
 * refused, since every API nagare serves has a small JSON body.
 */
import { timingSafeEqual } from 'node:crypto';
import { NagareError } from '../../core/errors.js';
import {
  canonicalRequest,
  credentialScope,
  parseQuery,
  sha256Hex,
  signatureHex,
  SIGV4_ALGORITHM,
  stringToSign,
  type QueryParameter,
} from './sigv4-canonical.js';

/** A request as it came off the wire. */
export interface SigV4Request {
  readonly method: string;
  /** The raw path as received (still percent-encoded), without the query. */
  readonly path: string;
  /** The raw query string, without `?`; empty when there is none. */
  readonly query: string;
  /** Header names lower-cased; repeated headers joined with `,`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** Finds the secret of an access key; undefined when the key is unknown or disabled. */
export type SecretLookup = (accessKeyId: string) => Promise<string | undefined>;

/** Who signed, and for which scope. */
export interface SigV4Identity {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
}

/**
 * The headers every AWS JSON-protocol call must sign. The operation is named by `x-amz-target` and
 * the body's meaning by `content-type`; were either left unsigned, a captured read-only call could be
 * replayed as any other operation (a signed GetRepository sent as DeleteRepository). The AWS SDKs and
 * CLI sign all three, so only hand-made signers are refused.
 */
export const JSON_PROTOCOL_SIGNED_HEADERS: readonly string[] = ['host', 'content-type', 'x-amz-target'];

/** How far the signing time may be from the server's clock, as AWS allows. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** The longest lifetime of a presigned URL (one week), as AWS allows. */
export const MAX_PRESIGNED_EXPIRES_SECONDS = 7 * 24 * 60 * 60;

interface SignatureClaim {
  readonly accessKeyId: string;
  readonly scopeDate: string;
  readonly region: string;
  readonly service: string;
  readonly amzDate: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  /** Present for presigned URLs only. */
  readonly expiresSeconds?: number;
}

const PRESIGN_PARAMETERS = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature'];

/**
 * Verifies the SigV4 signature of `request` at time `now` (epoch milliseconds).
 *
 * Resolves with the signer's identity, or rejects with a NagareError:
 * `AUTH_MISSING` (no signature at all), `AUTH_UNKNOWN_ACCESS_KEY`, `AUTH_EXPIRED_SIGNATURE` (signed
 * more than 15 minutes from `now`, or a presigned URL past its expiry), `AUTH_HEADER_NOT_SIGNED` (one
 * of `requiredSignedHeaders`, `host` at least, is not in SignedHeaders), and `AUTH_INVALID_SIGNATURE`
 * for everything else (malformed header, scope date not the request date, body not matching its
 * declared hash, wrong signature).
 */
export async function verifySigV4(
  request: SigV4Request,
  lookupSecret: SecretLookup,
  now: number,
  requiredSignedHeaders: readonly string[] = ['host'],
): Promise<SigV4Identity> {
  const query = parseQuery(request.query);
  if (query === undefined) throw invalid('The query string is not valid percent-encoding.');
  const claim = readClaim(request, query);

  if (claim.scopeDate !== claim.amzDate.slice(0, 8)) {
    throw invalid(`The credential scope date ${claim.scopeDate} is not the date of X-Amz-Date ${claim.amzDate}.`);
  }
  checkSigningTime(claim, now);
  checkRequiredHeadersSigned(claim.signedHeaders, ['host', ...requiredSignedHeaders]);

  const secret = await lookupSecret(claim.accessKeyId);
  if (secret === undefined) {
    throw new NagareError('AUTH_UNKNOWN_ACCESS_KEY', `The access key ${claim.accessKeyId} is not known to this server.`, {
      details: { accessKeyId: claim.accessKeyId },
    });
  }

  const canonical = canonicalRequest({
    method: request.method,
    path: request.path,
    query,
    signedHeaders: claim.signedHeaders.map((name) => [name, signedHeaderValue(request, name)] as const),
    payloadHash: payloadHash(request, claim.expiresSeconds !== undefined ? query : []),
  });
  const scope = credentialScope(claim.scopeDate, claim.region, claim.service);
  const expected = signatureHex(secret, claim.scopeDate, claim.region, claim.service, stringToSign(claim.amzDate, scope, canonical));
  if (!timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(claim.signature, 'hex'))) {
    throw invalid('The request signature does not match the signature computed from the request and the secret access key.');
  }
  return { accessKeyId: claim.accessKeyId, region: claim.region, service: claim.service };
}

function readClaim(request: SigV4Request, query: readonly QueryParameter[]): SignatureClaim {
  const authorization = request.headers.authorization;
  const presigned = query.some((p) => PRESIGN_PARAMETERS.includes(p.name));
  if (authorization !== undefined && presigned) {
    throw invalid('A request may carry an Authorization header or a presigned query string, not both.');
  }
  if (authorization !== undefined) return claimFromHeader(authorization, request.headers['x-amz-date']);
  if (presigned) return claimFromQuery(query);
  throw new NagareError('AUTH_MISSING', 'The request is not signed: send an AWS SigV4 Authorization header (configure AWS credentials for this endpoint).');
}

function claimFromHeader(authorization: string, amzDate: string | undefined): SignatureClaim {
  const space = authorization.indexOf(' ');
  const algorithm = space === -1 ? authorization : authorization.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) throw invalid(`Unsupported authorization algorithm ${algorithm}: only ${SIGV4_ALGORITHM} is accepted.`);
  const fields = new Map<string, string>();
  for (const field of authorization.slice(space + 1).split(',')) {
    const trimmed = field.trim();
    const equals = trimmed.indexOf('=');
    if (equals > 0) fields.set(trimmed.slice(0, equals), trimmed.slice(equals + 1));
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw invalid('The Authorization header must carry Credential=, SignedHeaders= and Signature=.');
  }
  if (amzDate === undefined) throw invalid('The x-amz-date header is required with a SigV4 Authorization header.');
  return { ...parseCredential(credential), amzDate, signedHeaders: parseSignedHeaders(signedHeaders), signature: parseSignature(signature) };
}

function claimFromQuery(query: readonly QueryParameter[]): SignatureClaim {
  const get = (name: string): string => {
    const found = query.find((p) => p.name === name);
    if (found === undefined) throw invalid(`The presigned URL lacks the ${name} parameter.`);
    return found.value;
  };
  const algorithm = get('X-Amz-Algorithm');
  if (algorithm !== SIGV4_ALGORITHM) throw invalid(`Unsupported X-Amz-Algorithm ${algorithm}: only ${SIGV4_ALGORITHM} is accepted.`);
  const expires = get('X-Amz-Expires');
  const expiresSeconds = /^\d{1,7}$/.test(expires) ? Number(expires) : NaN;
  if (!(expiresSeconds >= 1 && expiresSeconds <= MAX_PRESIGNED_EXPIRES_SECONDS)) {
    throw invalid(`X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGNED_EXPIRES_SECONDS}.`);
  }
  return {
    ...parseCredential(get('X-Amz-Credential')),
    amzDate: get('X-Amz-Date'),
    signedHeaders: parseSignedHeaders(get('X-Amz-SignedHeaders')),
    signature: parseSignature(get('X-Amz-Signature')),
    expiresSeconds,
  };
}

function parseCredential(credential: string): Pick<SignatureClaim, 'accessKeyId' | 'scopeDate' | 'region' | 'service'> {
  const parts = credential.split('/');
  const [accessKeyId, scopeDate, region, service, terminator] = parts;
  if (parts.length !== 5 || !accessKeyId || !scopeDate || !region || !service || terminator !== 'aws4_request' || !/^\d{8}$/.test(scopeDate)) {
    throw invalid('The credential must read <access key id>/<yyyymmdd>/<region>/<service>/aws4_request.');
  }
  return { accessKeyId, scopeDate, region, service };
}

function parseSignedHeaders(list: string): string[] {
  const names = list.split(';');
  if (names.some((name) => !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name))) {
    throw invalid('SignedHeaders must be a ;-separated list of lower-case header names.');
  }
  return names;
}

function parseSignature(signature: string): string {
  if (!/^[0-9a-f]{64}$/.test(signature)) throw invalid('The signature must be 64 lower-case hexadecimal digits.');
  return signature;
}

/** Parses `YYYYMMDDTHHMMSSZ` into epoch milliseconds. */
function parseAmzDate(amzDate: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!match) throw invalid(`X-Amz-Date ${amzDate} is not in the form YYYYMMDDTHHMMSSZ.`);
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const time = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(time).getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) throw invalid(`X-Amz-Date ${amzDate} is not a valid time.`);
  return time;
}

function checkSigningTime(claim: SignatureClaim, now: number): void {
  const signedAt = parseAmzDate(claim.amzDate);
  const latest = claim.expiresSeconds === undefined ? signedAt + MAX_CLOCK_SKEW_MS : signedAt + claim.expiresSeconds * 1000;
  if (now < signedAt - MAX_CLOCK_SKEW_MS || now > latest) {
    const what = claim.expiresSeconds === undefined ? 'is more than 15 minutes from the server time' : 'is outside the presigned URL validity';
    throw new NagareError('AUTH_EXPIRED_SIGNATURE', `The signature date ${claim.amzDate} ${what} ${new Date(now).toISOString()}; check the client clock.`, {
      details: { amzDate: claim.amzDate, serverTime: new Date(now).toISOString() },
    });
  }
}

function checkRequiredHeadersSigned(signedHeaders: readonly string[], required: readonly string[]): void {
  const unsigned = [...new Set(required)].filter((name) => !signedHeaders.includes(name));
  if (unsigned.length === 0) return;
  throw new NagareError(
    'AUTH_HEADER_NOT_SIGNED',
    `The ${unsigned.join(', ')} header${unsigned.length > 1 ? 's' : ''} must be signed (SignedHeaders lacks ${unsigned.join(', ')}); the AWS SDKs and CLI sign ${required.join(', ')}.`,
    { details: { unsigned } },
  );
}

function signedHeaderValue(request: SigV4Request, name: string): string {
  const value = request.headers[name];
  if (value === undefined) throw invalid(`The signed header ${name} is not in the request.`);
  return value;
}

/**
 * The hash of the body that the client signed: its declared `x-amz-content-sha256` (which must
 * then match the body, or the body would be unauthenticated) or, when absent, the body's own hash.
 */
function payloadHash(request: SigV4Request, presignQuery: readonly QueryParameter[]): string {
  const actual = sha256Hex(request.body);
  const declared = request.headers['x-amz-content-sha256'] ?? presignQuery.find((p) => p.name === 'X-Amz-Content-Sha256')?.value;
  if (declared === undefined) return actual;
  if (declared === 'UNSIGNED-PAYLOAD' || declared.startsWith('STREAMING-')) {
    throw invalid(`x-amz-content-sha256 ${declared} is not accepted: the payload must be signed.`);
  }
  if (declared.toLowerCase() !== actual) throw invalid('x-amz-content-sha256 does not match the SHA-256 of the body.');
  return declared;
}

function invalid(message: string): NagareError {
  return new NagareError('AUTH_INVALID_SIGNATURE', message);
}
