/**
 * Notification rules deliver through a persisted outbox to a real local HTTP receiver: signed with
 * HMAC-SHA256, at least once with the same delivery id on every try, in order per rule, past 5xx
 * answers, timeouts and refused connections, and dead-lettered after the last try. Only an
 * administrator creates targets, and a Webhook target must be signed.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { AwsEvent } from '../../../src/core/aws-event.js';
import { waitFor } from '../../agent/agent-harness.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

const SECRET = 'a-webhook-secret-of-some-length';

type Behaviour = 'ok' | 'fail' | 'hang' | 'slow';
interface Received {
  readonly path: string;
  readonly deliveryId: string;
  readonly idempotencyKey: string;
  readonly signature: string | undefined;
  readonly body: string;
}

let server: TestServer;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** What the receiver does with each next request; `ok` once the list is empty. */
const script: Behaviour[] = [];

function handle(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    const behaviour = script.shift() ?? 'ok';
    if (behaviour === 'hang') return; // never answers: the sender's timeout
    if (behaviour === 'fail') {
      res.statusCode = 503;
      res.end('busy');
      return;
    }
    received.push({ path: req.url ?? '', deliveryId: String(req.headers['x-nagare-delivery']), idempotencyKey: String(req.headers['idempotency-key']), signature: req.headers['x-nagare-signature'] as string | undefined, body });
    setTimeout(() => res.end('ok'), behaviour === 'slow' ? 150 : 0);
  });
}

before(async () => {
  receiver = createServer(handle);
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  server = await startTestServer({ notificationOutbox: { maxAttempts: 4, baseDelayMs: 40, maxDelayMs: 200, timeoutMs: 400 } });
  await server.services.projects.create({ name: 'notified', source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
});

after(async () => {
  await server.stop();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

const PROJECT_ARN = 'arn:aws:codebuild:us-east-1:000000000000:project/notified';

async function api(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/api/v1/notification-rules${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

function rule(name: string, address: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { Name: name, EventTypeIds: ['codebuild-project-build-state-in-progress', 'codebuild-project-build-state-stopped'], Resource: PROJECT_ARN, DetailType: 'FULL', Targets: [{ TargetType: 'Webhook', TargetAddress: address, Secret: SECRET }], ...extra };
}

async function startAndStop(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const build = await server.services.builds.startBuild({ projectName: 'notified', initiator: 'admin' });
    await server.services.builds.stopBuild(build.id);
    ids.push(build.id);
  }
  return ids;
}

test('notification targets are created by an administrator only, and a Webhook target must be signed', async () => {
  const developer = await server.services.auth.createApiToken('developer');
  const refused = await api('POST', '', developer, rule('forged', `${receiverUrl}/forged`));
  assert.equal(refused.status, 403);
  assert.equal((refused.json.error as { code: string }).code, 'AUTH_FORBIDDEN');
  const unsigned = await api('POST', '', server.token, { ...rule('unsigned', `${receiverUrl}/unsigned`), Targets: [{ TargetType: 'Webhook', TargetAddress: `${receiverUrl}/unsigned` }] });
  assert.equal(unsigned.status, 400);
  assert.match(String((unsigned.json.error as { message: string }).message), /--secret/);
  const notUrl = await api('POST', '', server.token, rule('file', 'file:///etc/passwd'));
  assert.equal(notUrl.status, 400);
  assert.deepEqual((await api('GET', '', server.token)).json.NotificationRules, [], 'nothing was created');
});

test('deliveries survive 503s and a timeout, arrive signed, in order, with the same delivery id on every try', async () => {
  const created = await api('POST', '', server.token, rule('ordered', `${receiverUrl}/ordered`));
  assert.equal(created.status, 201);
  const arn = String(created.json.Arn);
  assert.match(arn, /^arn:aws:codestar-notifications:us-east-1:000000000000:notificationrule\/.+/);
  script.push('fail', 'fail', 'hang', 'slow');
  const builds = await startAndStop(3);
  await waitFor('six deliveries', () => received.filter((r) => r.path === '/ordered').length >= 6, 20_000);
  const mine = received.filter((r) => r.path === '/ordered');
  const events = mine.map((r) => JSON.parse(r.body) as AwsEvent);
  assert.deepEqual(events.map((e) => [String(e.detail['build-id']).replace(/^.*build\//, ''), e.detail['build-status']]), builds.flatMap((id) => [[id, 'IN_PROGRESS'], [id, 'STOPPED']]), 'in the order the changes happened');
  for (const r of mine) {
    assert.equal(r.signature, `sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`);
    assert.equal(r.idempotencyKey, r.deliveryId);
  }
  assert.equal(new Set(mine.map((r) => r.deliveryId)).size, mine.length, 'no duplicates here; a duplicate would carry the same id');
  // The receiver has the last POST before the server has stored its answer.
  await waitFor('the six to be recorded', async () => ((await api('GET', `/${encodeURIComponent(arn)}`, server.token)).json.deliveries as { PENDING: number }).PENDING === 0, 20_000);
  const shown = await api('GET', `/${encodeURIComponent(arn)}`, server.token);
  assert.deepEqual(shown.json.deliveries, { PENDING: 0, DELIVERED: 6, DEAD: 0 });
  assert.ok(!JSON.stringify(shown.json).includes(SECRET), 'the secret is never shown');
});

test('a receiver that refuses connections is tried maxAttempts times, then the delivery is dead-lettered and shown', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const created = await api('POST', '', server.token, rule('refused', `http://127.0.0.1:${port}/nobody`, { EventTypeIds: ['codebuild-project-build-state-stopped'] }));
  const arn = String(created.json.Arn);
  await startAndStop(1);
  await waitFor('the delivery to be dead-lettered', async () => ((await api('GET', `/${encodeURIComponent(arn)}`, server.token)).json.deliveries as { DEAD: number }).DEAD === 1, 20_000);
  const shown = (await api('GET', `/${encodeURIComponent('refused')}`, server.token)).json;
  const [dead] = shown.deadLetters as { attempts: number; lastError: string }[];
  assert.equal(dead?.attempts, 4);
  assert.match(dead?.lastError ?? '', /could not reach the receiver/);
});

test('a Slack target gets a readable message with a link; ListEventTypes filters by service', async () => {
  const created = await api('POST', '', server.token, { ...rule('chat', `${receiverUrl}/slack`, { EventTypeIds: ['codebuild-project-build-state-stopped'] }), Targets: [{ TargetType: 'Slack', TargetAddress: `${receiverUrl}/slack` }] });
  assert.equal(created.status, 201);
  const [id] = await startAndStop(1);
  await waitFor('the Slack message', () => received.some((r) => r.path === '/slack'), 20_000);
  const message = JSON.parse(received.find((r) => r.path === '/slack')?.body ?? '{}') as { text: string };
  assert.match(message.text, new RegExp(`Build ${id} of project notified: STOPPED <http://127\\.0\\.0\\.1:\\d+/builds/`));
  const types = (await api('GET', '/event-types?serviceName=CodeCommit', server.token)).json.EventTypes as { EventTypeId: string }[];
  assert.deepEqual(types.map((t) => t.EventTypeId), ['codecommit-repository-branches-and-tags-created', 'codecommit-repository-branches-and-tags-deleted', 'codecommit-repository-branches-and-tags-updated']);
});
