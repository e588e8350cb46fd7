/**
 * Every change of state is stored as an AWS event (EventBridge's envelope, the documented `detail`
 * fields), in order, once, and served at /api/v1/events; secrets never appear in it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AwsEvent, StoredEvent } from '../../../src/core/aws-event.js';
import { stageStates } from '../../../src/core/pipeline-execution.js';
import { waitFor } from '../../agent/agent-harness.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { pipelineFixture } from '../pipeline-fixture.js';

let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.stop();
});

async function allEvents(): Promise<StoredEvent[]> {
  const response = await fetch(`${server.url}/api/v1/events?limit=1000`, { headers: { authorization: `Bearer ${server.token}` } });
  assert.equal(response.status, 200);
  return ((await response.json()) as { events: StoredEvent[] }).events;
}

function summary(event: AwsEvent): string {
  const d = event.detail;
  return [event['detail-type'].replace(/^Code\w+ /, ''), d.stage, d.action, d.state ?? d.event ?? d['build-status'] ?? d['completed-phase']].filter((x) => x !== undefined).map(String).join(' ');
}

test('a push and a manual approval emit CodeCommit and CodePipeline events in the EventBridge envelope, each change once and in order', async () => {
  const fixture = await pipelineFixture(server, 'evented', ['Approval']);
  const commit = await fixture.push('one');
  await waitFor('the approval to wait', async () => (await server.services.pipelines.runtime('evented')).executions[0]?.actions.some((a) => a.stage === 'Approval' && a.status === 'InProgress') === true);
  const runtime = await server.services.pipelines.runtime('evented');
  const token = stageStates(runtime).find((s) => s.stageName === 'Approval')?.actionStates[0]?.latestExecution?.token;
  assert.ok(token);
  await server.services.pipelines.dispatch('evented', { type: 'APPROVAL_RESULT', stage: 'Approval', action: 'Approve', token, status: 'Approved', summary: 'ok', by: 'admin' });
  await waitFor('the execution to succeed', async () => (await allEvents()).some((e) => e.event.detail.state === 'SUCCEEDED' && e.event['detail-type'] === 'CodePipeline Pipeline Execution State Change'));
  // Reconciliation runs every 200 ms: it must not repeat an event.
  await new Promise((resolve) => setTimeout(resolve, 800));

  const events = await allEvents();
  const sequences = events.map((e) => e.sequence);
  assert.deepEqual(sequences, [...sequences].sort((a, b) => a - b), 'in order of sequence');
  assert.deepEqual(events.map((e) => summary(e.event)), [
    'Repository State Change referenceCreated',
    'Pipeline Execution State Change STARTED',
    'Stage Execution State Change Source STARTED',
    'Action Execution State Change Source Source STARTED',
    'Action Execution State Change Source Source SUCCEEDED',
    'Stage Execution State Change Source SUCCEEDED',
    'Stage Execution State Change Approval STARTED',
    'Action Execution State Change Approval Approve STARTED',
    'Action Execution State Change Approval Approve SUCCEEDED',
    'Stage Execution State Change Approval SUCCEEDED',
    'Pipeline Execution State Change SUCCEEDED',
  ]);
  for (const { event } of events) {
    assert.equal(event.version, '0');
    assert.match(event.id, /^[0-9a-f-]{36}$/);
    assert.equal(event.account, '000000000000');
    assert.equal(event.region, 'us-east-1');
    assert.match(event.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'ISO-8601 to the second');
  }
  assert.equal(new Set(events.map((e) => e.event.id)).size, events.length, 'every event has its own id');
  const push = events[0]?.event;
  assert.deepEqual(push?.resources, ['arn:aws:codecommit:us-east-1:000000000000:evented']);
  assert.equal(push?.source, 'aws.codecommit');
  assert.deepEqual([push?.detail.repositoryName, push?.detail.referenceType, push?.detail.referenceName, push?.detail.referenceFullName, push?.detail.commitId], ['evented', 'branch', 'main', 'refs/heads/main', commit]);
  const execution = events[1]?.event;
  assert.equal(execution?.source, 'aws.codepipeline');
  assert.deepEqual(execution?.resources, ['arn:aws:codepipeline:us-east-1:000000000000:evented']);
  assert.equal(execution?.detail.pipeline, 'evented');
  assert.equal(execution?.detail['execution-id'], runtime.executions[0]?.pipelineExecutionId);
  assert.equal(execution?.detail.version, 1);
  const approval = events[7]?.event.detail;
  assert.deepEqual(approval?.type, { owner: 'AWS', category: 'Approval', provider: 'Manual', version: '1' });
  assert.deepEqual(events[4]?.event.detail['output-artifacts'], [{ name: 'SourceArtifact' }]);
});

test('a build stopped while queued emits IN_PROGRESS, the QUEUED phase change and STOPPED; a secret variable appears by name only', async () => {
  await server.services.parameters.put('secret', 'deploy/key', 'hunter2-the-real-secret');
  await server.services.projects.create({ name: 'evented-solo', source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n' }, environment: { image: 'shell', environmentVariables: [{ name: 'KEY', value: 'deploy/key', type: 'SECRETS_MANAGER' }] }, artifacts: { type: 'NO_ARTIFACTS' } });
  const last = (await allEvents()).at(-1)?.sequence ?? 0;
  const build = await server.services.builds.startBuild({ projectName: 'evented-solo', initiator: 'admin' });
  await server.services.builds.stopBuild(build.id);
  const events = (await allEvents()).filter((e) => e.sequence > last).map((e) => e.event);
  assert.deepEqual(events.map(summary), ['Build State Change IN_PROGRESS', 'Build Phase Change QUEUED', 'Build State Change STOPPED']);
  const arn = `arn:aws:codebuild:us-east-1:000000000000:build/${build.id}`;
  for (const event of events) {
    assert.equal(event.source, 'aws.codebuild');
    assert.deepEqual(event.resources, [arn]);
    assert.equal(event.detail['build-id'], arn, 'build-id is the full build ARN');
    assert.equal(event.detail['project-name'], 'evented-solo');
    assert.equal(event.detail.version, '1');
  }
  const stopped = events[2]?.detail;
  assert.equal(stopped?.['current-phase'], 'COMPLETED');
  assert.equal(typeof stopped?.['current-phase-context'], 'string', 'a JSON-encoded string, as AWS sends it');
  const info = stopped?.['additional-information'] as Record<string, unknown>;
  assert.equal(info['build-complete'], true);
  assert.match(String(info['build-start-time']), /^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d\d:\d\d [AP]M$/, 'CodeBuild time format');
  assert.equal(events[1]?.detail['completed-phase-status'], 'STOPPED');
  const text = JSON.stringify(await allEvents());
  assert.ok(!text.includes('hunter2-the-real-secret'), 'the secret value is never in an event');
  assert.ok(text.includes('deploy/key'), 'its name is, as in AWS');
});

test('GET /api/v1/events filters by detail-type, pages with nextAfter, and needs an API token', async () => {
  const headers = { authorization: `Bearer ${server.token}` };
  const type = encodeURIComponent('CodeBuild Build State Change');
  const page = (await (await fetch(`${server.url}/api/v1/events?type=${type}&limit=1`, { headers })).json()) as { events: StoredEvent[]; nextAfter: number };
  assert.equal(page.events.length, 1);
  assert.equal(page.events[0]?.event['detail-type'], 'CodeBuild Build State Change');
  const next = (await (await fetch(`${server.url}/api/v1/events?type=${type}&after=${page.nextAfter}`, { headers })).json()) as { events: StoredEvent[] };
  assert.ok(next.events.every((e) => e.sequence > page.nextAfter && e.event['detail-type'] === 'CodeBuild Build State Change'));
  assert.equal((await fetch(`${server.url}/api/v1/events`)).status, 401);
  assert.equal((await fetch(`${server.url}/api/v1/events?after=-1`, { headers })).status, 400);
});

test('GET /api/v1/events/stream?after=latest sends the next events as SSE with their sequence as id', async () => {
  const controller = new AbortController();
  const response = await fetch(`${server.url}/api/v1/events/stream?after=latest&type=${encodeURIComponent('CodeBuild Build State Change')}`, { headers: { authorization: `Bearer ${server.token}` }, signal: controller.signal });
  assert.equal(response.headers.get('content-type'), 'text/event-stream');
  const reader = (response.body as ReadableStream<Uint8Array> | null)?.getReader();
  assert.ok(reader);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const build = await server.services.builds.startBuild({ projectName: 'evented-solo', initiator: 'admin' });
  let text = '';
  const decoder = new TextDecoder();
  while (!text.includes('\n\n')) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  controller.abort();
  const block = text.slice(0, text.indexOf('\n\n'));
  assert.match(block, /^event: aws$/m);
  assert.match(block, /^id: \d+$/m);
  const event = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? '{}') as AwsEvent;
  assert.deepEqual([event['detail-type'], event.detail['build-status'], event.resources[0]], ['CodeBuild Build State Change', 'IN_PROGRESS', `arn:aws:codebuild:us-east-1:000000000000:build/${build.id}`]);
});
