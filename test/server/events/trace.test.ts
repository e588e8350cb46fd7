/**
 * One trace id per pipeline execution: every build its actions start carries it in a W3C
 * traceparent, which reaches the build as TRACEPARENT and NAGARE_TRACE_ID (so tools inside the
 * build continue the trace), the server's log lines about it and the agent's lines about its job.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { codebuildVariables, type BuildIdentity } from '../../../src/build/environment.js';
import type { AwsEvent } from '../../../src/core/aws-event.js';
import { buildJobSchema } from '../../../src/protocol/build-job.js';
import { executionTraceId } from '../../../src/server/events/trace.js';
import { lineLogger } from '../../../src/agent/agent-logger.js';
import { parsePipeline } from '../../../src/spec/pipeline.js';
import { authedUrl, commitFiles, gitOk, tempDir } from '../../git/git-client.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { agentFor, waitFor } from '../../agent/agent-harness.js';
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

test('one push → execution → two builds → approval: the events, the server\'s log lines and the agent\'s lines about each job carry one trace id', async () => {
  await server.services.repositories.create({ repositoryName: 'journey' });
  const buildAction = (name: string) => ({ name, actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' }, configuration: { ProjectName: `journey-${name.toLowerCase()}` }, inputArtifacts: [{ name: 'SourceArtifact' }] });
  for (const project of ['journey-unit', 'journey-lint']) {
    await server.services.projects.create({ name: project, source: { type: 'CODEPIPELINE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo built\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
  }
  await server.services.pipelines.apply(parsePipeline(JSON.stringify({
    name: 'journey',
    stages: [
      { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: 'journey', BranchName: 'main' }, outputArtifacts: [{ name: 'SourceArtifact' }] }] },
      { name: 'Build', actions: [buildAction('Unit'), buildAction('Lint')] },
      { name: 'Approval', actions: [{ name: 'Approve', actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' } }] },
    ],
  }), 'pipeline.json'));
  const agentLines: string[] = [];
  const agent = await agentFor(server, { logger: lineLogger((line) => agentLines.push(line)) });
  try {
    const work = await tempDir('journey');
    await gitOk(work, ['init', '--quiet', '--initial-branch', 'main']);
    await commitFiles(work, { 'README.md': 'hi\n' }, 'first');
    await gitOk(work, ['push', '--quiet', authedUrl(server.url, 'journey', server.token), 'main']);
    await waitFor('the approval to wait', async () => (await server.services.pipelines.runtime('journey')).executions[0]?.stages.Approval?.status === 'InProgress', 60_000);
    const [execution] = (await server.services.pipelines.runtime('journey')).executions;
    assert.ok(execution);
    const traceId = executionTraceId(execution.pipelineExecutionId, execution.traceParent);
    const builds = (await Promise.all(['journey-unit', 'journey-lint'].map(async (project) => (await server.services.builds.listForProject(project, { limit: 5 })).items))).flat();
    assert.equal(builds.length, 2);

    const events = await server.services.context.store.events.after(0, 10_000, { traceId });
    const kinds = new Set(events.map((e) => e.event['detail-type']));
    for (const kind of ['CodeCommit Repository State Change', 'CodePipeline Pipeline Execution State Change', 'CodePipeline Action Execution State Change', 'CodeBuild Build State Change', 'CodeBuild Build Phase Change']) assert.ok(kinds.has(kind), `${kind} in the trace's events`);
    assert.ok(events.some((e) => e.event.detail.state === 'STARTED' && (e.event.detail.type as { category?: string } | undefined)?.category === 'Approval'), 'the approval\'s STARTED event is in the trace');

    const serverLines = server.logs().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { msg: string; traceId?: string; traceIds?: string[]; buildId?: string; executionId?: string });
    const aboutThis = (l: (typeof serverLines)[number]): boolean => builds.some((b) => l.buildId === b) || l.executionId === execution.pipelineExecutionId;
    for (const line of serverLines.filter(aboutThis)) assert.equal(line.traceId, traceId, `the server's line "${line.msg}" carries the trace id`);
    const traced = serverLines.filter((l) => l.traceId === traceId || l.traceIds?.includes(traceId)).map((l) => l.msg);
    for (const msg of ['push received', 'pipeline execution started', 'build queued', 'build leased', 'build completed', 'manual approval waiting']) assert.ok(traced.includes(msg), `"${msg}" in ${traced.join(', ')}`);

    // The agent says a build ended after the server took its result, which may come after the approval waits.
    await waitFor('the agent to log both results', () => builds.every((b) => agentLines.some((l) => l.includes(b) && l.includes(' SUCCEEDED'))));
    for (const buildId of builds) {
      const lines = agentLines.filter((l) => l.includes(buildId));
      assert.ok(lines.some((l) => l.includes(' leased ')) && lines.some((l) => l.includes(' SUCCEEDED')), `the agent's lines about ${buildId}: ${lines.join('')}`);
      for (const line of lines) assert.ok(line.includes(`traceId=${traceId}`) && line.includes(`buildId=${buildId}`), `the agent's line carries the build and its trace: ${line}`);
    }
  } finally {
    await agent.stop();
  }
});
