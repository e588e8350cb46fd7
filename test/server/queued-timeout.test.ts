/** A build that waits in the queue past its project's queued timeout ends TIMED_OUT (reference §1.12). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestServer } from '../support/test-server.js';

test('a build queued longer than queuedTimeoutInMinutes ends TIMED_OUT in QUEUED and is never leased', async () => {
  let offset = 0;
  const server = await startTestServer({ clock: () => Date.now() + offset, schedulerIntervalMs: 60_000 });
  try {
    await server.services.projects.create({ name: 'waits', queuedTimeoutInMinutes: 5, source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo]\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
    const id = (await server.services.builds.startBuild({ projectName: 'waits', initiator: 't' })).id;
    offset = 4 * 60_000;
    await server.scheduler.sweep();
    assert.equal((await server.services.builds.get(id)).currentPhase, 'QUEUED', 'four minutes is within the timeout');
    offset = 6 * 60_000;
    await server.scheduler.sweep();
    const build = await server.services.builds.get(id);
    assert.equal(build.buildStatus, 'TIMED_OUT');
    assert.equal(build.currentPhase, 'COMPLETED');
    const { agentId } = await server.services.auth.registerAgent(server.token, 'late', {});
    assert.equal(await server.services.agents.lease(agentId, 0), undefined);
  } finally {
    await server.stop();
  }
});

test('a build for a fleet no agent serves says why while QUEUED, and still ends TIMED_OUT at its queued timeout', async () => {
  let offset = 0;
  const server = await startTestServer({ clock: () => Date.now() + offset, schedulerIntervalMs: 60_000 });
  try {
    const fleet = await server.services.fleets.create({ name: 'empty-fleet', baseCapacity: 1, environmentType: 'LINUX_CONTAINER', computeType: 'BUILD_GENERAL1_SMALL' });
    await server.services.projects.create({ name: 'fleet-waits', queuedTimeoutInMinutes: 5, source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo]\n' }, environment: { image: 'shell', fleet: { fleetArn: fleet.arn } }, artifacts: { type: 'NO_ARTIFACTS' } });
    // An agent outside the fleet is connected, and cannot take it.
    await server.services.auth.registerAgent(server.token, 'outside', {});
    const id = (await server.services.builds.startBuild({ projectName: 'fleet-waits', initiator: 't' })).id;
    const waiting = await server.services.builds.get(id);
    const queued = waiting.record.phases.find((p) => p.phaseType === 'QUEUED');
    assert.equal(queued?.contexts[0]?.statusCode, 'NO_MATCHING_AGENT');
    assert.match(queued?.contexts[0]?.message ?? '', /^No agent in fleet empty-fleet that runs build jobs is connected/);
    offset = 6 * 60_000;
    await server.scheduler.sweep();
    const build = await server.services.builds.get(id);
    assert.equal(build.buildStatus, 'TIMED_OUT');
    const ended = build.record.phases.find((p) => p.phaseType === 'QUEUED');
    assert.ok(!ended?.contexts.some((c) => c.statusCode === 'NO_MATCHING_AGENT'), 'an ended build is not explained as waiting');
  } finally {
    await server.stop();
  }
});
