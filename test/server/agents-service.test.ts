/**
 * Agent protocol rules on the server side, through the services of a real server on SQLite.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { isNagareError } from '../../src/core/errors.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
// Each test gets a server of its own, so one test's expiring leases never reach another's builds.
beforeEach(async () => {
  server = await startTestServer({ leaseMs: 300, schedulerIntervalMs: 60_000 });
});
afterEach(async () => {
  await server.stop();
});

async function queuedBuild(project: string): Promise<string> {
  await server.services.projects.create({ name: project, source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo]\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
  return (await server.services.builds.startBuild({ projectName: project, initiator: 'test' })).id;
}

async function agent(name: string): Promise<string> {
  return (await server.services.auth.registerAgent(server.token, name, {})).agentId;
}

const completion = { buildStatus: 'SUCCEEDED' as const, phases: [], exportedEnvironmentVariables: [], reports: [], resolvedSourceVersion: undefined };

test('a repeated complete from the agent that finished the build is accepted', async () => {
  const id = await queuedBuild('repeat-complete');
  const agentId = await agent('a');
  assert.equal((await server.services.agents.lease(agentId, 0))?.job.id, id);
  await server.services.agents.complete(agentId, id, completion);
  const again = await server.services.agents.complete(agentId, id, completion);
  assert.equal(again.buildStatus, 'SUCCEEDED');
});

test('a complete from an agent that does not hold the build is refused and changes nothing', async () => {
  const id = await queuedBuild('foreign-complete');
  const holder = await agent('holder');
  const other = await agent('other');
  await server.services.agents.lease(holder, 0);
  await assert.rejects(server.services.agents.complete(other, id, completion), (e: unknown) => isNagareError(e) && e.code === 'AGENT_LEASE_EXPIRED');
  assert.equal((await server.services.builds.get(id)).currentPhase, 'PROVISIONING');
});

test('a log chunk out of order is refused with the sequence to resend, and a repeated one is ignored', async () => {
  const id = await queuedBuild('log-order');
  const agentId = await agent('logger');
  await server.services.agents.lease(agentId, 0);
  assert.equal(await server.services.agents.appendLog(agentId, id, 0, Buffer.from('one\n')), 'appended');
  assert.equal(await server.services.agents.appendLog(agentId, id, 0, Buffer.from('one\n')), 'duplicate');
  await assert.rejects(server.services.agents.appendLog(agentId, id, 2, Buffer.from('three\n')), (e: unknown) => isNagareError(e) && e.code === 'AGENT_LOG_GAP' && e.details.expected === 1);
  assert.equal((await server.services.builds.get(id)).logBytes, 4);
});

test('a build whose agent is lost before any command ran goes back to the queue with its log started over', async () => {
  const id = await queuedBuild('requeue-log');
  const lost = await agent('lost');
  await server.services.agents.lease(lost, 0);
  await server.services.agents.appendLog(lost, id, 0, Buffer.from('provisioning\n'));
  await new Promise((resolve) => setTimeout(resolve, 400));
  await server.scheduler.sweep();
  const requeued = await server.services.builds.get(id);
  assert.equal(requeued.currentPhase, 'QUEUED');
  assert.equal(requeued.logNextSequence, 0);
  const next = await agent('next');
  assert.equal((await server.services.agents.lease(next, 0))?.job.id, id);
  assert.equal(await server.services.agents.appendLog(next, id, 0, Buffer.from('fresh start\n')), 'appended');
});

test('a build whose agent is lost after a command ran ends FAULT naming the agent', async () => {
  const id = await queuedBuild('lost-started');
  const lost = await agent('crashed');
  await server.services.agents.lease(lost, 0);
  await server.services.agents.heartbeat(lost, id, { started: true });
  await new Promise((resolve) => setTimeout(resolve, 400));
  await server.scheduler.sweep();
  const build = await server.services.builds.get(id);
  assert.equal(build.buildStatus, 'FAULT');
  assert.equal(build.currentPhase, 'COMPLETED');
  assert.match(JSON.stringify(build.record), /AGENT_LOST/);
});

test('a log chunk over 1 MiB is refused with API_PAYLOAD_TOO_LARGE and nothing is stored', async () => {
  const id = await queuedBuild('big-chunk');
  const agentId = await agent('big');
  await server.services.agents.lease(agentId, 0);
  await assert.rejects(server.services.agents.appendLog(agentId, id, 0, Buffer.alloc(1024 * 1024 + 1, 'x')), (e: unknown) => isNagareError(e) && e.code === 'API_PAYLOAD_TOO_LARGE');
  assert.equal((await server.services.builds.get(id)).logNextSequence, 0);
});

test('jobs of a project at its concurrent build limit wait until a build of it ends', async () => {
  await server.services.projects.create({ name: 'limited', concurrentBuildLimit: 1, source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo]\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
  const first = (await server.services.builds.startBuild({ projectName: 'limited', initiator: 't' })).id;
  const second = (await server.services.builds.startBuild({ projectName: 'limited', initiator: 't' })).id;
  const a = await agent('limit-a');
  const b = await agent('limit-b');
  // Both were queued in the same millisecond or so: either may go first.
  const leased = (await server.services.agents.lease(a, 0))?.job.id ?? '';
  assert.ok([first, second].includes(leased));
  assert.equal(await server.services.agents.lease(b, 0), undefined, 'the other build waits');
  await server.services.agents.complete(a, leased, completion);
  assert.equal((await server.services.agents.lease(b, 0))?.job.id, leased === first ? second : first);
});

test('a pipeline action attempt started twice makes one build and one queued job', async () => {
  await server.services.projects.create({ name: 'once', source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo]\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
  const action = { pipelineName: 'p', executionId: 'e', stageName: 'Build', actionName: 'Build', attempt: 1 };
  const input = { projectName: 'once', initiator: 'codepipeline/p', buildUuid: '11111111-2222-5333-b444-555555555555', pipeline: { inputArtifacts: [], primarySource: undefined, action } };
  const first = await server.services.builds.startBuild(input);
  const second = await server.services.builds.startBuild(input);
  assert.equal(second.id, first.id);
  assert.equal(await server.services.context.store.jobs.depth(), 1);
});
