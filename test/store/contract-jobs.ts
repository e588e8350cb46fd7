/** Store contract: the job queue — claiming, leases, completion, requeue and counts. */
import assert from 'node:assert/strict';
import type { Job, Store } from '../../src/core/store.js';
import { rejectsWith, sampleJob, T0 } from './fixtures.js';
import type { ContractContext } from './store-contract.js';

const LEASE = 30_000;

export function jobsContract({ fresh, another, check }: ContractContext): void {
  check('the oldest queued job is leased first, with its payload', async () => {
    const store = await fresh();
    await store.jobs.enqueue(sampleJob('j2', 'alpha', T0 + 2));
    await store.jobs.enqueue(sampleJob('j1', 'alpha', T0 + 1));
    await store.jobs.enqueue(sampleJob('j0', 'beta', T0 + 1));
    const first = await store.jobs.claim('agent-a', T0 + 10, LEASE, []);
    const expected: Job = { id: 'j0', kind: 'build', labels: [], fleet: undefined, target: undefined, projectName: 'beta', state: 'LEASED', queuedAt: T0 + 1, leaseOwner: 'agent-a', leaseExpiresAt: T0 + 10 + LEASE, attempts: 1, started: false, payload: { buildId: 'beta:j0' } };
    assert.deepEqual(first, expected);
    assert.equal((await store.jobs.claim('agent-a', T0 + 10, LEASE, []))?.id, 'j1');
    assert.equal((await store.jobs.claim('agent-a', T0 + 10, LEASE, []))?.id, 'j2');
    assert.equal(await store.jobs.claim('agent-a', T0 + 10, LEASE, []), undefined);
  });

  check('getMany reads the jobs of the ids that exist, in one call, and none for no ids', async () => {
    const store = await fresh();
    for (const id of ['g1', 'g2', 'g3']) await store.jobs.enqueue(sampleJob(id, 'alpha', T0));
    const found = await store.jobs.getMany(['g3', 'missing', 'g1', 'g1']);
    assert.deepEqual(found.map((job) => job.id).sort(), ['g1', 'g3']);
    assert.deepEqual(found.find((job) => job.id === 'g1'), await store.jobs.get('g1'));
    assert.deepEqual(await store.jobs.getMany([]), []);
  });

  check('a job id is unique', async () => {
    const store = await fresh();
    await store.jobs.enqueue(sampleJob('j1', 'alpha', T0));
    await rejectsWith(store.jobs.enqueue(sampleJob('j1', 'beta', T0)), 'STORE_CONFLICT');
  });

  check('two agents claiming at once never get the same job', async () => {
    const store = await fresh();
    for (let i = 0; i < 20; i++) await store.jobs.enqueue(sampleJob(`job-${i}`, `project-${i % 3}`, T0 + i));
    // Each claimer has its own store, hence its own connection(s) to the one database.
    const claimers: Store[] = [store];
    for (let i = 1; i < 4; i++) claimers.push(await another(store));
    const leased = await Promise.all(claimers.map((claimer, i) => claimAll(claimer, `agent-${i}`)));
    const ids = leased.flat().map((job) => job.id);
    assert.equal(ids.length, 20, `leased ${ids.length} jobs: ${ids.join(' ')}`);
    assert.equal(new Set(ids).size, 20);
    for (const [i, jobs] of leased.entries()) for (const job of jobs) assert.equal(job.leaseOwner, `agent-${i}`);
    assert.deepEqual(await store.jobs.leasedPerProject(), { 'project-0': 7, 'project-1': 7, 'project-2': 6 });
  });

  check('jobs of projects at their limit are skipped', async () => {
    const store = await fresh();
    await store.jobs.enqueue(sampleJob('j1', 'busy', T0 + 1));
    await store.jobs.enqueue(sampleJob('j2', 'full', T0 + 2));
    await store.jobs.enqueue(sampleJob('j3', 'free', T0 + 3));
    assert.equal((await store.jobs.claim('agent-a', T0, LEASE, ['busy', 'full']))?.id, 'j3');
    assert.equal(await store.jobs.claim('agent-a', T0, LEASE, ['busy', 'full']), undefined);
    assert.equal((await store.jobs.claim('agent-a', T0, LEASE, ['full']))?.id, 'j1');
    assert.equal(await store.jobs.depth(), 1);
  });

  check('an expired lease is reported by expired()', async () => {
    const store = await fresh();
    await store.jobs.enqueue(sampleJob('j1', 'alpha', T0));
    await store.jobs.enqueue(sampleJob('j2', 'alpha', T0 + 1));
    await store.jobs.claim('agent-a', T0, 1_000, []);
    await store.jobs.claim('agent-b', T0, 5_000, []);
    assert.deepEqual(await store.jobs.expired(T0 + 1_000), []);
    assert.deepEqual((await store.jobs.expired(T0 + 1_001)).map((job) => [job.id, job.leaseOwner]), [['j1', 'agent-a']]);
    assert.deepEqual((await store.jobs.expired(T0 + 6_000)).map((job) => job.id), ['j1', 'j2']);
    await store.jobs.complete('j1', 'agent-a');
    assert.deepEqual((await store.jobs.expired(T0 + 6_000)).map((job) => job.id), ['j2']);
  });

  check('renew extends the lease of its holder', async () => {
    const store = await fresh();
    await store.jobs.enqueue(sampleJob('j1', 'alpha', T0));
    await store.jobs.claim('agent-a', T0, 1_000, []);
    assert.equal(await store.jobs.renew('j1', 'agent-a', T0 + 900, 1_000), true);
    assert.deepEqual(await store.jobs.expired(T0 + 1_500), []);
    assert.equal((await store.jobs.expired(T0 + 1_901)).length, 1);
  });

  check('renew fails for an agent that lost the lease', async () => {
    const store = await fresh();
    await store.jobs.enqueue(sampleJob('j1', 'alpha', T0));
    await store.jobs.claim('agent-a', T0, 1_000, []);
    // The lease ended: whoever renews late has lost it, even before another agent takes it.
    assert.equal(await store.jobs.renew('j1', 'agent-a', T0 + 1_001, 1_000), false);
    assert.equal(await store.jobs.requeue('j1', T0 + 1_001), true);
    assert.equal((await store.jobs.claim('agent-b', T0 + 2_000, 1_000, []))?.attempts, 2);
    assert.equal(await store.jobs.renew('j1', 'agent-a', T0 + 2_100, 1_000), false);
    assert.equal(await store.jobs.markStarted('j1', 'agent-a'), false);
    assert.equal(await store.jobs.renew('j1', 'agent-b', T0 + 2_100, 1_000), true);
    assert.equal(await store.jobs.renew('ghost', 'agent-b', T0 + 2_100, 1_000), false);
  });

  check('complete by a lost agent is refused', async () => {
    const store = await fresh();
    await store.jobs.enqueue(sampleJob('j1', 'alpha', T0));
    await store.jobs.claim('agent-a', T0, 1_000, []);
    await store.jobs.requeue('j1', T0 + 2_000);
    await store.jobs.claim('agent-b', T0 + 2_000, 1_000, []);
    assert.equal(await store.jobs.complete('j1', 'agent-a'), false);
    assert.equal(await store.jobs.complete('j1', 'agent-b'), true);
    assert.equal(await store.jobs.complete('j1', 'agent-b'), false, 'a job completes once');
    assert.deepEqual(await store.jobs.leasedPerProject(), {});
  });

  check('only an expired job that never started is requeued, keeping its place', async () => {
    const store = await fresh();
    await store.jobs.enqueue(sampleJob('j1', 'alpha', T0));
    await store.jobs.enqueue(sampleJob('j2', 'alpha', T0 + 1));
    await store.jobs.enqueue(sampleJob('j3', 'alpha', T0 + 2));
    await store.jobs.claim('agent-a', T0, 1_000, []);
    await store.jobs.claim('agent-a', T0, 1_000, []);
    assert.equal(await store.jobs.markStarted('j2', 'agent-a'), true);
    assert.equal(await store.jobs.requeue('j2', T0 + 5_000), false, 'a started job is not run twice');
    assert.equal(await store.jobs.requeue('j1', T0 + 999), false, 'a lease still running (or renewed since it was found expired) is kept');
    assert.equal(await store.jobs.requeue('j1', T0 + 5_000), true);
    assert.equal(await store.jobs.requeue('j1', T0 + 5_000), false, 'a queued job is not requeued');
    assert.equal(await store.jobs.requeue('ghost', T0 + 5_000), false);
    const again = await store.jobs.claim('agent-b', T0 + 5_000, 1_000, []);
    assert.equal(again?.id, 'j1');
    assert.equal(again?.started, false);
    assert.equal((await store.jobs.expired(T0 + 10_000)).find((job) => job.id === 'j2')?.started, true);
  });

  check('cancel ends a job whatever its state, once', async () => {
    const store = await fresh();
    await store.jobs.enqueue(sampleJob('j1', 'alpha', T0));
    await store.jobs.enqueue(sampleJob('j2', 'alpha', T0 + 1));
    await store.jobs.claim('agent-a', T0, 1_000, []);
    assert.equal(await store.jobs.cancel('j2'), true);
    assert.equal(await store.jobs.cancel('j1'), true);
    assert.equal(await store.jobs.cancel('j1'), false);
    assert.equal(await store.jobs.cancel('ghost'), false);
    assert.equal(await store.jobs.complete('j1', 'agent-a'), false);
    assert.equal(await store.jobs.claim('agent-a', T0, 1_000, []), undefined);
    assert.equal(await store.jobs.depth(), 0);
  });

  check('queuedBefore, leasedPerProject and depth describe the queue', async () => {
    const store = await fresh();
    for (const [id, project, at] of [['j1', 'alpha', T0], ['j2', 'beta', T0 + 10], ['j3', 'alpha', T0 + 20], ['j4', 'alpha', T0 + 30]] as const) {
      await store.jobs.enqueue(sampleJob(id, project, at));
    }
    assert.equal(await store.jobs.depth(), 4);
    await store.jobs.claim('agent-a', T0, LEASE, []);
    await store.jobs.claim('agent-a', T0, LEASE, []);
    assert.deepEqual(await store.jobs.leasedPerProject(), { alpha: 1, beta: 1 });
    assert.equal(await store.jobs.depth(), 2);
    assert.deepEqual((await store.jobs.queuedBefore(T0 + 30)).map((job) => job.id), ['j3']);
    assert.deepEqual((await store.jobs.queuedBefore(T0 + 31)).map((job) => job.id), ['j3', 'j4']);
  });
}

/** Claims until the queue is empty; a claim may find nothing while another claimer commits. */
async function claimAll(store: Store, agentId: string): Promise<Job[]> {
  const leased: Job[] = [];
  for (;;) {
    const job = await store.jobs.claim(agentId, T0 + 100, LEASE, []);
    if (job !== undefined) leased.push(job);
    else if ((await store.jobs.depth()) === 0) return leased;
  }
}
