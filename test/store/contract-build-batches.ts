/** Store contract: build batches — state kept whole, optimistic revisions, lists by project and status, per-project numbers never reused. */
import assert from 'node:assert/strict';
import type { BuildBatchState } from '../../src/core/build-batch.js';
import type { StoredBuildBatch } from '../../src/core/store.js';
import { sampleProject, T0 } from './fixtures.js';
import type { ContractContext } from './store-contract.js';

function sampleBatch(id: string, projectName: string, overrides: Partial<Omit<StoredBuildBatch, 'revision'>> = {}): Omit<StoredBuildBatch, 'revision'> {
  const state: BuildBatchState = {
    arn: `arn:aws:codebuild:us-east-1:000000000000:build-batch/${id}`,
    initiator: 'tester',
    sourceVersion: undefined,
    buildspec: 'version: 0.2\n',
    kind: 'build-graph',
    fastFail: false,
    combineArtifacts: false,
    groups: [{ entry: { identifier: 'compile', buildspec: undefined, env: { image: undefined, computeType: undefined, privilegedMode: undefined, type: undefined, fleet: undefined, variables: { A: '1' } }, ignoreFailure: false, dependOn: [] }, buildIds: [], status: 'PENDING' }],
    phases: [{ phaseType: 'SUBMITTED', phaseStatus: 'SUCCEEDED', startTime: T0, endTime: T0 }],
    stopRequested: false,
    imageOverride: undefined,
    environmentVariablesOverride: [],
    timeoutInMinutes: undefined,
  };
  return { id, projectName, batchNumber: 1, status: 'IN_PROGRESS', startTime: T0, endTime: undefined, state, ...overrides };
}

export function buildBatchesContract({ fresh, check }: ContractContext): void {
  check('a build batch reads back as stored, and an update based on a stale revision is refused', async () => {
    const store = await fresh();
    await store.buildBatches.insert(sampleBatch('p:1', 'p'));
    const stored = (await store.buildBatches.get('p:1')) ?? assert.fail('no batch');
    assert.deepEqual(stored.state.groups[0]?.entry.env.variables, { A: '1' });
    assert.equal(stored.revision, 1);
    const first = await store.buildBatches.update({ ...stored, status: 'SUCCEEDED', endTime: T0 + 5 });
    assert.equal(first?.revision, 2);
    assert.equal(await store.buildBatches.update({ ...stored, status: 'FAILED' }), undefined, 'the stale revision loses');
    assert.equal((await store.buildBatches.get('p:1'))?.status, 'SUCCEEDED');
    await assert.rejects(store.buildBatches.insert(sampleBatch('p:1', 'p')), /STORE_CONFLICT|already|exists/i);
  });

  check('batches list newest first by project and status, in pages; in-progress ones oldest first', async () => {
    const store = await fresh();
    for (let i = 1; i <= 5; i += 1) await store.buildBatches.insert(sampleBatch(`${i % 2 ? 'odd' : 'even'}:${i}`, i % 2 ? 'odd' : 'even', { startTime: T0 + i, status: i === 5 ? 'FAILED' : 'IN_PROGRESS' }));
    const page = await store.buildBatches.listIds({}, { limit: 2 });
    assert.deepEqual(page.items, ['odd:5', 'even:4']);
    assert.deepEqual((await store.buildBatches.listIds({}, { limit: 10, nextToken: page.nextToken })).items, ['odd:3', 'even:2', 'odd:1']);
    assert.deepEqual((await store.buildBatches.listIds({ projectName: 'odd' }, { limit: 10, sortOrder: 'ASCENDING' })).items, ['odd:1', 'odd:3', 'odd:5']);
    assert.deepEqual((await store.buildBatches.listIds({ status: 'FAILED' }, { limit: 10 })).items, ['odd:5']);
    assert.deepEqual(await store.buildBatches.inProgress(10), ['odd:1', 'even:2', 'odd:3', 'even:4']);
    assert.equal(await store.buildBatches.delete('odd:1'), true);
    assert.equal(await store.buildBatches.delete('odd:1'), false);
  });

  check('batch numbers count per project from 1 and are not reused', async () => {
    const store = await fresh();
    await store.projects.create(sampleProject('numbered'));
    assert.equal(await store.buildBatches.nextBatchNumber('numbered'), 1);
    assert.equal(await store.buildBatches.nextBatchNumber('numbered'), 2);
    assert.equal(await store.projects.nextBuildNumber('numbered'), 1, 'build numbers are their own');
    await assert.rejects(store.buildBatches.nextBatchNumber('missing'), /does not exist/);
  });
}
