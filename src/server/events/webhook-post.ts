/**
 * The POSTs of notification deliveries, over node:http(s) with a keep-alive agent per outbox: a
 * receiver's connection is reused from one delivery to the next instead of a connection (and the
 * global fetch's per-request machinery) per delivery, which was most of a delivery's CPU
 * (docs/benchmarks.md, events). Redirects are not followed: a 3xx is an answer that is not 2xx.
 */
import http from 'node:http';
import https from 'node:https';

export class WebhookPoster {
  // An idle connection is closed after 4 s, before common servers' 5 s keep-alive timeout closes it under a request.
  readonly #http = new http.Agent({ keepAlive: true, maxSockets: 8, timeout: 4000 });
  readonly #https = new https.Agent({ keepAlive: true, maxSockets: 8, timeout: 4000 });

  /**
   * The receiver's HTTP status once its whole answer is read. Rejects on a refused or broken
   * connection, and with a TimeoutError when there is no complete answer within `timeoutMs`.
   * A kept connection the receiver closed just as it was reused is tried once more on a new one
   * (the delivery carries its idempotency key, so a receiver that did get it can drop the copy).
   */
  async post(url: string, headers: Readonly<Record<string, string>>, body: string, timeoutMs: number): Promise<number> {
    try {
      return await this.#send(url, headers, body, timeoutMs);
    } catch (error) {
      if (!(error instanceof StaleConnection)) throw error;
      return this.#send(url, headers, body, timeoutMs);
    }
  }

  #send(url: string, headers: Readonly<Record<string, string>>, body: string, timeoutMs: number): Promise<number> {
    const target = new URL(url);
    const secure = target.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const request = (secure ? https : http).request(target, { method: 'POST', agent: secure ? this.#https : this.#http, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } });
      const timer = setTimeout(() => request.destroy(timeoutError(timeoutMs)), timeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        const reset = (error as NodeJS.ErrnoException).code === 'ECONNRESET' && request.reusedSocket;
        reject(reset ? new StaleConnection(error) : error);
      };
      request.once('error', fail);
      request.once('response', (response) => {
        response.once('error', fail);
        response.once('end', () => {
          clearTimeout(timer);
          resolve(response.statusCode ?? 0);
        });
        response.resume();
      });
      request.end(body);
    });
  }

  /** Closes the kept connections. */
  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

class StaleConnection extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
  }
}

function timeoutError(timeoutMs: number): Error {
  const error = new Error(`no answer within ${timeoutMs} ms`);
  error.name = 'TimeoutError';
  return error;
}
