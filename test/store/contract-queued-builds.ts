/**
 * Store contract: a build and its job are stored together or not at all (finding 10: a crash
 * between the two inserts left builds QUEUED for ever), the builds left without a job are found,
 * and a restarted server can give every held lease a grace period.
 */
import assert from 'node:assert/strict';
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
}
