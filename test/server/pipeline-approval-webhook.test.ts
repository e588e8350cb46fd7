/**
 * A waiting manual approval is announced to the approval webhook, signed with HMAC-SHA256 of the
 * body, so a team can be told in chat; and pipeline artifacts are stored under
 * `<pipeline>/<artifact>/<random 7 chars>` in the artifact store (decision 17).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { stageStates } from '../../src/core/pipeline-execution.js';
import { parsePipeline } from '../../src/spec/pipeline.js';
import { waitFor } from '../agent/agent-harness.js';
import { authedUrl, commitFiles, gitOk, tempDir } from '../git/git-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const SECRET = 'chat-hook-secret';
const deliveries: { body: string; signature: string | undefined }[] = [];
let hook: Server;
let server: TestServer;

before(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      deliveries.push({ body, signature: req.headers['x-nagare-signature-256'] as string | undefined });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  server = await startTestServer({ approvalWebhookUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`, approvalWebhookSecret: SECRET });
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

test('a waiting approval is delivered to the webhook with a valid HMAC-SHA256 signature, and artifacts are keyed <pipeline>/<artifact>/<7 chars>', async () => {
  await server.services.repositories.create({ repositoryName: 'announced' });
  await server.services.pipelines.apply(parsePipeline(PIPELINE, 'pipeline.json'));
  const work = await tempDir('announced');
  await gitOk(work, ['init', '--quiet', '--initial-branch', 'main']);
  await commitFiles(work, { 'README.md': 'hi\n' }, 'first');
  await gitOk(work, ['push', '--quiet', authedUrl(server.url, 'announced', server.token), 'main']);
  await waitFor('the approval to be announced', () => deliveries.length >= 1);
  // Reconciliation runs every 200 ms here and re-derives the approval: it is still announced once.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.equal(deliveries.length, 1, 'announced once');
  const [delivery] = deliveries;
  assert.ok(delivery);
  assert.equal(delivery.signature, `sha256=${createHmac('sha256', SECRET).update(delivery.body).digest('hex')}`);
  const body = JSON.parse(delivery.body) as { approval: { pipelineName: string; stageName: string; actionName: string; token: string; customData: string; externalEntityLink: string; expires: string } };
  const runtime = (await server.services.pipelines.runtime('announced'));
  const token = stageStates(runtime).find((s) => s.stageName === 'Approval')?.actionStates[0]?.latestExecution?.token;
  assert.deepEqual([body.approval.pipelineName, body.approval.stageName, body.approval.actionName, body.approval.customData, body.approval.externalEntityLink], ['announced', 'Approval', 'Release', 'Ship it?', 'https://example.com/review']);
  assert.equal(body.approval.token, token);
  assert.ok(Date.parse(body.approval.expires) - Date.now() > 6.9 * 24 * 3600_000, 'expires in 7 days by default');
  assert.match(runtime.executions[0]?.artifacts.SourceArtifact ?? '', /^artifact-store\/announced\/SourceArtifact\/[A-Za-z0-9]{7}$/);
});
