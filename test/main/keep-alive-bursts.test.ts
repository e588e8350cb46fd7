/**
 * No dropped requests under bursts: Node's fetch (undici) keeps idle connections for the time the
 * server's `Keep-Alive` header names, less a second, on coarse timers; a server that closes an
 * idle connection at that very moment drops the request sent on it ("other side closed"). The
 * server keeps idle connections longer than it tells clients (src/main/http-timeouts.ts). Here
 * 10,000 requests arrive in bursts from 500 lanes at once, each lane idle 4.5–5.5 s between its
 * bursts (around Node's former 5 s default), through the same fetch the CLI and agent use.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADVERTISED_KEEP_ALIVE_SECONDS, KEEP_ALIVE_TIMEOUT_MS } from '../../src/main/http-timeouts.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const LANES = 500;
const BURSTS = 2;
const REQUESTS_PER_BURST = 10; // 500 × 2 × 10 = 10,000

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server?.stop();
});

void test('10,000 requests in bursts with idle gaps around 5 s see no connection error', async () => {
  const failures: string[] = [];
  let answered = 0;
  const lane = async (index: number): Promise<void> => {
    for (let burst = 0; burst < BURSTS; burst += 1) {
      if (burst > 0) await new Promise((resolve) => setTimeout(resolve, 4500 + ((index * 37) % 1000)));
      for (let n = 0; n < REQUESTS_PER_BURST; n += 1) {
        try {
          const response = await fetch(`${server.url}/healthz`);
          await response.text();
          if (response.status === 200) answered += 1;
          else failures.push(`HTTP ${response.status}`);
        } catch (error) {
          const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : '';
          failures.push(`${error instanceof Error ? error.message : String(error)} ${cause}`);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: LANES }, (_, index) => lane(index)));
  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of 10,000 requests failed`);
  assert.equal(answered, LANES * BURSTS * REQUESTS_PER_BURST);
});

void test('the server advertises a keep-alive shorter than it keeps idle connections', async () => {
  const response = await fetch(`${server.url}/healthz`);
  await response.text();
  assert.equal(response.headers.get('keep-alive'), `timeout=${ADVERTISED_KEEP_ALIVE_SECONDS}`);
  assert.ok(KEEP_ALIVE_TIMEOUT_MS >= ADVERTISED_KEEP_ALIVE_SECONDS * 1000 + 5000, 'five seconds of margin for late client timers');
});
