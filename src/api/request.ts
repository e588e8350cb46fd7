/**
 * Reading requests at the edge: bearer tokens, and bodies read through one capped reader so that no
 * route buffers more than its limit. A declared Content-Length over the limit is refused before a
 * byte is read; a chunked body is refused as soon as it passes the limit, without waiting for the
 * rest. What the client still sends after the answer is drained and discarded by @hono/node-server
 * (at most 64 MiB or 500 ms, then the socket is closed), never buffered.
 */
import type { Context } from 'hono';
import { NagareError } from '../core/errors.js';

/** The part of a Hono context the readers need, whatever the route's variables. */
type RequestLike = { readonly req: { header(name: string): string | undefined } };
type BodyRequest = { readonly req: { header(name: string): string | undefined; readonly raw: Request } };

/** How much of a body a route reads, and what to call it in the error. */
export interface BodyLimit {
  readonly maxBytes: number;
  /** "A log chunk", "A webhook payload" … */
  readonly what: string;
}

export function bearerToken(c: RequestLike): string | undefined {
  const header = c.req.header('authorization');
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim();
  if (header?.toLowerCase().startsWith('basic ')) {
    // git and curl send the token as the Basic password.
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return undefined;
}

export function payloadTooLarge(limit: BodyLimit): NagareError {
  return new NagareError('API_PAYLOAD_TOO_LARGE', `${limit.what} may be at most ${limit.maxBytes} bytes`, { details: { maxBytes: limit.maxBytes } });
}

/** API_PAYLOAD_TOO_LARGE at once when the request declares more than the limit. */
export function refuseDeclaredLength(c: RequestLike, limit: BodyLimit): void {
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > limit.maxBytes) throw payloadTooLarge(limit);
}

/** The whole body, at most `limit.maxBytes`; an empty array when there is none. */
export async function readBody(c: BodyRequest, limit: BodyLimit): Promise<Uint8Array> {
  refuseDeclaredLength(c, limit);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of cappedBody(c.req.raw.body, limit)) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  return chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, total);
}

/**
 * The body's chunks, throwing API_PAYLOAD_TOO_LARGE as soon as they pass the limit: for bodies that
 * stream on (artifacts to the blob store, a push to git). The reader's lock is released rather than
 * the stream cancelled: cancelling destroys the socket before the 413 can be sent.
 */
export async function* cappedBody(body: ReadableStream<Uint8Array> | null, limit: BodyLimit): AsyncGenerator<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.byteLength;
      if (total > limit.maxBytes) throw payloadTooLarge(limit);
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** The JSON body, or `{}` when empty; API_MALFORMED_JSON when it is not JSON. */
export async function readJson(c: Context, limit: BodyLimit): Promise<unknown> {
  const text = new TextDecoder().decode(await readBody(c, limit));
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new NagareError('API_MALFORMED_JSON', 'The request body is not valid JSON');
  }
}
