/**
 * Finding 12 of issue 7: a build whose log blob had gone missing answered an empty 200, so a
 * damaged data directory looked like a silent build. The blob file is deleted under a real
 * server's data directory and the log asked for over HTTP.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { logBlobKey } from '../../src/server/builds/build-records.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer({ schedulerIntervalMs: 60_000 });
  await server.services.projects.create({
    name: 'logged',
    source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo]\n' },
    environment: { image: 'shell' },
    artifacts: { type: 'NO_ARTIFACTS' },
  });
});
after(async () => {
  await server.stop();
});

async function startBuild(): Promise<string> {
  return (await server.services.builds.startBuild({ projectName: 'logged', initiator: 'test' })).id;
}

/** Leases the build to a new agent and stores `chunks` as its log. */
async function runWithLog(id: string, chunks: readonly string[]): Promise<void> {
  const agentId = (await server.services.auth.registerAgent(server.token, `agent-${id.slice(-6)}`, {})).agentId;
  assert.equal((await server.services.agents.lease(agentId, 0))?.job.id, id);
  for (const [sequence, text] of chunks.entries()) await server.services.agents.appendLog(agentId, id, sequence, Buffer.from(text));
}

async function logOf(id: string, accept = 'text/plain'): Promise<{ status: number; text: string }> {
  const response = await fetch(`${server.url}/api/v1/builds/${encodeURIComponent(id)}/logs`, { headers: { authorization: `Bearer ${server.token}`, accept } });
  return { status: response.status, text: await response.text() };
}

test('finding 12: a build whose stored log blob is missing answers BUILD_LOG_MISSING, not an empty 200', async () => {
  const id = await startBuild();
  await runWithLog(id, ['first line\n', 'second line\n']);
  assert.deepEqual(await logOf(id), { status: 200, text: 'first line\nsecond line\n' });

  await rm(path.join(server.dataDir, 'blobs', ...logBlobKey(id, 1).split('/')));
  const damaged = await logOf(id);
  assert.equal(damaged.status, 500);
  const { error } = JSON.parse(damaged.text) as { error: { code: string; message: string } };
  assert.equal(error.code, 'BUILD_LOG_MISSING');
  assert.match(error.message, /chunk 1 of 2/);
  assert.doesNotMatch(damaged.text, /first line/, 'no partial log passed off as the whole');
  assert.ok(server.logs().split('\n').some((line) => line.includes('"code":"BUILD_LOG_MISSING"')), 'the operator sees it in the server log');

  const followed = await logOf(id, 'text/event-stream');
  assert.match(followed.text, /event: log\ndata: first line/);
  assert.match(followed.text, /event: error\ndata: .*BUILD_LOG_MISSING/);
});

test('finding 12: a queued build that has written nothing still answers an empty log', async () => {
  const id = await startBuild();
  assert.equal((await server.services.builds.get(id)).currentPhase, 'QUEUED');
  assert.deepEqual(await logOf(id), { status: 200, text: '' });
});
