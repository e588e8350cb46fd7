/**
 * `nagare events`, `nagare notification-rule` and `nagare rule` as a user runs them against a
 * server: JSON output, exit codes, and what `notification-rule show` and `test` say.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { runCliFromSources } from '../support/cli-server.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let receiver: Server;
let hookUrl: string;
let received = 0;

before(async () => {
  server = await startTestServer();
  receiver = createServer((req, res) => {
    req.resume();
    received += 1;
    res.end('ok');
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  await server.services.projects.create({ name: 'cli-events', source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
});
after(async () => {
  await server.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

const nagare = (...args: string[]) => runCliFromSources([...args, '--server', server.url, '--token', server.token]);

test('nagare events --json --type prints the stored events of that detail-type', async () => {
  const build = await server.services.builds.startBuild({ projectName: 'cli-events', initiator: 'admin' });
  await server.services.builds.stopBuild(build.id);
  const run = await nagare('events', '--json', '--type', 'CodeBuild Build State Change');
  assert.equal(run.status, 0, run.stderr);
  const page = JSON.parse(run.stdout) as { events: { event: { detail: Record<string, unknown> } }[] };
  assert.deepEqual(page.events.map((e) => e.event.detail['build-status']), ['IN_PROGRESS', 'STOPPED']);
  const lines = await nagare('events');
  assert.match(lines.stdout, /CodeBuild Build Phase Change\tcli-events QUEUED\tSTOPPED/);
});

test('nagare notification-rule create, show, test and delete', async () => {
  const create = await nagare('notification-rule', 'create', 'cli-hook', '--project', 'cli-events', '-e', 'codebuild-project-build-state-failed', '--webhook-url', hookUrl, '--secret', 'sixteen-characters-or-more');
  assert.equal(create.status, 0, create.stderr);
  assert.match(create.stdout, /arn:aws:codestar-notifications:us-east-1:000000000000:notificationrule\//);
  const show = await nagare('notification-rule', 'show', 'cli-hook');
  assert.match(show.stdout, /Webhook http:\/\/127\.0\.0\.1:\d+\/hook \(signed\)/);
  assert.match(show.stdout, /Deliveries: {2}0 delivered, 0 pending, 0 dead/);
  const sent = await nagare('notification-rule', 'test', 'cli-hook');
  assert.equal(sent.status, 0, sent.stderr);
  assert.equal(received, 1);
  const unsigned = await nagare('notification-rule', 'create', 'no-secret', '--project', 'cli-events', '-e', 'codebuild-project-build-state-failed', '--webhook-url', hookUrl);
  assert.equal(unsigned.status, 2);
  assert.match(unsigned.stderr, /--secret/);
  assert.equal((await nagare('notification-rule', 'delete', 'cli-hook')).status, 0);
  assert.equal((await nagare('notification-rule', 'show', 'cli-hook')).status, 2);
});

test('nagare rule put, list and delete', async () => {
  const put = await nagare('rule', 'put', 'nightly', '--schedule', 'cron(0 2 * * ? *)', '--start-build', 'cli-events');
  assert.equal(put.status, 0, put.stderr);
  const list = await nagare('rule', 'list');
  assert.match(list.stdout, /nightly\s+ENABLED\s+cron\(0 2 \* \* \? \*\)\s+project\/cli-events/);
  const bad = await nagare('rule', 'put', 'broken', '--schedule', 'rate(1 hours)');
  assert.equal(bad.status, 2);
  assert.equal((await nagare('rule', 'delete', 'nightly')).status, 0);
  assert.doesNotMatch((await nagare('rule', 'list')).stdout, /nightly/);
});
