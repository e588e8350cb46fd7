/** Store contract: builds, their log bookkeeping, listing and counting. */
import assert from 'node:assert/strict';
import { allPages } from './contract-projects.js';
import { rejectsWith, sampleBuild, sampleBuildJob, sampleRecord, T0 } from './fixtures.js';
import type { ContractContext } from './store-contract.js';

export function buildsContract({ fresh, check }: ContractContext): void {
  check('a build reads back exactly as it was stored', async () => {
    const store = await fresh();
    const build = sampleBuild('alpha:1', { endTime: T0 + 10, stopRequested: true, logBytes: 2 ** 33, logNextSequence: 4 });
    await store.builds.insert(build);
    assert.deepEqual(await store.builds.get('alpha:1'), build);
    assert.equal(await store.builds.get('alpha:2'), undefined);
  });

  check('a build id is unique', async () => {
    const store = await fresh();
    await store.builds.insert(sampleBuild('alpha:1'));
    await rejectsWith(store.builds.insert(sampleBuild('alpha:1', { buildNumber: 2 })), 'STORE_CONFLICT');
  });

  check('an update changes only the patched fields and returns the build', async () => {
    const store = await fresh();
    await store.builds.insert(sampleBuild('alpha:1', { endTime: T0 + 1 }));
    const updated = await store.builds.update('alpha:1', { buildStatus: 'SUCCEEDED', currentPhase: 'COMPLETED', record: sampleRecord('alpha:1', { phases: [] }) });
    assert.deepEqual(updated, sampleBuild('alpha:1', { endTime: T0 + 1, buildStatus: 'SUCCEEDED', currentPhase: 'COMPLETED', record: sampleRecord('alpha:1', { phases: [] }) }));
    assert.deepEqual(await store.builds.get('alpha:1'), updated);
    assert.equal((await store.builds.update('alpha:1', { endTime: undefined }))?.endTime, undefined);
    assert.deepEqual(await store.builds.update('alpha:1', {}), await store.builds.get('alpha:1'));
    assert.equal(await store.builds.update('ghost:1', { buildStatus: 'FAILED' }), undefined);
  });

  check('getMany returns the builds that exist, in the order asked, once each', async () => {
    const store = await fresh();
    await store.builds.insert(sampleBuild('alpha:1'));
    await store.builds.insert(sampleBuild('alpha:2'));
    const found = await store.builds.getMany(['alpha:2', 'ghost:1', 'alpha:1', 'alpha:2']);
    assert.deepEqual(found.map((b) => b.id), ['alpha:2', 'alpha:1']);
  });

  check('a log chunk out of order is a gap and a repeated one a duplicate', async () => {
    const store = await fresh();
    await store.builds.insert(sampleBuild('alpha:1'));
    assert.equal(await store.builds.recordLogChunk('alpha:1', 0, 100), 'appended');
    assert.equal(await store.builds.recordLogChunk('alpha:1', 2, 50), 'gap');
    assert.equal(await store.builds.recordLogChunk('alpha:1', 0, 100), 'duplicate');
    assert.equal(await store.builds.recordLogChunk('alpha:1', 1, 30), 'appended');
    assert.equal(await store.builds.recordLogChunk('alpha:1', 2, 50), 'appended');
    const build = await store.builds.get('alpha:1');
    assert.equal(build?.logBytes, 180);
    assert.equal(build?.logNextSequence, 3);
    await rejectsWith(store.builds.recordLogChunk('ghost:1', 0, 1), 'STORE_NOT_FOUND');
  });

  check('the same log chunk sent twice at once is appended once', async () => {
    const store = await fresh();
    await store.builds.insert(sampleBuild('alpha:1'));
    const outcomes = await Promise.all([0, 0, 0, 0].map((sequence) => store.builds.recordLogChunk('alpha:1', sequence, 10)));
    assert.deepEqual([...outcomes].sort(), ['appended', 'duplicate', 'duplicate', 'duplicate']);
    assert.equal((await store.builds.get('alpha:1'))?.logBytes, 10);
  });

  check('builds are listed newest first, for one project or all', async () => {
    const store = await fresh();
    await store.builds.insert(sampleBuild('alpha:1', { startTime: T0 + 1 }));
    await store.builds.insert(sampleBuild('beta:1', { startTime: T0 + 2 }));
    await store.builds.insert(sampleBuild('alpha:2', { startTime: T0 + 3 }));
    assert.deepEqual((await store.builds.listIds({}, { limit: 10 })).items, ['alpha:2', 'beta:1', 'alpha:1']);
    assert.deepEqual((await store.builds.listIds({ projectName: 'alpha' }, { limit: 10 })).items, ['alpha:2', 'alpha:1']);
    assert.deepEqual((await store.builds.listIds({ projectName: 'alpha' }, { limit: 10, sortOrder: 'ASCENDING' })).items, ['alpha:1', 'alpha:2']);
    assert.deepEqual((await store.builds.listIds({ projectName: 'gamma' }, { limit: 10 })).items, []);
  });

  check('build pages return every build once, even with equal start times', async () => {
    const store = await fresh();
    const ids = Array.from({ length: 13 }, (_, i) => `alpha:${String(i).padStart(2, '0')}`);
    for (const [i, id] of ids.entries()) await store.builds.insert(sampleBuild(id, { startTime: T0 + Math.floor(i / 4) }));
    const newestFirst = await allPages((nextToken) => store.builds.listIds({ projectName: 'alpha' }, { limit: 3, nextToken }));
    assert.deepEqual(newestFirst, [...ids].reverse());
    const oldestFirst = await allPages((nextToken) => store.builds.listIds({}, { limit: 5, nextToken, sortOrder: 'ASCENDING' }));
    assert.deepEqual(oldestFirst, ids);
  });

  check('a status filter pages through only the builds of that status, each once, newest first', async () => {
    const store = await fresh();
    const statuses = ['SUCCEEDED', 'FAILED', 'IN_PROGRESS'] as const;
    const ids = Array.from({ length: 30 }, (_, i) => `${i % 2 === 0 ? 'alpha' : 'beta'}:${String(i).padStart(2, '0')}`);
    for (const [i, id] of ids.entries()) await store.builds.insert(sampleBuild(id, { startTime: T0 + Math.floor(i / 3), buildStatus: statuses[i % 3] }));
    const failed = ids.filter((_, i) => i % 3 === 1).reverse();
    assert.deepEqual(await allPages((nextToken) => store.builds.listIds({ buildStatus: 'FAILED' }, { limit: 4, nextToken })), failed);
    assert.deepEqual(await allPages((nextToken) => store.builds.listIds({ buildStatus: 'FAILED', projectName: 'beta' }, { limit: 2, nextToken })), failed.filter((id) => id.startsWith('beta:')));
    assert.deepEqual(await allPages((nextToken) => store.builds.listIds({ buildStatus: 'SUCCEEDED' }, { limit: 3, nextToken, sortOrder: 'ASCENDING' })), ids.filter((_, i) => i % 3 === 0));
    assert.deepEqual((await store.builds.listIds({ buildStatus: 'TIMED_OUT' }, { limit: 3 })).items, []);
  });

  check('an initiator filter pages through only the builds that initiator started, matched exactly', async () => {
    const store = await fresh();
    const initiators = ['alice', 'codepipeline/deliver', 'alice-bot'];
    const ids = Array.from({ length: 12 }, (_, i) => `alpha:${String(i).padStart(2, '0')}`);
    for (const [i, id] of ids.entries()) {
      const initiator = initiators[i % 3] ?? 'alice';
      await store.builds.insert(sampleBuild(id, { startTime: T0 + i, record: sampleRecord(id, { job: { ...sampleBuildJob(id), initiator } }) }));
    }
    // A status change rewrites the record; the initiator stays what the build was started by.
    await store.builds.update('alpha:00', { buildStatus: 'SUCCEEDED', record: sampleRecord('alpha:00', { job: { ...sampleBuildJob('alpha:00'), initiator: 'alice' } }) });
    assert.deepEqual(await allPages((nextToken) => store.builds.listIds({ initiator: 'alice' }, { limit: 2, nextToken })), ['alpha:09', 'alpha:06', 'alpha:03', 'alpha:00']);
    assert.deepEqual(await allPages((nextToken) => store.builds.listIds({ initiator: 'alice', buildStatus: 'SUCCEEDED' }, { limit: 2, nextToken })), ['alpha:00']);
    assert.deepEqual((await store.builds.listIds({ initiator: 'codepipeline/deliver', projectName: 'alpha' }, { limit: 10 })).items, ['alpha:10', 'alpha:07', 'alpha:04', 'alpha:01']);
    assert.deepEqual((await store.builds.listIds({ initiator: 'ali' }, { limit: 10 })).items, []);
  });

  check('deleting builds returns only the ids that existed', async () => {
    const store = await fresh();
    await store.builds.insert(sampleBuild('alpha:1'));
    await store.builds.insert(sampleBuild('alpha:2'));
    assert.deepEqual((await store.builds.delete(['alpha:1', 'ghost:1'])).sort(), ['alpha:1']);
    assert.deepEqual(await store.builds.delete([]), []);
    assert.equal(await store.builds.get('alpha:1'), undefined);
    assert.ok(await store.builds.get('alpha:2'));
  });

  check('builds are counted by status', async () => {
    const store = await fresh();
    assert.deepEqual(await store.builds.countByStatus(), {});
    await store.builds.insert(sampleBuild('alpha:1', { buildStatus: 'SUCCEEDED' }));
    await store.builds.insert(sampleBuild('alpha:2', { buildStatus: 'SUCCEEDED' }));
    await store.builds.insert(sampleBuild('alpha:3', { buildStatus: 'FAILED' }));
    await store.builds.insert(sampleBuild('alpha:4'));
    assert.deepEqual(await store.builds.countByStatus(), { SUCCEEDED: 2, FAILED: 1, IN_PROGRESS: 1 });
  });
}
