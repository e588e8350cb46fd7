/**
 * Opaque pagination tokens: base64url of the JSON key of the last item returned. Keyset
 * pagination, so a page never repeats or skips an item when rows are added meanwhile.
 */
import { NagareError } from '../core/errors.js';

export function encodePageToken(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The key inside a token; API_INVALID_INPUT when the token is not one nagare issued. */
export function decodePageToken(token: string, shape: readonly ('string' | 'number')[]): (string | number)[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== shape.length || key.some((part, i) => typeof part !== shape[i])) {
    throw new NagareError('API_INVALID_INPUT', 'nextToken is not a token returned by this list operation', { details: { nextToken: token } });
  }
  return key as (string | number)[];
}

/** Clamps a requested page size to 1..1000. */
export function pageLimit(limit: number): number {
  return Math.max(1, Math.min(1000, Math.floor(limit) || 1));
}
