/**
 * `--otlp-endpoint`: a push → its pipeline execution → two builds reach an OTLP receiver (a small
 * node:http server decoding OTLP/HTTP JSON) as spans of one trace with correct parent links:
 * push (root) → execution → action attempts → builds; a deployment hangs under the attempt that
 * started it, its instances under it and their lifecycle events under them. A refused export is sent again; with no endpoint nothing is registered.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { parsePipeline } from '../../../src/spec/pipeline.js';
import type { RunningAgent } from '../../../src/agent/agent.js';
import { agentFor, waitFor } from '../../agent/agent-harness.js';
import { authedUrl, commitFiles, gitOk, tempDir } from '../../git/git-client.js';
import { playAgents, pushRevision, registerHost, setUpGroup } from '../deployments/deployment-fixture.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

interface Attribute { key: string; value: { stringValue?: string; intValue?: string; boolValue?: boolean } }
interface Span { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; startTimeUnixNano: string; endTimeUnixNano: string; attributes: Attribute[]; status: { code: number } }
interface ExportRequest { resourceSpans: { resource: { attributes: Attribute[] }; scopeSpans: { scope: { name: string }; spans: Span[] }[] }[] }

const requests: ExportRequest[] = [];
const refused: ExportRequest[] = [];
/** Answers 503 to this many requests before taking them. */
let refuse = 1;
let receiver: Server;
let server: TestServer;
let agent: RunningAgent;

before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      assert.equal(req.method, 'POST');
      assert.equal(req.url, '/v1/traces');
      assert.equal(req.headers['content-type'], 'application/json');
      const decoded = JSON.parse(body) as ExportRequest;
      if (refuse > 0) {
        refuse -= 1;
        refused.push(decoded);
        res.statusCode = 503;
        res.end();
        return;
      }
      requests.push(decoded);
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  server = await startTestServer({ otlp: { endpoint: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, baseDelayMs: 20, maxDelayMs: 100, timeoutMs: 5000 } });
  agent = await agentFor(server);
});

after(async () => {
  await agent.stop();
  await server.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

const spansOf = (list: readonly ExportRequest[]): Span[] => list.flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)));
const attribute = (span: Span, key: string): string | undefined => span.attributes.find((a) => a.key === key)?.value.stringValue;

function received(): Map<string, Span> {
  return new Map(spansOf(requests).map((s) => [s.spanId, s]));
}

