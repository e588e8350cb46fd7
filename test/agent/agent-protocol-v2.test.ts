/**
 * Protocol version 2, fewer calls per build: the lease stands for the first heartbeat (its answer
 * carries `stopRequested`) and `complete` carries the log's last chunk. An agent uses them only
 * with a server that states version 2 at registration; against a version 1 server (here: the real
 * server with `protocolVersion` taken out of its register answer) it makes the version 1 calls,
 * and a version 1 agent's calls still work on this server.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningAgent } from '../../src/agent/agent.js';
import { AgentApiError, AgentClient } from '../../src/client/agent-client.js';
import { AGENT_PROTOCOL_VERSION } from '../../src/protocol/agent-protocol.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { agentFor, createProject, startBuild, storedLog, waitForBuild } from './agent-harness.js';

const BUILDSPEC = 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hello from a trivial build\n';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.stop();
});

/** A fetch that records `METHOD /path` of every agent call, and may rewrite the register answer. */
function watchedFetch(options: { asVersion1?: boolean } = {}): { fetch: typeof fetch; calls: string[] } {
  const calls: string[] = [];
  const watched = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    calls.push(`${init?.method ?? 'GET'} ${url.pathname.replace(/^\/agent\/v1/, '').replace(/\/jobs\/(?!lease$)[^/]+/, '/jobs/:id')}`);
    const response = await fetch(input, init);
    if (!options.asVersion1 || !url.pathname.endsWith('/register') || !response.ok) return response;
    const { protocolVersion: _dropped, ...older } = (await response.json()) as Record<string, unknown>;
    return new Response(JSON.stringify(older), { status: response.status, headers: { 'content-type': 'application/json' } });
  };
  return { fetch: watched, calls };
}

async function runOneBuild(asVersion1: boolean): Promise<{ calls: string[]; log: string; status: string | undefined; chunks: number }> {
  const { fetch, calls } = watchedFetch({ asVersion1 });
  const project = await createProject(server, BUILDSPEC);
  // Long heartbeat interval: only the beats the protocol itself sends are counted.
  const agent: RunningAgent = await agentFor(server, { fetch, heartbeatMs: 60_000 });
  try {
    const id = await startBuild(server, project);
    const build = await waitForBuild(server, id);
    const jobCalls = calls.filter((call) => call.startsWith('POST /jobs/:id') || call.startsWith('PUT /jobs/:id'));
    return { calls: jobCalls, log: await storedLog(server, id), status: build.buildStatus, chunks: build.logNextSequence };
  } finally {
    await agent.stop();
  }
}

void test('the server states protocol version 2 when an agent registers', async () => {
  const client = new AgentClient({ serverUrl: server.url });
  await client.register(server.token, { name: 'version-check', tags: {} });
  assert.equal(client.protocolVersion, AGENT_PROTOCOL_VERSION);
});

void test('on a version 2 server no heartbeat follows the lease and the last log chunk goes with complete', async () => {
  const { calls, log, status, chunks } = await runOneBuild(false);
  assert.equal(status, 'SUCCEEDED');
  assert.match(log, /hello from a trivial build/);
  assert.match(log, /Phase complete: BUILD State: SUCCEEDED/);
  assert.notEqual(calls[0], 'POST /jobs/:id/heartbeat', `the lease stood for the first beat: ${calls.join(', ')}`);
  // Chunks sealed while the build ran (every 200 ms) went on their own; the last one with the result.
  assert.equal(calls.filter((call) => call.startsWith('PUT /jobs/:id/log/')).length, chunks - 1, calls.join(', '));
  assert.equal(calls.at(-1), 'POST /jobs/:id/complete');
});

void test('against a version 1 server the agent beats at once after the lease and sends its log as chunks', async () => {
  const { calls, log, status } = await runOneBuild(true);
  assert.equal(status, 'SUCCEEDED');
  assert.match(log, /hello from a trivial build/);
  assert.equal(calls[0], 'POST /jobs/:id/heartbeat', 'the first beat right after the lease');
  assert.ok(calls.some((call) => call.startsWith('PUT /jobs/:id/log/')), `log chunks sent: ${calls.join(', ')}`);
});

void test('complete carrying a log chunk out of order is refused with AGENT_LOG_GAP and the build is not completed', async () => {
  const project = await createProject(server, BUILDSPEC);
  const id = await startBuild(server, project);
  const client = new AgentClient({ serverUrl: server.url, retry: { maxElapsedMs: 0 } });
  await client.register(server.token, { name: 'gap-check', tags: {} });
  const lease = await client.lease(5);
  assert.equal(lease?.job.id, id);
  assert.equal(lease?.stopRequested, false, 'the lease answers for the first heartbeat');
  const refused = await client.complete(id, { buildStatus: 'SUCCEEDED', phases: [], reports: [], log: { sequence: 3, base64: Buffer.from('late\n').toString('base64') } }).catch((error: unknown) => error);
  assert.ok(refused instanceof AgentApiError && refused.code === 'AGENT_LOG_GAP', String(refused));
  assert.notEqual((await server.services.builds.get(id)).currentPhase, 'COMPLETED');
  // A version 1 agent's calls still work: the chunk on its own, then complete without a log.
  assert.equal(await client.appendLog(id, 0, Buffer.from('first\n')), 'appended');
  assert.equal((await client.complete(id, { buildStatus: 'SUCCEEDED', phases: [], reports: [], log: { sequence: 1, base64: Buffer.from('last\n').toString('base64') } })).buildStatus, 'SUCCEEDED');
  assert.equal(await storedLog(server, id), 'first\nlast\n');
});
