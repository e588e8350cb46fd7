/**
 * Keep-alive timing of the HTTP server, so that no client request is dropped on a connection the
 * server is closing. Node's fetch (undici: the CLI, the agent, SDKs on Node) keeps an idle
 * connection as long as the server's `Keep-Alive: timeout=N` answer header says, less a second,
 * on timers that may fire a second late under load; a server that closes at exactly N then races
 * the client's next request on that connection, which fails with "other side closed". So the
 * server advertises 60 s and closes idle connections only after 65 s. `headersTimeout` must exceed
 * `keepAliveTimeout` (Node's rule: else an idle connection could be cut by the headers timer).
 */
import http from 'node:http';

/** What clients are told (seconds, the `Keep-Alive` header). */
export const ADVERTISED_KEEP_ALIVE_SECONDS = 60;
/** How long the server really keeps an idle connection. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
export const HEADERS_TIMEOUT_MS = 66_000;

export function applyKeepAliveTimeouts(server: unknown): void {
  if (!(server instanceof http.Server)) return;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  const advertised = `timeout=${ADVERTISED_KEEP_ALIVE_SECONDS}`;
  // Set before the app answers: Node then sends this header instead of its own `timeout=65`.
  server.prependListener('request', (_request: http.IncomingMessage, response: http.ServerResponse) => {
    response.setHeader('Keep-Alive', advertised);
  });
}
