/**
 * EventBridge rules at `POST /` (`AWSEvents.<Operation>`, SigV4): a pattern rule starts a pipeline
 * when another succeeds, a rate() schedule starts a build, and bad input is refused as EventBridge
 * refuses it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stageStates } from '../../src/core/pipeline-execution.js';
import { waitFor } from '../agent/agent-harness.js';
import { pipelineFixture } from '../server/pipeline-fixture.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { signer } from './auth/sdk-signer.js';

let server: TestServer;
let offset = 0;

before(async () => {
  server = await startTestServer({ clock: () => Date.now() + offset });
});
after(async () => {
  await server.stop();
});

async function events(operation: string, input: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(server.url);
  const body = JSON.stringify(input);
  const request = {
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    query: {},
    headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSEvents.${operation}`, 'content-length': String(Buffer.byteLength(body)) },
    body,
  };
  const signed = await signer({ service: 'events', accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }).sign(request, { signingDate: new Date(Date.now() + offset) });
  const response = await fetch(server.url, { method: 'POST', headers: signed.headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('a rule on "pipeline upstream SUCCEEDED" starts pipeline downstream, triggered as a CloudWatchEvent', async () => {
  const upstream = await pipelineFixture(server, 'upstream', ['Approval']);
  await pipelineFixture(server, 'downstream', ['Approval']);
  const pattern = { source: ['aws.codepipeline'], 'detail-type': ['CodePipeline Pipeline Execution State Change'], detail: { pipeline: ['upstream'], state: ['SUCCEEDED'] } };
  const put = await events('PutRule', { Name: 'after-upstream', EventPattern: JSON.stringify(pattern) });
  assert.equal(put.status, 200);
  assert.equal(put.body.RuleArn, 'arn:aws:events:us-east-1:000000000000:rule/after-upstream');
  const targets = await events('PutTargets', { Rule: 'after-upstream', Targets: [{ Id: 'next', Arn: 'arn:aws:codepipeline:us-east-1:000000000000:downstream' }, { Id: 'bad', Arn: 'arn:aws:sqs:us-east-1:000000000000:queue' }] });
  assert.deepEqual([targets.body.FailedEntryCount, (targets.body.FailedEntries as { TargetId: string }[])[0]?.TargetId], [1, 'bad']);
  assert.deepEqual((await events('ListTargetsByRule', { Rule: 'after-upstream' })).body.Targets, [{ Id: 'next', Arn: 'arn:aws:codepipeline:us-east-1:000000000000:downstream' }]);
  await upstream.push('go');
  await waitFor('the approval to wait', async () => (await server.services.pipelines.runtime('upstream')).executions[0]?.actions.some((a) => a.stage === 'Approval' && a.status === 'InProgress') === true);
  const token = stageStates(await server.services.pipelines.runtime('upstream')).find((s) => s.stageName === 'Approval')?.actionStates[0]?.latestExecution?.token ?? '';
  assert.equal((await server.services.pipelines.listExecutions('downstream', 10)).items.length + (await server.services.pipelines.runtime('downstream')).executions.length, 0, 'nothing before upstream succeeds');
  await server.services.pipelines.dispatch('upstream', { type: 'APPROVAL_RESULT', stage: 'Approval', action: 'Approve', token, status: 'Approved', summary: 'ok', by: 'admin' });
  await waitFor('downstream to start', async () => (await server.services.pipelines.runtime('downstream')).executions.length > 0 || (await server.services.pipelines.listExecutions('downstream', 10)).items.length > 0, 30_000);
  const [execution] = [...(await server.services.pipelines.runtime('downstream')).executions, ...(await server.services.pipelines.listExecutions('downstream', 10)).items];
  assert.equal(execution?.trigger.type, 'EventRule');
  assert.match(execution?.trigger.detail ?? '', /rule after-upstream on CodePipeline Pipeline Execution State Change/);
  // The same event again (a pass repeated) starts nothing more.
  await server.intervalRunner.runNow('event-rules');
  const all = [...(await server.services.pipelines.runtime('downstream')).executions, ...(await server.services.pipelines.listExecutions('downstream', 10)).items];
  assert.equal(new Set(all.map((e) => e.pipelineExecutionId)).size, 1);
});

test('a rate(1 minute) schedule starts the target build once a minute has passed', async () => {
  await server.services.projects.create({ name: 'nightly', source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
  assert.equal((await events('PutRule', { Name: 'every-minute', ScheduleExpression: 'rate(1 minute)' })).status, 200);
  assert.equal((await events('PutTargets', { Rule: 'every-minute', Targets: [{ Id: 'build', Arn: 'arn:aws:codebuild:us-east-1:000000000000:project/nightly' }] })).body.FailedEntryCount, 0);
  await server.intervalRunner.runNow('event-rules');
  assert.equal((await server.services.builds.listForProject('nightly', { limit: 10 })).items.length, 0, 'not before its minute');
  offset += 61_000;
  await server.intervalRunner.runNow('event-rules');
  const ids = (await server.services.builds.listForProject('nightly', { limit: 10 })).items;
  assert.equal(ids.length, 1);
  const build = await server.services.builds.get(String(ids[0]));
  assert.equal((build.record as { job: { initiator: string } }).job.initiator, 'events/every-minute');
});

test('EventBridge refuses bad rules: a malformed pattern, a bad schedule, a cidr pattern named as unsupported, deleting a rule with targets', async () => {
  const malformed = await events('PutRule', { Name: 'bad', EventPattern: '{"source": "aws.codebuild"}' });
  assert.deepEqual([malformed.status, malformed.body.__type], [400, 'InvalidEventPatternException']);
  const schedule = await events('PutRule', { Name: 'bad', ScheduleExpression: 'rate(1 hours)' });
  assert.deepEqual([schedule.status, schedule.body.__type], [400, 'ValidationException']);
  const cidr = await events('PutRule', { Name: 'bad', EventPattern: JSON.stringify({ detail: { ip: [{ cidr: '10.0.0.0/24' }] } }) });
  assert.equal(cidr.status, 400);
  assert.match(String(cidr.body.message), /cidr operator is not supported yet/);
  const withTargets = await events('DeleteRule', { Name: 'after-upstream' });
  assert.deepEqual([withTargets.status, withTargets.body.__type], [400, 'ValidationException']);
  assert.equal((await events('ListRules', {})).body.Rules instanceof Array, true);
  assert.deepEqual(((await events('ListRules', { NamePrefix: 'every' })).body.Rules as { Name: string }[]).map((r) => r.Name), ['every-minute']);
});

test('a rule enabled after events passed (no pattern rule enabled then) fires only for events after it, not for those it missed', async () => {
  const buildspec = 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n';
  for (const name of ['watched', 'on-watched-target']) {
    await server.services.projects.create({ name, source: { type: 'NO_SOURCE', buildspec }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
  }
  assert.equal((await events('DisableRule', { Name: 'after-upstream' })).status, 200, 'no pattern rule is enabled now');
  const pattern = { source: ['aws.codebuild'], 'detail-type': ['CodeBuild Build State Change'], detail: { 'project-name': ['watched'], 'build-status': ['IN_PROGRESS'] } };
  assert.equal((await events('PutRule', { Name: 'on-watched', EventPattern: JSON.stringify(pattern), State: 'DISABLED' })).status, 200);
  assert.equal((await events('PutTargets', { Rule: 'on-watched', Targets: [{ Id: 'build', Arn: 'arn:aws:codebuild:us-east-1:000000000000:project/on-watched-target' }] })).body.FailedEntryCount, 0);
  const targetBuilds = async (): Promise<number> => (await server.services.builds.listForProject('on-watched-target', { limit: 10 })).items.length;

  await server.services.builds.startBuild({ projectName: 'watched', initiator: 'test' });
  await server.intervalRunner.runNow('event-rules');
  assert.equal((await events('EnableRule', { Name: 'on-watched' })).status, 200);
  await server.intervalRunner.runNow('event-rules');
  assert.equal(await targetBuilds(), 0, 'the build started while the rule was disabled starts nothing');

  await server.services.builds.startBuild({ projectName: 'watched', initiator: 'test' });
  await server.intervalRunner.runNow('event-rules');
  assert.equal(await targetBuilds(), 1, 'the build started after it was enabled starts the target once');
});
