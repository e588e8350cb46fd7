/**
 * A request that failed because the connection under it was closed or reset, typically a kept-alive
 * connection the server closed just as the request was sent on it ("other side closed"). The
 * server did not answer; one immediate retry on a new connection is what a browser would do.
 */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

export function isConnectionReset(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && RESET_CODES.has(code)) return true;
    if (/other side closed|socket hang up/i.test(current.message)) return true;
  }
  return false;
}

/** Methods a client may send twice without changing the result (RFC 9110, 9.2.2). */
export function isIdempotent(method: string): boolean {
  return ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'].includes(method.toUpperCase());
}
