/**
 * Store contract: a build and its job are stored together or not at all (finding 10: a crash
 * between the two inserts left builds QUEUED for ever), a build ends together with its job (a
 * server killed between closing the job and storing the result left a build PROVISIONING for
 * ever), the builds left without a job are found, and a restarted server can give every held
 * lease a grace period.
 */
import assert from 'node:assert/strict';
import type { TracedEvent } from '../../src/core/aws-event.js';
import type { StoredBuild } from '../../src/core/store.js';
import { rejectsWith, sampleBuild, sampleJob, T0 } from './fixtures.js';
import type { ContractContext } from './store-contract.js';

export function queuedBuildsContract({ fresh, another, check }: ContractContext): void {
  check('finding 10: a queued build is inserted with its job, both readable from another connection', async () => {
    const store = await fresh();
    await store.builds.insertQueued(sampleBuild('alpha:1'), sampleJob('alpha:1', 'alpha', T0));
    const other = await another(store);
    assert.equal((await other.builds.get('alpha:1'))?.currentPhase, 'QUEUED');
    assert.equal((await other.jobs.get('alpha:1'))?.state, 'QUEUED');
    assert.equal((await other.jobs.claim('agent-a', T0, 1_000, []))?.id, 'alpha:1');
  });

  check('finding 10: when the job cannot be inserted, no build row is left behind', async () => {
    const store = await fresh();
    // The job id is taken, so the second insert of the transaction fails.
    await store.jobs.enqueue(sampleJob('alpha:1', 'alpha', T0));
    await rejectsWith(store.builds.insertQueued(sampleBuild('alpha:1'), sampleJob('alpha:1', 'alpha', T0)), 'STORE_CONFLICT');
    assert.equal(await store.builds.get('alpha:1'), undefined);
    assert.deepEqual(await store.builds.countByStatus(), {});
    // The store is still usable after the rolled-back transaction.
    await store.builds.insertQueued(sampleBuild('alpha:2'), sampleJob('alpha:2', 'alpha', T0));
    assert.ok(await store.builds.get('alpha:2'));
  });

  check('finding 10: a build whose id is taken leaves no job behind', async () => {
    const store = await fresh();
    await store.builds.insert(sampleBuild('alpha:1'));
    await rejectsWith(store.builds.insertQueued(sampleBuild('alpha:1'), sampleJob('alpha:1', 'alpha', T0)), 'STORE_CONFLICT');
    assert.equal(await store.jobs.get('alpha:1'), undefined);
    assert.equal(await store.jobs.depth(), 0);
  });

  check('queuedWithoutJob finds only QUEUED builds that have no job row, oldest first', async () => {
    const store = await fresh();
    await store.builds.insert(sampleBuild('alpha:2', { startTime: T0 + 2 }));
    await store.builds.insert(sampleBuild('alpha:1', { startTime: T0 + 1 }));
    await store.builds.insertQueued(sampleBuild('alpha:3'), sampleJob('alpha:3', 'alpha', T0));
    await store.builds.insert(sampleBuild('alpha:4', { currentPhase: 'COMPLETED', buildStatus: 'SUCCEEDED' }));
    await store.builds.insert(sampleBuild('alpha:5', { currentPhase: 'BUILD' }));
    assert.deepEqual((await store.builds.queuedWithoutJob(10)).map((b) => b.id), ['alpha:1', 'alpha:2']);
    assert.deepEqual((await store.builds.queuedWithoutJob(1)).map((b) => b.id), ['alpha:1']);
  });

  check('extendLeases moves only held leases that end earlier, and they can be renewed again', async () => {
    const store = await fresh();
    await store.jobs.enqueue(sampleJob('j1', 'alpha', T0));
    await store.jobs.enqueue(sampleJob('j2', 'alpha', T0 + 1));
    await store.jobs.enqueue(sampleJob('j3', 'alpha', T0 + 2));
    await store.jobs.claim('agent-a', T0, 1_000, []);
    await store.jobs.claim('agent-b', T0, 90_000, []);
    // The server was down past agent-a's lease: renewing fails until the grace is given.
    assert.equal(await store.jobs.renew('j1', 'agent-a', T0 + 5_000, 1_000), false);
    assert.equal(await store.jobs.extendLeases(T0 + 35_000), 1);
    assert.equal((await store.jobs.get('j1'))?.leaseExpiresAt, T0 + 35_000);
    assert.equal((await store.jobs.get('j2'))?.leaseExpiresAt, T0 + 90_000);
    assert.equal((await store.jobs.get('j3'))?.leaseExpiresAt, undefined, 'a queued job gets no lease');
    assert.deepEqual(await store.jobs.expired(T0 + 30_000), []);
    assert.equal(await store.jobs.renew('j1', 'agent-a', T0 + 30_000, 1_000), true);
  });

  const ended = { currentPhase: 'COMPLETED', buildStatus: 'SUCCEEDED', endTime: T0 + 5 } as const;
  const end = () => ended;
  const endEvent = (before: StoredBuild, after: StoredBuild): TracedEvent[] => [{
    version: '0', id: `end-${after.id}`, 'detail-type': 'CodeBuild Build State Change', source: 'aws.codebuild', account: '000000000000',
    time: '2026-12-01T00:00:00Z', region: 'us-east-1', resources: [], detail: { from: before.currentPhase, to: after.currentPhase },
  }];

  check('a build ends with its job in one transaction: the job is DONE, the build patched and its event stored, seen from another connection', async () => {
    const store = await fresh();
    await store.builds.insertQueued(sampleBuild('alpha:1'), sampleJob('alpha:1', 'alpha', T0));
    await store.jobs.claim('agent-a', T0, 60_000, []);
    const after = await store.builds.endWithJob('alpha:1', { state: 'LEASED', leaseOwner: 'agent-a' }, end, endEvent);
    assert.equal(after?.buildStatus, 'SUCCEEDED');
    const other = await another(store);
    assert.equal((await other.jobs.get('alpha:1'))?.state, 'DONE');
    assert.equal((await other.builds.get('alpha:1'))?.currentPhase, 'COMPLETED');
    assert.deepEqual((await other.events.after(0, 10)).map((e) => e.event.detail), [{ from: 'QUEUED', to: 'COMPLETED' }]);
  });

  check('ending a build for an agent that does not hold its job changes neither the job nor the build', async () => {
    const store = await fresh();
    await store.builds.insertQueued(sampleBuild('alpha:1'), sampleJob('alpha:1', 'alpha', T0));
    await store.jobs.claim('agent-a', T0, 60_000, []);
    assert.equal(await store.builds.endWithJob('alpha:1', { state: 'LEASED', leaseOwner: 'agent-b' }, end, endEvent), undefined);
    assert.equal((await store.jobs.get('alpha:1'))?.state, 'LEASED');
    assert.equal((await store.builds.get('alpha:1'))?.currentPhase, 'QUEUED');
    assert.deepEqual(await store.events.after(0, 10), []);
  });

  check('a stop meant for a queued job leaves a job leased meanwhile to its agent, and a lease renewed meanwhile is not ended as lost', async () => {
    const store = await fresh();
    await store.builds.insertQueued(sampleBuild('alpha:1'), sampleJob('alpha:1', 'alpha', T0));
    await store.jobs.claim('agent-a', T0, 1_000, []);
    assert.equal(await store.builds.endWithJob('alpha:1', { state: 'QUEUED' }, end, endEvent), undefined);
    assert.equal(await store.jobs.renew('alpha:1', 'agent-a', T0 + 500, 60_000), true);
    // The scheduler read the lease as ended at T0 + 1,000; the agent renewed it since.
    assert.equal(await store.builds.endWithJob('alpha:1', { state: 'LEASED', leaseOwner: 'agent-a', leaseEndedBefore: T0 + 2_000 }, end, endEvent), undefined);
    assert.equal((await store.jobs.get('alpha:1'))?.state, 'LEASED');
    assert.equal((await store.builds.get('alpha:1'))?.currentPhase, 'QUEUED');
    assert.ok(await store.builds.endWithJob('alpha:1', { state: 'LEASED', leaseOwner: 'agent-a', leaseEndedBefore: T0 + 60_501 }, end, endEvent), 'once the renewed lease has ended too');
  });

  check('the patch is made from the build as locked when its job closes, and a build already ended keeps its end and its job stays as it was', async () => {
    const store = await fresh();
    await store.builds.insertQueued(sampleBuild('alpha:1'), sampleJob('alpha:1', 'alpha', T0));
    await store.builds.update('alpha:1', { logBytes: 42 });
    const seen: number[] = [];
    await store.builds.endWithJob('alpha:1', { state: 'QUEUED' }, (before) => {
      seen.push(before.logBytes);
      return ended;
    }, endEvent);
    assert.deepEqual(seen, [42]);
    await store.builds.insertQueued(sampleBuild('alpha:2', { currentPhase: 'COMPLETED', buildStatus: 'STOPPED' }), sampleJob('alpha:2', 'alpha', T0));
    assert.equal(await store.builds.endWithJob('alpha:2', { state: 'QUEUED' }, end, endEvent), undefined);
    assert.equal((await store.builds.get('alpha:2'))?.buildStatus, 'STOPPED');
    assert.equal((await store.jobs.get('alpha:2'))?.state, 'QUEUED', 'the close was undone with the transaction');
    assert.equal((await store.events.after(0, 10)).length, 1);
  });

  check('a job already closed is not closed again: a second end of the build changes nothing', async () => {
    const store = await fresh();
    await store.builds.insertQueued(sampleBuild('alpha:1'), sampleJob('alpha:1', 'alpha', T0));
    assert.ok(await store.builds.endWithJob('alpha:1', { state: 'QUEUED' }, end, endEvent), 'a queued job is closed by the server');
    assert.equal(await store.builds.endWithJob('alpha:1', { state: 'QUEUED' }, () => ({ currentPhase: 'COMPLETED', buildStatus: 'STOPPED' }), endEvent), undefined);
    assert.equal((await store.builds.get('alpha:1'))?.buildStatus, 'SUCCEEDED');
    assert.equal((await store.events.after(0, 10)).length, 1);
  });

  check('when the build cannot be ended its job stays open: both change or neither', async () => {
    const store = await fresh();
    // A job whose build row is missing: the build's half of the transaction finds nothing.
    await store.jobs.enqueue(sampleJob('alpha:1', 'alpha', T0));
    await store.jobs.claim('agent-a', T0, 60_000, []);
    assert.equal(await store.builds.endWithJob('alpha:1', { state: 'LEASED', leaseOwner: 'agent-a' }, end, endEvent), undefined);
    assert.equal((await store.jobs.get('alpha:1'))?.state, 'LEASED');
    // The store is still usable after the rolled-back transaction.
    assert.equal(await store.jobs.renew('alpha:1', 'agent-a', T0 + 1, 60_000), true);
  });
}
