/**
 * The pieces of an AWS Signature Version 4 canonical request, computed from the request as it came
 * off the wire. Each function mirrors what the AWS SDKs do when they sign (smithy's SignatureV4 with
 * `uriEscapePath: true`, the setting of every non-S3 service), so that the bytes we hash are the
 * bytes the client hashed.
 */
import { createHash, createHmac } from 'node:crypto';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
/** The hash of an empty body, which is what a bodiless GET signs. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** RFC 3986 encoding as the SDKs apply it: `encodeURIComponent` plus `!'()*`. */
export function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The canonical URI of a raw request path. The SDK normalises `.`/`..`/empty segments, then
 * encodes the already-encoded path a second time (so `%20` on the wire signs as `%2520`).
 */
export function canonicalPath(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const leading = rawPath.startsWith('/') ? '/' : '';
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return escapeUri(`${leading}${segments.join('/')}${trailing}`).replace(/%2F/g, '/');
}

/** One decoded query parameter, in wire order. */
export interface QueryParameter {
  readonly name: string;
  readonly value: string;
}

/**
 * Decodes a raw query string (without `?`). `+` is kept as a literal plus: the SDKs always send a
 * space as `%20`. Returns undefined when a parameter is not valid percent-encoding.
 */
export function parseQuery(rawQuery: string): QueryParameter[] | undefined {
  const parameters: QueryParameter[] = [];
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const rawName = equals === -1 ? pair : pair.slice(0, equals);
    const rawValue = equals === -1 ? '' : pair.slice(equals + 1);
    try {
      parameters.push({ name: decodeURIComponent(rawName), value: decodeURIComponent(rawValue) });
    } catch {
      return undefined;
    }
  }
  return parameters;
}

/** Sorted by encoded name, then encoded value; `X-Amz-Signature` is left out as the SDK does. */
export function canonicalQuery(parameters: readonly QueryParameter[]): string {
  const encoded = parameters
    .filter((p) => p.name.toLowerCase() !== 'x-amz-signature')
    .map((p) => ({ name: escapeUri(p.name), value: escapeUri(p.value) }));
  encoded.sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.value, b.value));
  return encoded.map((p) => `${p.name}=${p.value}`).join('&');
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A header value as signed: line breaks become spaces, runs of blanks collapse, ends trimmed. */
export function canonicalHeaderValue(value: string): string {
  return value.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '');
}

export interface CanonicalRequestParts {
  readonly method: string;
  readonly path: string;
  readonly query: readonly QueryParameter[];
  /** Signed header names in the order the client listed them, with their request values. */
  readonly signedHeaders: readonly (readonly [name: string, value: string])[];
  readonly payloadHash: string;
}

export function canonicalRequest(parts: CanonicalRequestParts): string {
  return [
    parts.method.toUpperCase(),
    canonicalPath(parts.path),
    canonicalQuery(parts.query),
    ...parts.signedHeaders.map(([name, value]) => `${name}:${canonicalHeaderValue(value)}`),
    '',
    parts.signedHeaders.map(([name]) => name).join(';'),
    parts.payloadHash,
  ].join('\n');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The credential scope `date/region/service/aws4_request`. */
export function credentialScope(date: string, region: string, service: string): string {
  return `${date}/${region}/${service}/aws4_request`;
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [SIGV4_ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

/** The HMAC chain `AWS4<secret>` → date → region → service → `aws4_request`, then the signature. */
export function signatureHex(secretAccessKey: string, date: string, region: string, service: string, toSign: string): string {
  let key: Buffer = Buffer.from(`AWS4${secretAccessKey}`, 'utf8');
  for (const part of [date, region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex');
}