const buildAction = (name: string) => ({ name, actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' }, configuration: { ProjectName: `otlp-${name.toLowerCase()}` }, inputArtifacts: [{ name: 'SourceArtifact' }] });

test('one push → execution → two builds are exported as OTLP/JSON spans of one trace with correct parent links', async () => {
  await server.services.repositories.create({ repositoryName: 'otlp' });
  for (const project of ['otlp-unit', 'otlp-lint']) {
    await server.services.projects.create({ name: project, source: { type: 'CODEPIPELINE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo built\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
  }
  await server.services.pipelines.apply(parsePipeline(JSON.stringify({
    name: 'otlp',
    stages: [
      { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: 'otlp', BranchName: 'main' }, outputArtifacts: [{ name: 'SourceArtifact' }] }] },
      { name: 'Build', actions: [buildAction('Unit'), buildAction('Lint')] },
    ],
  }), 'pipeline.json'));
  const work = await tempDir('otlp');
  await gitOk(work, ['init', '--quiet', '--initial-branch', 'main']);
  await commitFiles(work, { 'README.md': 'hi\n' }, 'first');
  await gitOk(work, ['push', '--quiet', authedUrl(server.url, 'otlp', server.token), 'main']);

  await waitFor('the execution span to be exported', () => [...received().values()].some((s) => s.name === 'pipeline otlp'), 60_000);
  const spans = [...received().values()];
  const [execution] = (await server.services.pipelines.listExecutions('otlp', 1)).items;
  assert.equal(execution?.status, 'Succeeded');

  const push = spans.find((s) => s.name.startsWith('push otlp'));
  const pipeline = spans.find((s) => s.name === 'pipeline otlp');
  assert.ok(push && pipeline, spans.map((s) => s.name).join(', '));
  const traceId = push.traceId;
  assert.match(traceId, /^[0-9a-f]{32}$/);
  const pushEvent = (await server.services.context.store.events.after(0, 1000, { detailTypes: ['CodeCommit Repository State Change'] })).at(-1);
  assert.equal(pushEvent?.traceId, traceId, 'the push span is in the trace of the push\'s CodeCommit event');
  assert.equal(push.parentSpanId, undefined, 'the push is the root');
  assert.equal(pipeline.parentSpanId, push.spanId, 'the execution hangs under the push');

  const actions = new Map(['Source', 'Unit', 'Lint'].map((name) => [name, spans.find((s) => s.name === `action ${name === 'Source' ? 'Source' : 'Build'}/${name}`)]));
  for (const [name, action] of actions) {
    assert.ok(action, `the span of action ${name}`);
    assert.equal(action.parentSpanId, pipeline.spanId, `action ${name} hangs under the execution`);
  }
  for (const [project, action] of [['otlp-unit', 'Unit'], ['otlp-lint', 'Lint']] as const) {
    const build = spans.find((s) => s.name === `build ${project}`);
    assert.ok(build, `the span of the build of ${project}`);
    assert.equal(build.parentSpanId, actions.get(action)?.spanId, `the build of ${project} hangs under action ${action}`);
    const stored = await server.services.builds.get(attribute(build, 'nagare.build_id') ?? '');
    assert.equal(build.spanId, stored.record.job.traceParent?.split('-')[2], 'the span the build saw as TRACEPARENT');
  }
  for (const span of [push, pipeline, ...actions.values()].filter((s) => s !== undefined)) {
    assert.equal(span.traceId, traceId, `${span.name} is in the push's trace`);
    assert.match(span.spanId, /^[0-9a-f]{16}$/);
    assert.match(span.startTimeUnixNano, /^\d+$/);
    assert.ok(BigInt(span.endTimeUnixNano) >= BigInt(span.startTimeUnixNano), `${span.name} ends after it starts`);
    assert.deepEqual(span.status, { code: 1 }, `${span.name} is OK`);
  }
  assert.ok(spans.filter((s) => s.name.startsWith('build ')).every((s) => s.traceId === traceId));
  const [first] = requests;
  assert.deepEqual(first?.resourceSpans[0]?.resource.attributes, [{ key: 'service.name', value: { stringValue: 'nagare' } }]);
  assert.equal(first?.resourceSpans[0]?.scopeSpans[0]?.scope.name, 'nagare');

  // The first POST was refused with a 503: its spans came again on a later one.
  assert.equal(refused.length, 1);
  for (const span of spansOf(refused)) assert.ok(received().has(span.spanId), `${span.name} was sent again after the 503`);
  assert.ok(!JSON.stringify(requests).includes(server.token), 'no credential in any span');
});

test('a deployment started under an action attempt is exported as a span under that attempt\'s span, in its trace', async () => {
  await registerHost(server, 'web-1', { env: 'prod' });
  await setUpGroup(server, 'shop');
  const parentTrace = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
  const created = await server.services.deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: await pushRevision(server, 'shop/v1.zip'), parentTrace });
  await playAgents(server, created.deploymentId, ['agent-web-1'], { 'web-1': 'ValidateService' });
  await waitFor('the deployment span to be exported', () => [...received().values()].some((s) => s.name === 'deployment shop/prod'));
  const span = [...received().values()].find((s) => s.name === 'deployment shop/prod');
  assert.ok(span);
  assert.deepEqual([span.traceId, span.parentSpanId, attribute(span, 'nagare.deployment_id'), attribute(span, 'nagare.status')], [parentTrace.traceId, parentTrace.spanId, created.deploymentId, 'Failed']);
  assert.equal(span.status.code, 2, 'a failed deployment is STATUS_CODE_ERROR');

  // Its instance hangs under it, and the instance's lifecycle events under the instance.
  await waitFor('the instance spans to be exported', () => [...received().values()].some((s) => s.name === 'instance web-1' && s.traceId === parentTrace.traceId));
  const spans = [...received().values()].filter((s) => s.traceId === parentTrace.traceId);
  const instance = spans.find((s) => s.name === 'instance web-1');
  assert.ok(instance);
  assert.deepEqual([instance.parentSpanId, attribute(instance, 'nagare.instance'), attribute(instance, 'nagare.status'), instance.status.code], [span.spanId, 'web-1', 'Failed', 2]);
  const events = spans.filter((s) => s.parentSpanId === instance.spanId);
  assert.deepEqual(events.map((s) => s.name), ['ApplicationStop', 'DownloadBundle', 'BeforeInstall', 'Install', 'AfterInstall', 'ApplicationStart', 'ValidateService'], 'one span per lifecycle event, in order');
  for (const event of events) {
    assert.equal(attribute(event, 'nagare.lifecycle_event'), event.name);
    assert.ok(BigInt(event.endTimeUnixNano) >= BigInt(event.startTimeUnixNano));
  }
  const failed = events.find((s) => s.name === 'ValidateService');
  assert.deepEqual([failed?.status.code, attribute(failed ?? span, 'nagare.error_code'), attribute(failed ?? span, 'nagare.script')], [2, 'ScriptFailed', 'scripts/check.sh']);
  assert.ok(events.filter((s) => s !== failed).every((s) => s.status.code === 1), 'the events before it succeeded');
  assert.ok(!JSON.stringify(requests).includes('health check failed'), 'a hook\'s output (its log tail) is never in a span');
});

test('with no --otlp-endpoint nothing exports spans (the component is not registered)', async () => {
  assert.ok(server.intervalRunner.names().includes('otlp-export'));
  const plain = await startTestServer();
  try {
    assert.ok(!plain.intervalRunner.names().includes('otlp-export'));
  } finally {
    await plain.stop();
  }
});
