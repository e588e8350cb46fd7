/** Reading requests at the edge: bearer tokens and JSON bodies with clear errors. */
import type { Context } from 'hono';

/** The part of a Hono context the readers need, whatever the route's variables. */
type RequestLike = { readonly req: { header(name: string): string | undefined } };
import { NagareError } from '../core/errors.js';

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

/** The JSON body, or `{}` when empty; API_MALFORMED_JSON when it is not JSON. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new NagareError('API_MALFORMED_JSON', 'The request body is not valid JSON');
  }
}
