/** Store contract: pipelines, their definitions and runtimes under optimistic revisions. */
import assert from 'node:assert/strict';
import type { PipelineDefinition } from '../../src/core/pipeline.js';
import { rejectsWith, T0 } from './fixtures.js';
import type { ContractContext } from './store-contract.js';

function definition(name: string, version = 1): PipelineDefinition {
  return { name, pipelineType: 'V2', executionMode: 'QUEUED', roleArn: undefined, artifactStore: undefined, variables: [], triggers: [], stages: [], version };
}

export function pipelinesContract({ fresh, another, check }: ContractContext): void {
  check('a pipeline reads back with its definition, runtime and revision 0', async () => {
    const store = await fresh();
    await store.pipelines.create(definition('deliver'), { executions: [] }, T0);
    const stored = await store.pipelines.get('deliver');
    // Stored as JSON: absent optional fields come back absent rather than undefined.
    assert.deepEqual(stored, { definition: JSON.parse(JSON.stringify(definition('deliver'))) as PipelineDefinition, runtime: { executions: [] }, revision: 0, created: T0, updated: T0 });
    assert.equal(await store.pipelines.get('nothing'), undefined);
  });

  check('a pipeline name is unique', async () => {
    const store = await fresh();
    await store.pipelines.create(definition('deliver'), {}, T0);
    await rejectsWith(store.pipelines.create(definition('deliver'), {}, T0), 'STORE_CONFLICT');
  });

  check('a save at a stale revision is refused, so two servers never both apply an event', async () => {
    const store = await fresh();
    const other = await another(store);
    await store.pipelines.create(definition('deliver'), { n: 0 }, T0);
    assert.equal(await store.pipelines.save('deliver', { runtime: { n: 1 } }, 0, T0 + 1), true);
    assert.equal(await other.pipelines.save('deliver', { runtime: { n: 99 } }, 0, T0 + 2), false);
    assert.equal(await other.pipelines.save('deliver', { definition: definition('deliver', 2), runtime: { n: 2 } }, 1, T0 + 3), true);
    const stored = await store.pipelines.get('deliver');
    assert.deepEqual([stored?.runtime, stored?.revision, stored?.definition.version, stored?.updated], [{ n: 2 }, 2, 2, T0 + 3]);
  });

  check('pipelines are listed by name and deleted', async () => {
    const store = await fresh();
    for (const name of ['b', 'a', 'c']) await store.pipelines.create(definition(name), {}, T0);
    assert.deepEqual((await store.pipelines.list()).map((p) => p.definition.name), ['a', 'b', 'c']);
    assert.equal(await store.pipelines.delete('b'), true);
    assert.equal(await store.pipelines.delete('b'), false);
    assert.deepEqual((await store.pipelines.list()).map((p) => p.definition.name), ['a', 'c']);
  });
}
