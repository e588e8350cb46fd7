/**
 * Finding 7 of issue 7: bodies were read whole before authentication, so one unauthenticated 1 GB
 * request took the server to 3 GB. Every route now authenticates before reading where the protocol
 * allows, reads through one capped reader, and answers 413 API_PAYLOAD_TOO_LARGE as soon as a body
 * passes its limit. Bodies here are generated while sent and are chunked (no Content-Length) unless
 * a test says otherwise; the client stops sending when the answer comes, as a well-behaved one does.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { artifactBlobKey } from '../../src/server/builds/build-records.js';
import { authedUrl, commitFiles, gitOk, gitRun, tempDir } from '../git/git-client.js';
import { streamingRequest, type StreamingAnswer } from '../support/streaming-request.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const KiB = 1024;
const MiB = 1024 * KiB;
let server: TestServer;
let buildId: string;
let session: string;

before(async () => {
  server = await startTestServer({ schedulerIntervalMs: 60_000, maxArtifactBytes: 256 * KiB, bodyLimits: { jsonBytes: 64 * KiB, webhookBytes: 64 * KiB, gitPushBytes: 256 * KiB } });
  const { services } = server;
  await services.projects.create({ name: 'bodies', source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo]\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
  buildId = (await services.builds.startBuild({ projectName: 'bodies', initiator: 'test' })).id;
  const agent = await services.auth.registerAgent(server.token, 'holder', {});
  session = agent.sessionToken;
  assert.equal((await services.agents.lease(agent.agentId, 0))?.job.id, buildId);
});
after(async () => {
  await server.stop();
});

function codeOf(answer: StreamingAnswer): string | undefined {
  // git's smart HTTP answers in plain text, the code first (git shows it as it is).
  if (!answer.headers['content-type']?.includes('json')) return answer.text.split(' ')[0];
  const body = JSON.parse(answer.text) as { error?: { code: string }; __type?: string };
  return body.error?.code ?? body.__type;
}

async function healthy(): Promise<void> {
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200, 'the server keeps serving');
}

function awsSignedShape(): Record<string, string> {
  // A known access key and a signature of the right shape pass the pre-check; the body is read next.
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=${server.accessKeyId}/20261130/us-east-1/codebuild/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
    'x-amz-date': '20261130T000000Z',
    'x-amz-target': 'CodeBuild_20161006.ListProjects',
  };
}

/** One authenticated request per route class, each past its limit. */
function routeClasses(): { name: string; method: string; path: string; headers: Record<string, string>; code: string }[] {
  const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
  return [
    { name: 'native JSON', method: 'POST', path: '/api/v1/projects', headers: bearer(server.token), code: 'API_PAYLOAD_TOO_LARGE' },
    { name: 'repositories JSON', method: 'POST', path: '/api/v1/repositories', headers: bearer(server.token), code: 'API_PAYLOAD_TOO_LARGE' },
    { name: 'pipeline definition', method: 'PUT', path: '/api/v1/pipelines', headers: bearer(server.token), code: 'API_PAYLOAD_TOO_LARGE' },
    { name: 'AWS JSON', method: 'POST', path: '/', headers: awsSignedShape(), code: 'RequestEntityTooLargeException' },
    { name: 'webhook', method: 'POST', path: '/webhooks/repositories/anything', headers: { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }, code: 'API_PAYLOAD_TOO_LARGE' },
    { name: 'agent registration', method: 'POST', path: '/agent/v1/register', headers: bearer(server.token), code: 'API_PAYLOAD_TOO_LARGE' },
    { name: 'agent heartbeat', method: 'POST', path: `/agent/v1/jobs/${buildId}/heartbeat`, headers: bearer(session), code: 'API_PAYLOAD_TOO_LARGE' },
    { name: 'agent log chunk', method: 'PUT', path: `/agent/v1/jobs/${buildId}/log/0`, headers: bearer(session), code: 'API_PAYLOAD_TOO_LARGE' },
    { name: 'artifact upload', method: 'PUT', path: `/agent/v1/jobs/${buildId}/artifacts/big.zip`, headers: bearer(session), code: 'API_PAYLOAD_TOO_LARGE' },
  ];
}

