/**
 * `--approval-webhook-url` is one notification rule (`approval-webhook`) for
 * `codepipeline-pipeline-manual-approval-needed` on every pipeline, delivered through the outbox:
 * signed with HMAC-SHA256 of the body in both signature headers, retried after a refusal with the
 * same delivery id, made once however often the server starts, and disabled when the flag goes.
 * Pipeline artifacts are stored under `<pipeline>/<artifact>/<random 7 chars>` (decision 17).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { AwsEvent } from '../../src/core/aws-event.js';
import { parsePipeline } from '../../src/spec/pipeline.js';
import { waitFor } from '../agent/agent-harness.js';
import { authedUrl, commitFiles, gitOk, tempDir } from '../git/git-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const SECRET = 'chat-hook-secret';
interface Delivery { readonly body: string; readonly signature: string | undefined; readonly signature256: string | undefined; readonly deliveryId: string | undefined }
const deliveries: Delivery[] = [];
const refusals: Delivery[] = [];
/** The receiver answers 503 this many times before it takes deliveries. */
let refuse = 1;
let hook: Server;
let hookUrl: string;
let server: TestServer;
const outbox = { maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 100, timeoutMs: 2000, intervalMs: 100 };

before(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const delivery = { body, signature: req.headers['x-nagare-signature'] as string | undefined, signature256: req.headers['x-nagare-signature-256'] as string | undefined, deliveryId: req.headers['x-nagare-delivery'] as string | undefined };
      if (refuse > 0) {
        refuse -= 1;
        refusals.push(delivery);
        res.statusCode = 503;
        res.end('busy');
        return;
      }
      deliveries.push(delivery);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  server = await startTestServer({ approvalWebhookUrl: hookUrl, approvalWebhookSecret: SECRET, notificationOutbox: outbox });
});

after(async () => {
  await server.stop();
  await new Promise((resolve) => hook.close(resolve));
});

const PIPELINE = JSON.stringify({
  name: 'announced',
  stages: [
    { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: 'announced', BranchName: 'main' }, outputArtifacts: [{ name: 'SourceArtifact' }] }] },
    { name: 'Approval', actions: [{ name: 'Release', actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' }, configuration: { CustomData: 'Ship it?', ExternalEntityLink: 'https://example.com/review' } }] },
  ],
});

test('--approval-webhook-url makes one notification rule for manual-approval-needed on every pipeline', async () => {
  const rules = (await server.services.notifications.list()).filter((r) => r.name === 'approval-webhook');
  assert.equal(rules.length, 1);
  const [rule] = rules;
  assert.ok(rule);
  assert.deepEqual([rule.resource, rule.eventTypeIds, rule.status, rule.targets.map((t) => [t.targetType, t.targetAddress, t.secret.kind])], ['arn:aws:codepipeline:us-east-1:000000000000:*', ['codepipeline-pipeline-manual-approval-needed'], 'ENABLED', [['Webhook', hookUrl, 'value']]]);
  assert.ok(!server.logs().includes(SECRET), 'the secret is never logged');
});

test('a waiting approval is delivered through the outbox, retried after a 503 with the same delivery id, signed in X-Nagare-Signature and X-Nagare-Signature-256', async () => {
  await server.services.repositories.create({ repositoryName: 'announced' });
  await server.services.pipelines.apply(parsePipeline(PIPELINE, 'pipeline.json'));
  const work = await tempDir('announced');
  await gitOk(work, ['init', '--quiet', '--initial-branch', 'main']);
  await commitFiles(work, { 'README.md': 'hi\n' }, 'first');
  await gitOk(work, ['push', '--quiet', authedUrl(server.url, 'announced', server.token), 'main']);
  await waitFor('the approval to be delivered', () => deliveries.length >= 1);
  assert.equal(refusals.length, 1, 'the first try was refused');
  const [delivery] = deliveries;
  assert.ok(delivery);
  assert.equal(delivery.deliveryId, refusals[0]?.deliveryId, 'the retry carries the same delivery id');
  const signature = `sha256=${createHmac('sha256', SECRET).update(delivery.body).digest('hex')}`;
  assert.equal(delivery.signature, signature);
  assert.equal(delivery.signature256, signature, 'the former approval webhook header still verifies');
  const event = JSON.parse(delivery.body) as AwsEvent;
  assert.equal(event['detail-type'], 'CodePipeline Action Execution State Change');
  assert.deepEqual([event.detail.pipeline, event.detail.stage, event.detail.action, event.detail.state, (event.detail.type as { category: string }).category], ['announced', 'Approval', 'Release', 'STARTED', 'Approval']);
  const rule = (await server.services.notifications.list()).find((r) => r.name === 'approval-webhook');
  assert.ok(rule);
  // The receiver has the POST before the server has stored its answer (with the round's other outcomes).
  await waitFor('the delivery to be recorded', async () => (await server.services.notifications.status(rule.arn)).counts.DELIVERED > 0);
  const status = await server.services.notifications.status(rule.arn);
  assert.deepEqual([status.counts.DELIVERED, status.counts.PENDING], [1, 0], 'one approval, one delivery');
  const runtime = await server.services.pipelines.runtime('announced');
  assert.match(runtime.executions[0]?.artifacts.SourceArtifact ?? '', /^artifact-store\/announced\/SourceArtifact\/[A-Za-z0-9]{7}$/);
});

test('a restart keeps the one rule (updated, not doubled); a restart without the flag disables it', async () => {
  await server.stop();
  server = await startTestServer({ dataDir: server.dataDir, approvalWebhookUrl: `${hookUrl}2`, approvalWebhookSecret: SECRET, notificationOutbox: outbox });
  let rules = (await server.services.notifications.list()).filter((r) => r.name === 'approval-webhook');
  assert.deepEqual(rules.map((r) => [r.status, r.targets[0]?.targetAddress]), [['ENABLED', `${hookUrl}2`]]);
  await server.stop();
  server = await startTestServer({ dataDir: server.dataDir, notificationOutbox: outbox });
  rules = (await server.services.notifications.list()).filter((r) => r.name === 'approval-webhook');
  assert.deepEqual(rules.map((r) => r.status), ['DISABLED']);
});
