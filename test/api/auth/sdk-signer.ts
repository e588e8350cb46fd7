/**
 * Signs requests with the AWS SDK's own SignatureV4 (smithy), so that the tests check our verifier
 * against signatures nobody here wrote.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import type { SigV4Request } from '../../../src/api/auth/sigv4.js';
import { escapeUri } from '../../../src/api/auth/sigv4-canonical.js';

/** The `sha256` constructor smithy wants, on node:crypto (`@smithy/hash-node` is not installed). */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | Uint8Array | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | Uint8Array | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

function toBuffer(data: string | Uint8Array | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export const ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const SIGNING_DATE = new Date('2024-05-01T12:00:00Z');

export function signer(options: { secretAccessKey?: string; accessKeyId?: string; applyChecksum?: boolean; service?: string } = {}): SignatureV4 {
  return new SignatureV4({
    service: options.service ?? 'codebuild',
    region: 'us-east-1',
    credentials: { accessKeyId: options.accessKeyId ?? ACCESS_KEY_ID, secretAccessKey: options.secretAccessKey ?? SECRET_ACCESS_KEY },
    sha256: NodeSha256,
    applyChecksum: options.applyChecksum ?? false,
  });
}

/** A CodeBuild JSON 1.1 call, as the SDK would build it before signing. */
export function codeBuildCall(operation: string, input: unknown, path = '/'): HttpRequest {
  const body = JSON.stringify(input);
  return {
    method: 'POST',
    protocol: 'http:',
    hostname: 'localhost',
    port: 8080,
    path,
    query: {},
    headers: {
      host: 'localhost:8080',
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `CodeBuild_20161006.${operation}`,
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
  };
}

/** The request as our server would see it off the wire. */
export function asReceived(request: HttpRequest): SigV4Request {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  const query = Object.entries(request.query ?? {})
    .flatMap(([name, value]) => (Array.isArray(value) ? value : [value ?? '']).map((v: string) => `${escapeUri(name)}=${escapeUri(v)}`))
    .join('&');
  const body: unknown = request.body;
  return {
    method: request.method,
    path: request.path,
    query,
    headers,
    body: typeof body === 'string' ? new Uint8Array(Buffer.from(body, 'utf8')) : body instanceof Uint8Array ? body : new Uint8Array(),
  };
}

export async function signed(request: HttpRequest, options: Parameters<typeof signer>[0] = {}, signingDate = SIGNING_DATE): Promise<SigV4Request> {
  return asReceived(await signer(options).sign(request, { signingDate }));
}

/** A secret lookup knowing only the example key. */
export function lookup(accessKeyId: string): Promise<string | undefined> {
  return Promise.resolve(accessKeyId === ACCESS_KEY_ID ? SECRET_ACCESS_KEY : undefined);
}
