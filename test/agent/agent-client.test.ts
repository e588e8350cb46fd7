/**
 * The agent protocol client's retry rules: network errors and 5xx are retried with backoff until
 * they succeed; a 409 is final; a `complete` whose first answer was lost and whose retry finds the
 * build completed is not an error.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentClient, isLeaseExpired } from '../../src/client/agent-client.js';

type Answer = 'network' | number | Response;

/** A fetch that answers from a script, one entry per attempt, and records the calls. */
function scriptedFetch(script: Answer[]): { fetch: typeof fetch; calls: string[] } {
  const calls: string[] = [];
  const fetchImpl = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls.push(`${init?.method ?? 'GET'} ${typeof input === 'string' ? input : input instanceof URL ? input.href : input.url}`);
    const next = script.shift() ?? 200;
    if (next === 'network') return Promise.reject(new TypeError('fetch failed'));
    if (typeof next === 'number') {
      const body = next >= 400 ? { error: { code: next === 409 ? 'AGENT_LEASE_EXPIRED' : 'INTERNAL', message: 'scripted' } } : { stopRequested: false, buildStatus: 'SUCCEEDED' };
      return Promise.resolve(new Response(JSON.stringify(body), { status: next, headers: { 'content-type': 'application/json' } }));
    }
    return Promise.resolve(next);
  };
  return { fetch: fetchImpl, calls };
}

const retry = { initialDelayMs: 1, maxDelayMs: 5 };

test('network errors and 5xx answers are retried until the server answers', async () => {
  const { fetch, calls } = scriptedFetch(['network', 503, 'network', 500, 200]);
  const client = new AgentClient({ serverUrl: 'http://server/', retry, fetch });
  // The answer is read through the protocol's schema: fields it does not name are dropped.
  assert.deepEqual(await client.heartbeat('p:1', {}), { stopRequested: false });
  assert.equal(calls.length, 5);
  assert.equal(calls[0], 'POST http://server/agent/v1/jobs/p%3A1/heartbeat');
});

test('a 409 lease expiry is final', async () => {
  const { fetch, calls } = scriptedFetch([409, 200]);
  const client = new AgentClient({ serverUrl: 'http://server', retry, fetch });
  await assert.rejects(client.heartbeat('p:1', {}), (error) => isLeaseExpired(error));
  assert.equal(calls.length, 1);
});

test('retry: false makes one attempt only', async () => {
  const { fetch, calls } = scriptedFetch(['network', 200]);
  const client = new AgentClient({ serverUrl: 'http://server', retry, fetch });
  await assert.rejects(client.heartbeat('p:1', {}, { retry: false }), /could not be reached/);
  assert.equal(calls.length, 1);
});

test('retries stop after maxElapsedMs', async () => {
  const { fetch } = scriptedFetch(Array.from({ length: 1000 }, () => 'network' as const));
  const client = new AgentClient({ serverUrl: 'http://server', retry: { ...retry, maxElapsedMs: 50 }, fetch });
  await assert.rejects(client.heartbeat('p:1', {}), /could not be reached/);
});

test('complete: a lease expiry after a lost answer means the first attempt arrived', async () => {
  const { fetch } = scriptedFetch(['network', 409]);
  const client = new AgentClient({ serverUrl: 'http://server', retry, fetch });
  assert.deepEqual(await client.complete('p:1', { buildStatus: 'SUCCEEDED', phases: [], exportedEnvironmentVariables: [], reports: [] }), { buildStatus: undefined, confirmed: false });
  const first = scriptedFetch([409]);
  const direct = new AgentClient({ serverUrl: 'http://server', retry, fetch: first.fetch });
  await assert.rejects(direct.complete('p:1', { buildStatus: 'SUCCEEDED', phases: [], exportedEnvironmentVariables: [], reports: [] }), (error) => isLeaseExpired(error));
});

test('aborting the client ends a retry wait at once', async () => {
  const controller = new AbortController();
  const { fetch } = scriptedFetch(Array.from({ length: 1000 }, () => 'network' as const));
  const client = new AgentClient({ serverUrl: 'http://server', retry: { initialDelayMs: 60_000, maxDelayMs: 60_000 }, fetch, signal: controller.signal });
  const call = client.heartbeat('p:1', {});
  setTimeout(() => controller.abort(new Error('shutting down')), 20);
  await assert.rejects(call, /shutting down/);
});

test('an answer not in the protocol\'s shape is refused with AGENT_PROTOCOL_MISMATCH, not passed on', async () => {
  const { fetch } = scriptedFetch([new Response(JSON.stringify({ job: { kind: 'deploy', id: 'x' } }), { status: 200, headers: { 'content-type': 'application/json' } })]);
  const client = new AgentClient({ serverUrl: 'http://server', retry, fetch });
  await assert.rejects(client.lease(1), (error: unknown) => (error as { code?: string }).code === 'AGENT_PROTOCOL_MISMATCH');
});
