/**
 * One trace id per pipeline execution: every build its actions start carries it in a W3C
 * traceparent, which reaches the build as TRACEPARENT and NAGARE_TRACE_ID (so tools inside the
 * build continue the trace) and the server's "build queued" log line.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { codebuildVariables, type BuildIdentity } from '../../../src/build/environment.js';
import type { AwsEvent } from '../../../src/core/aws-event.js';
import { buildJobSchema } from '../../../src/protocol/build-job.js';
import { executionTraceId } from '../../../src/server/events/trace.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { waitFor } from '../../agent/agent-harness.js';
import { pipelineFixture } from '../pipeline-fixture.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
  await server.services.projects.create({ name: 'traced', source: { type: 'CODEPIPELINE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo $TRACEPARENT\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
});
after(async () => {
  await server.stop();
});

const action = (executionId: string, actionName: string) => ({ pipelineName: 'p', executionId, stageName: 'Build', actionName, attempt: 1 });

test('the builds of one pipeline execution share its trace id, each with its own span; another execution has another trace', async () => {
  const start = (executionId: string, actionName: string) => server.services.builds.startBuild({ projectName: 'traced', initiator: 'codepipeline/p', pipeline: { inputArtifacts: [], primarySource: undefined, action: action(executionId, actionName) } });
  const [unit, lint, other] = await Promise.all([start('exec-1', 'Unit'), start('exec-1', 'Lint'), start('exec-2', 'Unit')]);
  const parent = (b: typeof unit): string => b.record.job.traceParent ?? '';
  for (const b of [unit, lint, other]) assert.match(parent(b), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.equal(parent(unit).split('-')[1], executionTraceId('exec-1'));
  assert.equal(parent(lint).split('-')[1], executionTraceId('exec-1'), 'one trace for the execution');
  assert.notEqual(parent(unit).split('-')[2], parent(lint).split('-')[2], 'a span per build');
  assert.notEqual(parent(other).split('-')[1], executionTraceId('exec-1'));
  assert.match(server.logs(), new RegExp(`"traceId":"${executionTraceId('exec-1')}"[^\\n]*"build queued"|"build queued"[^\\n]*"traceId":"${executionTraceId('exec-1')}"`));
  // The traceparent crosses the agent protocol and becomes the build's environment.
  const wire = buildJobSchema.parse(JSON.parse(JSON.stringify(unit.record.job)));
  assert.equal(wire.traceParent, parent(unit));
  const variables = codebuildVariables({ buildId: unit.id, buildNumber: 1, projectName: 'traced', region: 'us-east-1', accountId: '000000000000', initiator: 'x', image: 'shell', sourceDir: '/src', startTime: 0, sourceVersion: undefined, resolvedSourceVersion: undefined, sourceRepoUrl: undefined, secondarySources: {}, traceParent: wire.traceParent, buildUrl: undefined } satisfies BuildIdentity);
  assert.equal(variables.TRACEPARENT, parent(unit));
  assert.equal(variables.NAGARE_TRACE_ID, executionTraceId('exec-1'));
});

test('a build started on its own has a trace of its own', async () => {
  const build = await server.services.builds.startBuild({ projectName: 'traced', initiator: 'admin' });
  assert.match(build.record.job.traceParent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
});

test('a push starts a trace: its CodeCommit event, the execution it starts, the execution\'s builds and their log lines share one trace id (GET /api/v1/events?trace=)', async () => {
  const fixture = await pipelineFixture(server, 'timeline', ['Build']);
  await fixture.push('one');
  await waitFor('the action build to be queued', async () => (await server.services.builds.listForProject('timeline-build', { limit: 5 })).items.length > 0);
  const [execution] = (await server.services.pipelines.runtime('timeline')).executions;
  assert.ok(execution?.traceParent, 'the execution keeps the push\'s traceparent');
  const traceId = executionTraceId(execution.pipelineExecutionId, execution.traceParent);
  assert.notEqual(traceId, executionTraceId(execution.pipelineExecutionId), 'the push\'s trace, not one derived from the execution id');
  const response = await fetch(`${server.url}/api/v1/events?trace=${traceId}`, { headers: { authorization: `Bearer ${server.token}` } });
  const { events } = (await response.json()) as { events: { event: AwsEvent; traceId: string }[] };
  assert.ok(events.every((e) => e.traceId === traceId));
  const kinds = new Set(events.map((e) => e.event['detail-type']));
  for (const kind of ['CodeCommit Repository State Change', 'CodePipeline Pipeline Execution State Change', 'CodePipeline Action Execution State Change', 'CodeBuild Build State Change']) assert.ok(kinds.has(kind), `${kind} in ${[...kinds].join(', ')}`);
  assert.equal(events[0]?.event['detail-type'], 'CodeCommit Repository State Change', 'the push comes first');
  const build = events.find((e) => e.event['detail-type'] === 'CodeBuild Build State Change');
  assert.equal(build?.event.detail['project-name'], 'timeline-build');
  const logged = server.logs().split('\n').filter((l) => l.includes(traceId)).map((l) => (JSON.parse(l) as { msg: string }).msg);
  assert.ok(logged.includes('pipeline execution started') && logged.includes('build queued'), logged.join(', '));
  assert.equal((await fetch(`${server.url}/api/v1/events?trace=not-a-trace`, { headers: { authorization: `Bearer ${server.token}` } })).status, 400);
});

test('StartBuild and StartPipelineExecution honour the caller\'s traceparent header; an invalid one starts a trace of its own', async () => {
  const caller = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
  const post = (path: string, traceparent: string, body: unknown = {}) => fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json', traceparent }, body: JSON.stringify(body) });
  const started = await post('/api/v1/projects/traced/builds', `00-${caller.traceId}-${caller.spanId}-01`);
  assert.equal(started.status, 201);
  const { build } = (await started.json()) as { build: { id: string } };
  const job = (await server.services.builds.get(build.id)).record.job;
  assert.equal(job.traceParent?.split('-')[1], caller.traceId, 'the build joins the caller\'s trace');
  assert.equal(job.parentSpanId, caller.spanId, 'under the caller\'s span');
  const forged = await post('/api/v1/projects/traced/builds', `00-${'0'.repeat(32)}-${caller.spanId}-01`);
  const other = (await server.services.builds.get(((await forged.json()) as { build: { id: string } }).build.id)).record.job;
  assert.notEqual(other.traceParent?.split('-')[1], '0'.repeat(32), 'an all-zero trace id is invalid and ignored');
  assert.equal(other.parentSpanId, undefined);

  await pipelineFixture(server, 'apistarted', ['Build']);
  const execution = await post('/api/v1/pipelines/apistarted/executions', `00-${caller.traceId}-${caller.spanId}-01`);
  assert.equal(execution.status, 201);
  const { pipelineExecutionId } = (await execution.json()) as { pipelineExecutionId: string };
  const stored = await server.services.pipelines.execution('apistarted', pipelineExecutionId);
  assert.equal(stored?.traceParent, `00-${caller.traceId}-${caller.spanId}-01`);
  const events = await server.services.context.store.events.after(0, 1000, { traceId: caller.traceId });
  assert.ok(events.some((e) => e.event.detail['execution-id'] === pipelineExecutionId), 'the execution\'s events carry the caller\'s trace id');
});

test('the AWS StartBuild (SigV4, the official SDK) honours the request\'s traceparent header', async () => {
  const client = new CodeBuildClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey } });
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  client.middlewareStack.add((next) => (args) => {
    (args.request as { headers: Record<string, string> }).headers.traceparent = traceparent;
    return next(args);
  }, { step: 'build' });
  const { build } = await client.send(new StartBuildCommand({ projectName: 'traced' }));
  assert.ok(build?.id);
  const job = (await server.services.builds.get(build.id)).record.job;
  assert.equal(job.traceParent?.split('-')[1], '0af7651916cd43dd8448eb211c80319c');
  assert.equal(job.parentSpanId, 'b7ad6b7169203331');
});
