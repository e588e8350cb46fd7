/**
 * Who calls the native API: an API token (`Authorization: Bearer …`, the CLI and scripts) or a
 * dashboard session cookie. A call made with the cookie that changes anything (any method but GET,
 * HEAD and OPTIONS) must also carry the session's CSRF token in `X-Nagare-CSRF`: a page of another
 * site can make the browser send the cookie (SameSite=Strict already stops most of that), but it
 * can never read the CSRF token, which only a same-origin page gets from GET /api/v1/session.
 */
import { timingSafeEqual } from 'node:crypto';
import { NagareError } from '../../core/errors.js';
import type { Caller } from '../../server/auth/auth-service.js';
import type { Session } from '../../server/auth/session-service.js';
import type { Services } from '../../server/services.js';
import { bearerToken } from '../request.js';

export const SESSION_COOKIE = 'nagare_session';
export const CSRF_HEADER = 'x-nagare-csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The part of a Hono context read here, whatever the route's variables. */
type RequestLike = { readonly req: { header(name: string): string | undefined; readonly method: string } };

/** The value of the session cookie in a `Cookie` header, if any. */
export function sessionCookie(header: string | undefined): string | undefined {
  for (const pair of (header ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at === -1 || pair.slice(0, at).trim() !== SESSION_COOKIE) continue;
    try {
      return decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      return '';
    }
  }
  return undefined;
}

/** The session behind the request's cookie, or undefined when it has none. */
export async function sessionOf(c: RequestLike, services: Services): Promise<Session | undefined> {
  const cookie = sessionCookie(c.req.header('cookie'));
  return cookie === undefined || cookie === '' ? undefined : services.sessions.open(cookie);
}

/** The caller of a native API route; a bearer token wins over a cookie. AUTH_FORBIDDEN for a missing or wrong CSRF token. */
export async function apiCaller(c: RequestLike, services: Services): Promise<Caller> {
  const token = bearerToken(c);
  if (token !== undefined) return services.auth.authenticate(token, ['API_TOKEN']);
  const session = await sessionOf(c, services);
  if (!session) return services.auth.authenticate(undefined, ['API_TOKEN']);
  if (!SAFE_METHODS.has(c.req.method)) checkCsrf(c.req.header(CSRF_HEADER), session);
  return session.caller;
}

function checkCsrf(sent: string | undefined, session: Session): void {
  const expected = Buffer.from(session.csrfToken);
  const given = Buffer.from(sent ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new NagareError('AUTH_FORBIDDEN', `A change made with a dashboard session must carry the session's CSRF token in the ${CSRF_HEADER} header`);
  }
}
