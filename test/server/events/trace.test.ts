/**
 * One trace id per pipeline execution: every build its actions start carries it in a W3C
 * traceparent, which reaches the build as TRACEPARENT and NAGARE_TRACE_ID (so tools inside the
 * build continue the trace) and the server's "build queued" log line.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
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

test('GET /api/v1/events?trace= gives one execution\'s timeline: its pipeline events and its builds\' events', async () => {
  const fixture = await pipelineFixture(server, 'timeline', ['Build']);
  await fixture.push('one');
  await waitFor('the action build to be queued', async () => (await server.services.builds.listForProject('timeline-build', { limit: 5 })).items.length > 0);
  const [execution] = (await server.services.pipelines.runtime('timeline')).executions;
  assert.ok(execution);
  const traceId = executionTraceId(execution.pipelineExecutionId);
  const response = await fetch(`${server.url}/api/v1/events?trace=${traceId}`, { headers: { authorization: `Bearer ${server.token}` } });
  const { events } = (await response.json()) as { events: { event: AwsEvent; traceId: string }[] };
  assert.ok(events.every((e) => e.traceId === traceId));
  const kinds = new Set(events.map((e) => e.event['detail-type']));
  assert.ok(kinds.has('CodePipeline Pipeline Execution State Change') && kinds.has('CodePipeline Action Execution State Change') && kinds.has('CodeBuild Build State Change'), [...kinds].join(', '));
  const build = events.find((e) => e.event['detail-type'] === 'CodeBuild Build State Change');
  assert.equal(build?.event.detail['project-name'], 'timeline-build');
  assert.equal((await fetch(`${server.url}/api/v1/events?trace=not-a-trace`, { headers: { authorization: `Bearer ${server.token}` } })).status, 400);
});
