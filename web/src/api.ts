/**
 * The dashboard's one client of the native API: same origin, the session cookie sent by the
 * browser, the CSRF token (kept in memory only) on every call. The API token is sent once, to sign
 * in, and never kept.
 */
import { NagareClient, type SessionAnswer } from '../../src/client/nagare-client.js';

let csrfToken: string | undefined;
let signedInAs: string | undefined;

export const client = new NagareClient({
  server: window.location.origin,
  token: undefined,
  headers: (): Record<string, string> => (csrfToken === undefined ? {} : { 'x-nagare-csrf': csrfToken }),
});

export function remember(session: SessionAnswer | undefined): void {
  csrfToken = session?.csrfToken;
  signedInAs = session?.caller;
}

export function caller(): string | undefined {
  return signedInAs;
}

/** The session the cookie holds, or undefined when the page must sign in. */
export async function restoreSession(): Promise<SessionAnswer | undefined> {
  try {
    const session = await client.session();
    remember(session);
    return session;
  } catch {
    remember(undefined);
    return undefined;
  }
}

/** True for the errors that mean the session is gone (expired, signed out elsewhere). */
export function isSignedOut(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'AUTH_MISSING' || code === 'AUTH_INVALID_TOKEN';
}

/** Where the native API serves what a build's record links to, as a same-origin path. */
export function localPath(url: string): string {
  try {
    const parsed = new URL(url, window.location.origin);
    return parsed.pathname + parsed.search;
  } catch {
    return '#';
  }
}
