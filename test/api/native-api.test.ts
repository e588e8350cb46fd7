/**
 * The native API through the typed client against a real server on SQLite: projects, queued
 * builds, stop, parameters and secrets (encrypted at rest, never listed with values), metrics, and
 * clean errors for bad input that change nothing.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { NagareClient } from '../../src/client/nagare-client.js';
import { isNagareError } from '../../src/core/errors.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let client: NagareClient;
before(async () => {
  server = await startTestServer();
  client = new NagareClient({ server: server.url, token: server.token });
});
after(async () => {
  await server.stop();
});

const project = (name: string): Record<string, unknown> => ({
  name,
  source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo hi]\n' },
  environment: { type: 'LINUX_CONTAINER', image: 'shell', computeType: 'BUILD_GENERAL1_SMALL' },
  artifacts: { type: 'NO_ARTIFACTS' },
});

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => isNagareError(error) && error.code === code);
}

test('a project is created, shown, listed and deleted', async () => {
  await client.createProject(project('crud-one'));
  assert.equal((await client.getProject('crud-one')).project.name, 'crud-one');
  assert.ok((await client.listProjects()).projects.some((p) => p.name === 'crud-one'));
  await client.deleteProject('crud-one');
  await rejectsWith(client.getProject('crud-one'), 'API_NOT_FOUND');
});

test('a project name is unique', async () => {
  await client.createProject(project('unique-one'));
  await rejectsWith(client.createProject(project('unique-one')), 'API_ALREADY_EXISTS');
});

test('an invalid project is refused with the field named, and nothing is created', async () => {
  await rejectsWith(client.createProject({ ...project('x'), name: 'x' }), 'API_INVALID_INPUT');
  await rejectsWith(client.createProject({ ...project('bad-timeout'), timeoutInMinutes: 3 }), 'API_INVALID_INPUT');
  await rejectsWith(client.createProject({ ...project('bad-source'), source: { type: 'S3', location: 'b/k' } }), 'API_INVALID_INPUT');
  await rejectsWith(client.getProject('bad-timeout'), 'API_NOT_FOUND');
});

test('a started build waits QUEUED with build numbers counting up, and a stop ends it STOPPED', async () => {
  await client.createProject(project('queued-one'));
  const first = (await client.startBuild('queued-one')).build;
  const second = (await client.startBuild('queued-one')).build;
  assert.equal(first.buildStatus, 'IN_PROGRESS');
  assert.equal(first.currentPhase, 'QUEUED');
  assert.deepEqual([first.buildNumber, second.buildNumber], [1, 2]);
  assert.match(String(first.id), /^queued-one:[0-9a-f-]{36}$/);
  const stopped = (await client.stopBuild(String(first.id))).build;
  assert.equal(stopped.buildStatus, 'STOPPED');
  assert.equal(stopped.currentPhase, 'COMPLETED');
  const listed = (await client.listBuilds('queued-one')).builds.map((b) => b.id);
  assert.deepEqual(listed, [second.id, first.id], 'newest first');
});

test('starting a build of an unknown project is API_NOT_FOUND', async () => {
  await rejectsWith(client.startBuild('no-such-project'), 'API_NOT_FOUND');
});

test('secrets are encrypted at rest and lists never carry values', async () => {
  await client.putParameter('secrets', { name: 'ci/token', value: 'sup3r-s3cret-v4lue' });
  await client.putParameter('parameters', { name: '/app/plain', value: 'plain-value' });
  await client.putParameter('parameters', { name: '/app/secure', value: 'secure-p4ram-value', type: 'SecureString' });
  assert.equal((await client.getParameter('secrets', 'ci/token')).value, 'sup3r-s3cret-v4lue');
  const listed = JSON.stringify([await client.listParameters('secrets'), await client.listParameters('parameters')]);
  assert.ok(!listed.includes('sup3r-s3cret-v4lue') && !listed.includes('secure-p4ram-value') && !listed.includes('plain-value'));
  for (const file of await readdir(server.dataDir)) {
    if (!file.startsWith('nagare.db')) continue;
    const bytes = await readFile(path.join(server.dataDir, file));
    assert.ok(!bytes.includes('sup3r-s3cret-v4lue') && !bytes.includes('secure-p4ram-value'), `${file} holds no plaintext secret`);
  }
  assert.ok(!server.logs().includes('sup3r-s3cret-v4lue'), 'the server log holds no secret');
  await rejectsWith(client.putParameter('secrets', { name: 'ci/token', value: 'other' }), 'API_ALREADY_EXISTS');
});

test('malformed JSON gets API_MALFORMED_JSON and changes nothing', async () => {
  const response = await fetch(`${server.url}/api/v1/projects`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: '{"name": "half' });
  assert.equal(response.status, 400);
  assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'API_MALFORMED_JSON');
});

test('/metrics serves Prometheus text with queue depth and builds by status', async () => {
  await server.scheduler.sweep();
  const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${server.token}` } });
  assert.equal(response.status, 200);
  const text = await response.text();
  for (const metric of ['nagare_queue_depth', 'nagare_builds', 'nagare_lease_expiries_total', 'nagare_build_duration_seconds', 'nagare_queue_duration_seconds', 'nagare_log_bytes_total']) {
    assert.match(text, new RegExp(`^# HELP ${metric} `, 'm'));
  }
});

test('the first start writes initial-credentials.json with mode 0600', async () => {
  const file = path.join(server.dataDir, 'initial-credentials.json');
  const credentials = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
  assert.deepEqual(Object.keys(credentials).sort(), ['accessKeyId', 'secretAccessKey', 'token']);
  const { statSync } = await import('node:fs');
  assert.equal(statSync(file).mode & 0o777, 0o600);
});
