/**
 * Dashboard sessions: signing in with an API token gives a session, kept by the browser as a
 * cookie; the token itself never reaches the page's storage.
 *
 * Sessions are stateless: the cookie's value is sealed by the server's secret box (AES-256-GCM,
 * authenticated with the context "nagare-session"), holding the hash of the API token it was opened
 * with, a random CSRF token and the expiry. Nothing is stored, so several servers sharing the
 * secret key accept each other's sessions, and no migration is needed. The price: signing out
 * clears the browser's cookie, but a copy of it taken before stays valid until it expires
 * (SESSION_HOURS); deleting the API token ends every session opened with it at once, because each
 * request looks the token's hash up again.
 *
 * Errors: AUTH_MISSING (no token), AUTH_INVALID_TOKEN (a wrong token; a session cookie altered,
 * sealed under another key, expired, or whose token is gone).
 */
import { randomBytes } from 'node:crypto';
import { NagareError } from '../../core/errors.js';
import type { Caller } from './auth-service.js';
import { hashToken } from './crypto/tokens.js';
import type { ServerContext } from '../server-context.js';

/** How long a session lasts after sign-in. */
export const SESSION_HOURS = 12;
const SEAL_CONTEXT = 'nagare-session';

export interface Session {
  readonly caller: Caller;
  /** Sent back by the page in `X-Nagare-CSRF` on every state-changing call. */
  readonly csrfToken: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

export interface OpenedSession extends Session {
  /** The cookie's value. */
  readonly cookie: string;
}

interface SealedSession {
  readonly h: string;
  readonly c: string;
  readonly e: number;
}

export class SessionService {
  constructor(private readonly context: ServerContext) {}

  /** A new session for the holder of an API token; AUTH_INVALID_TOKEN for any other token. */
  async signIn(token: string | undefined): Promise<OpenedSession> {
    if (!token) throw new NagareError('AUTH_MISSING', 'Sign in with an API token (the admin token is in initial-credentials.json of the data directory)');
    const hash = hashToken(token);
    const caller = await this.callerOf(hash);
    const sealed: SealedSession = { h: hash, c: randomBytes(24).toString('base64url'), e: this.context.clock() + SESSION_HOURS * 3600_000 };
    return { caller, csrfToken: sealed.c, expiresAt: sealed.e, cookie: this.context.secrets.seal(JSON.stringify(sealed), SEAL_CONTEXT) };
  }

  /** The session a cookie holds, checked against the clock and the token store. */
  async open(cookie: string): Promise<Session> {
    const sealed = this.unseal(cookie);
    if (sealed.e <= this.context.clock()) throw new NagareError('AUTH_INVALID_TOKEN', 'The session has expired: sign in again');
    return { caller: await this.callerOf(sealed.h), csrfToken: sealed.c, expiresAt: sealed.e };
  }

  private unseal(cookie: string): SealedSession {
    try {
      const value = JSON.parse(this.context.secrets.open(cookie, SEAL_CONTEXT)) as Partial<SealedSession>;
      if (typeof value.h === 'string' && typeof value.c === 'string' && typeof value.e === 'number') return { h: value.h, c: value.c, e: value.e };
    } catch {
      // Altered, from another key, or not a session at all: the same answer for each.
    }
    throw new NagareError('AUTH_INVALID_TOKEN', 'The session is not valid: sign in again');
  }

  private async callerOf(hash: string): Promise<Caller> {
    const credential = await this.context.store.credentials.findByHash(hash);
    if (!credential || credential.kind !== 'API_TOKEN') throw new NagareError('AUTH_INVALID_TOKEN', 'The token is not valid for this call');
    return { kind: credential.kind, name: credential.name, agentId: undefined };
  }
}
