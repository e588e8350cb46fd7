/**
 * Agent failover (`--server URL1,URL2`): the agent talks to the first server that answers and
 * moves to the next one in order when its server stops answering; a build in flight carries on,
 * since the servers of a cluster share their database (sessions, leases, logs).
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { lineLogger } from '../../src/agent/agent-logger.js';
import { AgentClient } from '../../src/client/agent-client.js';
import { compileAgentConfig } from '../../src/config/agent-config.js';
import { freePort } from '../support/processes.js';
import { startTestServer, testDatabases } from '../support/test-server.js';
import { agentFor, createProject, startBuild, storedLog, waitFor, waitForBuild } from './agent-harness.js';

const [, postgresSkip] = (await testDatabases()).find(([database]) => database === 'postgres') ?? ['postgres', 'PostgreSQL is not configured'];

test('--server and NAGARE_SERVER take several URLs separated by commas; each must be an http(s) URL', () => {
  const env = { NAGARE_AGENT_TOKEN: 't' };
  assert.equal(compileAgentConfig({ server: 'http://a:8780,http://b:8780' }, env).serverUrl, 'http://a:8780,http://b:8780');
  assert.equal(compileAgentConfig({}, { ...env, NAGARE_SERVER: 'http://a:8780, https://b' }).serverUrl, 'http://a:8780, https://b');
  for (const bad of ['http://a:8780,', 'http://a:8780,ftp://b', ',http://a']) {
    assert.throws(() => compileAgentConfig({ server: bad }, env), (error: Error & { code?: string }) => error.code === 'CONFIG_INVALID' && /several separated by commas/.test(error.message));
  }
});

test('an agent whose first server refuses connections registers with the next and runs its builds', async () => {
  const server = await startTestServer();
  const refused = `http://127.0.0.1:${await freePort()}`;
  const failovers: string[] = [];
  const agent = await agentFor(server, { serverUrl: `${refused},${server.url}`, logger: lineLogger((line) => failovers.push(line)) });
  try {
    const build = await waitForBuild(server, await startBuild(server, await createProject(server, 'version: 0.2\nphases:\n  build:\n    commands: [echo ran-on-the-second]\n')));
    assert.equal(build.buildStatus, 'SUCCEEDED');
    assert.match(await storedLog(server, build.id), /ran-on-the-second/);
    assert.ok(failovers.some((line) => line.includes(`${refused} stopped answering`) && line.includes(`moving to ${server.url}`)), failovers.join('\n'));
  } finally {
    await agent.stop();
    await server.stop();
  }
});

test('calls failing together on a dead server move to the next server once, and a heartbeat that is not retried moves on too', async () => {
  const calls: string[] = [];
  const fetchImpl = (input: string | URL | Request): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    calls.push(url);
    if (url.startsWith('http://a')) return Promise.reject(new TypeError('fetch failed'));
    return Promise.resolve(new Response(JSON.stringify({ stopRequested: false }), { status: 200, headers: { 'content-type': 'application/json' } }));
  };
  const client = new AgentClient({ serverUrl: 'http://a,http://b,http://c', retry: { initialDelayMs: 1, maxDelayMs: 5 }, fetch: fetchImpl });
  await Promise.all([client.heartbeat('p:1', {}), client.heartbeat('p:2', {}), client.heartbeat('p:3', {})]);
  assert.equal(client.serverUrl, 'http://b', 'three failures on a, one move: b, not c or a again');
  assert.ok(calls.slice(3).every((url) => url.startsWith('http://b/')), calls.join('\n'));

  const single = new AgentClient({ serverUrl: 'http://a,http://b', retry: { initialDelayMs: 1, maxDelayMs: 5 }, fetch: fetchImpl });
  await assert.rejects(single.heartbeat('p:1', {}, { retry: false }), /http:\/\/a could not be reached/);
  assert.equal(single.serverUrl, 'http://b', 'the next heartbeat goes to the next server');
  assert.deepEqual(await single.heartbeat('p:1', {}, { retry: false }), { stopRequested: false });
});

test('a build in flight carries on when its server stops answering: its heartbeats, log and result go to the next server (PostgreSQL)', { skip: postgresSkip }, async () => {
  const first = await startTestServer({ database: 'postgres' });
  const second = await startTestServer({ databaseUrl: first.databaseUrl, dataDir: first.dataDir });
  const gateDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-gate-'));
  await chmod(gateDir, 0o755);
  const agent = await agentFor(first, { serverUrl: `${first.url},${second.url}`, token: first.token });
  try {
    const project = await createProject(first, `version: 0.2\nphases:\n  build:\n    commands:\n      - echo before\n      - while [ ! -e ${gateDir}/go-on ]; do sleep 0.1; done\n      - echo after\n`);
    const id = await startBuild(first, project);
    await waitFor('the build to run on the agent', async () => /before/.test(await storedLog(first, id)));
    await first.stop();
    await writeFile(path.join(gateDir, 'go-on'), '');
    const build = await waitForBuild(second, id);
    assert.equal(build.buildStatus, 'SUCCEEDED');
    assert.match(await storedLog(second, id), /before[\s\S]*after/);
    const next = await waitForBuild(second, await startBuild(second, project));
    assert.equal(next.buildStatus, 'SUCCEEDED', 'later builds are leased from the second server');
  } finally {
    await agent.stop();
    await second.stop();
    await rm(gateDir, { recursive: true, force: true });
  }
});
