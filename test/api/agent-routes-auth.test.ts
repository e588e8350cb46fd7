/**
 * Finding 4 of issue 7: the agent protocol let `…/register` suffixes through without a token, and
 * build calls did not all check that the caller holds the build. Replayed over real HTTP against a
 * real server: a queued pipeline build with a real input zip in the blob store.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { applyBuildLife } from '../../src/core/build-life.js';
import { artifactBlobKey } from '../../src/server/builds/build-records.js';
import { streamingRequest } from '../support/streaming-request.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let queuedId: string;
const SOURCE_ZIP = Buffer.from('PK\u0005\u0006 the pipeline source zip, secret to the build');

before(async () => {
  server = await startTestServer({ schedulerIntervalMs: 60_000 });
  const { services } = server;
  await services.projects.create({ name: 'finding-4', source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo]\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
  await services.context.blobs.put('pipelines/finding-4/source.zip', SOURCE_ZIP);
  const action = { pipelineName: 'p', executionId: 'e', stageName: 'Build', actionName: 'Build', attempt: 1 };
  // The input is named `register`, as in the attack: `GET …/inputs/register` names a real zip.
  queuedId = (await services.builds.startBuild({ projectName: 'finding-4', initiator: 'test', pipeline: { inputArtifacts: [{ name: 'register', blobKey: 'pipelines/finding-4/source.zip' }], primarySource: 'register', action } })).id;
});
after(async () => {
  await server.stop();
});

async function sessionToken(name: string): Promise<string> {
  return (await server.services.auth.registerAgent(server.token, name, {})).sessionToken;
}

async function artifactFiles(buildId: string): Promise<string[]> {
  const dir = path.join(server.dataDir, 'blobs', path.dirname(artifactBlobKey(buildId, 'x')));
  return readdir(dir).catch(() => []);
}

async function codeOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

test('finding 4: PUT …/artifacts/register without a token is refused and stores nothing on a queued build', async () => {
  const answer = await streamingRequest({ url: server.url, method: 'PUT', path: `/agent/v1/jobs/${queuedId}/artifacts/register`, bodyBytes: 200 * 1024 * 1024 });
  assert.equal(answer.status, 401);
  assert.equal((JSON.parse(answer.text) as { error: { code: string } }).error.code, 'AUTH_MISSING');
  assert.equal(answer.sentAll, false, 'refused before the 200 MB were read');
  assert.deepEqual(await artifactFiles(queuedId), []);
  const build = await server.services.builds.get(queuedId);
  assert.equal(build.record.artifacts, undefined);
  assert.equal(build.currentPhase, 'QUEUED');
});

test('finding 4: GET …/inputs/register without a token does not download the pipeline source zip', async () => {
  const response = await fetch(`${server.url}/agent/v1/jobs/${queuedId}/inputs/register`);
  assert.equal(response.status, 401);
  assert.equal(await codeOf(response), 'AUTH_MISSING');
});

test('finding 4: register is open only as POST /agent/v1/register, and it needs a registration token', async () => {
  for (const [method, route] of [['GET', '/agent/v1/register'], ['POST', '/agent/v1/register/'], ['POST', '/agent/v1/jobs/lease/register'], ['POST', `/agent/v1/jobs/${queuedId}/complete/register`]] as const) {
    const response = await fetch(`${server.url}${route}`, { method, ...(method === 'POST' ? { body: '{}' } : {}) });
    assert.ok([401, 404].includes(response.status), `${method} ${route} answered ${response.status}`);
  }
  const open = await fetch(`${server.url}/agent/v1/register`, { method: 'POST', body: JSON.stringify({ name: 'sneaky' }) });
  assert.equal(open.status, 401);
  assert.equal(await codeOf(open), 'AUTH_MISSING');
  assert.ok(!(await server.services.context.store.agents.list()).some((a) => a.name === 'sneaky'), 'no agent registered');
});

test('finding 4: an agent that does not hold the build gets AGENT_LEASE_EXPIRED on every build call and changes nothing', async () => {
  const stranger = await sessionToken('stranger');
  const headers = { authorization: `Bearer ${stranger}` };
  const base = `${server.url}/agent/v1/jobs/${queuedId}`;
  const calls: [string, string, string | undefined][] = [
    ['POST', '/heartbeat', JSON.stringify({ phases: [] })],
    ['PUT', '/log/0', 'forged log line\n'],
    ['POST', '/parameters', JSON.stringify({ parameters: ['x'], secrets: ['y'] })],
    ['GET', '/inputs/register', undefined],
    ['PUT', '/artifacts/register', 'not a zip'],
    ['POST', '/complete', JSON.stringify({ buildStatus: 'SUCCEEDED', phases: [] })],
  ];
  for (const [method, suffix, body] of calls) {
    const response = await fetch(`${base}${suffix}`, { method, headers, ...(body === undefined ? {} : { body }) });
    assert.equal(response.status, 409, `${method} ${suffix}`);
    assert.equal(await codeOf(response), 'AGENT_LEASE_EXPIRED', `${method} ${suffix}`);
  }
  const build = await server.services.builds.get(queuedId);
  assert.equal(build.currentPhase, 'QUEUED');
  assert.equal(build.logBytes, 0);
  assert.deepEqual(await artifactFiles(queuedId), []);
});

test('finding 4: an agent whose lease expired cannot upload to the build any more, though the record still names it', async () => {
  const { services } = server;
  await services.projects.create({ name: 'finding-4-expired', source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo]\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
  const id = (await services.builds.startBuild({ projectName: 'finding-4-expired', initiator: 'test' })).id;
  const { agentId, sessionToken: token } = await services.auth.registerAgent(server.token, 'late', {});
  // Leased with a lease that has already run out: the job queue, not the record, says who holds it.
  const claimed = await services.context.store.jobs.claim(agentId, Date.now() - 60_000, 1, ['finding-4']);
  assert.equal(claimed?.id, id);
  await services.context.store.builds.update(id, applyBuildLife(await services.builds.get(id), { type: 'LEASED', agentId, at: Date.now() }));
  const response = await fetch(`${server.url}/agent/v1/jobs/${id}/artifacts/out.zip`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: 'late zip' });
  assert.equal(response.status, 409);
  assert.equal(await codeOf(response), 'AGENT_LEASE_EXPIRED');
  assert.deepEqual(await artifactFiles(id), []);
});