test('finding 7: an over-limit chunked body gets 413 API_PAYLOAD_TOO_LARGE on every route class, and the server keeps serving', async () => {
  for (const route of routeClasses()) {
    const answer = await streamingRequest({ url: server.url, method: route.method, path: route.path, headers: route.headers, bodyBytes: 256 * MiB });
    assert.equal(answer.status, 413, `${route.name}: ${answer.text}`);
    assert.equal(codeOf(answer), route.code, route.name);
    assert.equal(answer.sentAll, false, `${route.name}: refused without waiting for the rest`);
    await healthy();
  }
  const build = await server.services.builds.get(buildId);
  assert.equal(build.logBytes, 0, 'no log stored');
  assert.equal(build.record.artifacts, undefined, 'no artifact recorded');
  assert.deepEqual(await readdir(path.join(server.dataDir, 'blobs', path.dirname(artifactBlobKey(buildId, 'x')))).catch(() => []), [], 'no partial artifact blob left behind');
  assert.deepEqual((await server.services.context.store.projects.list({ limit: 10 })).items, ['bodies']);
});

test('finding 7: a declared Content-Length over the limit is refused before any of the body is read', async () => {
  for (const route of routeClasses()) {
    const answer = await streamingRequest({ url: server.url, method: route.method, path: route.path, headers: route.headers, bodyBytes: 1024 * MiB, declareLength: true });
    assert.equal(answer.status, 413, `${route.name}: ${answer.text}`);
    assert.equal(codeOf(answer), route.code, route.name);
    assert.equal(answer.sentAll, false, route.name);
  }
  await healthy();
});

test('finding 7: an unauthenticated 1 GiB body is refused 401 while the client is still sending, on every route that reads a body', async () => {
  const routes: [string, string, Record<string, string>][] = [
    ['POST', '/api/v1/projects', {}],
    ['PUT', '/api/v1/pipelines', { authorization: 'Bearer ngu_not-a-real-token' }],
    ['POST', '/api/v1/repositories', {}],
    ['POST', '/', { 'x-amz-target': 'CodeBuild_20161006.ListProjects' }],
    ['POST', '/', { ...awsSignedShape(), authorization: awsSignedShape().authorization?.replace(server.accessKeyId, 'AKIANOTAKEYOFNAGARE0') ?? '' }],
    ['POST', '/webhooks/repositories/anything', { 'x-github-event': 'push' }],
    ['POST', '/agent/v1/register', {}],
    ['PUT', `/agent/v1/jobs/${buildId}/artifacts/register`, {}],
    ['POST', '/git/bodies.git/git-receive-pack', {}],
  ];
  for (const [method, route, headers] of routes) {
    const answer = await streamingRequest({ url: server.url, method, path: route, headers, bodyBytes: 1024 * MiB });
    assert.ok([401, 403, 400].includes(answer.status), `${method} ${route} answered ${answer.status}: ${answer.text}`);
    assert.match(codeOf(answer) ?? '', /^AUTH_|Exception$/, `${method} ${route}`);
    // What left the client fits in the socket buffers and the server's bounded drain, not the body.
    assert.ok(answer.bytesSent < 128 * MiB, `${method} ${route}: ${answer.bytesSent} bytes sent before the answer`);
  }
  await healthy();
  assert.equal((await server.services.context.store.agents.list()).length, 1, 'no agent registered');
});

test('finding 7: a git push over the push limit is refused with 413 and changes no ref; a small push then goes through', async () => {
  await server.services.repositories.create({ repositoryName: 'bodies', repositoryDescription: undefined });
  const work = await tempDir('push-limit');
  await gitOk(work, ['init', '--quiet', '--initial-branch=main', '.']);
  // Random bytes do not compress: the pack is about 1 MiB, four times the limit, sent chunked.
  await commitFiles(work, { 'big.bin': randomBytes(1024 * KiB).toString('base64') }, 'big');
  const pushed = await gitRun(work, ['push', authedUrl(server.url, 'bodies', server.token), 'main']);
  assert.notEqual(pushed.status, 0);
  assert.match(pushed.stderr, /413/);
  assert.deepEqual(await server.services.repositories.listBranches('bodies'), []);

  const small = await tempDir('push-small');
  await gitOk(small, ['init', '--quiet', '--initial-branch=main', '.']);
  await commitFiles(small, { 'README.md': 'small\n' }, 'small');
  await gitOk(small, ['push', '--quiet', authedUrl(server.url, 'bodies', server.token), 'main']);
  assert.deepEqual(await server.services.repositories.listBranches('bodies'), ['main']);
});
