/** Store contract: pipelines, their definitions and runtimes under optimistic revisions, and ended executions in history. */
import assert from 'node:assert/strict';
import type { PipelineDefinition } from '../../src/core/pipeline.js';
import type { ExecutionState, ExecutionStatus, PipelineRuntime } from '../../src/core/pipeline-execution-types.js';
import { rejectsWith, T0 } from './fixtures.js';
import type { ContractContext } from './store-contract.js';

function definition(name: string, version = 1): PipelineDefinition {
  return { name, pipelineType: 'V2', executionMode: 'QUEUED', roleArn: undefined, artifactStore: undefined, variables: [], triggers: [], stages: [], version };
}

function runtime(sequence: number, executions: ExecutionState[] = [], version = 1): PipelineRuntime {
  return { definition: definition('deliver', version), executions, transitions: {}, sequence };
}

export function sampleExecution(id: string, status: ExecutionStatus, startSeq: number, at = T0 + startSeq, version = 1): ExecutionState {
  return {
    pipelineExecutionId: id,
    definition: definition('deliver', version),
    executionMode: 'QUEUED',
    status,
    trigger: { type: 'Manual', detail: 'someone' },
    variables: {},
    sourceRevisions: {},
    startTime: at,
    lastUpdateTime: at,
    startSeq,
    stageIndex: 0,
    waiting: false,
    arrivedSeq: startSeq,
    stages: {},
    actions: [],
    artifacts: {},
    namespaces: {},
  };
}

export function pipelinesContract({ fresh, another, check }: ContractContext): void {
  check('a pipeline reads back with its definition, runtime and revision 0', async () => {
    const store = await fresh();
    await store.pipelines.create(definition('deliver'), runtime(0), T0);
    const stored = await store.pipelines.get('deliver');
    assert.deepEqual(stored, { definition: definition('deliver'), runtime: runtime(0), revision: 0, created: T0, updated: T0 });
    assert.equal(await store.pipelines.get('nothing'), undefined);
  });

  check('a pipeline name is unique', async () => {
    const store = await fresh();
    await store.pipelines.create(definition('deliver'), runtime(0), T0);
    await rejectsWith(store.pipelines.create(definition('deliver'), runtime(0), T0), 'STORE_CONFLICT');
  });

  check('a save at a stale revision is refused, so two servers never both apply an event', async () => {
    const store = await fresh();
    const other = await another(store);
    await store.pipelines.create(definition('deliver'), runtime(0), T0);
    assert.equal(await store.pipelines.save('deliver', { runtime: runtime(1) }, 0, T0 + 1), true);
    assert.equal(await other.pipelines.save('deliver', { runtime: runtime(99) }, 0, T0 + 2), false);
    assert.equal(await other.pipelines.save('deliver', { definition: definition('deliver', 2), runtime: runtime(2) }, 1, T0 + 3), true);
    const stored = await store.pipelines.get('deliver');
    assert.deepEqual([stored?.runtime.sequence, stored?.revision, stored?.definition.version, stored?.updated], [2, 2, 2, T0 + 3]);
  });

  check('updated is the time the definition last changed: a save of the runtime alone leaves it', async () => {
    const store = await fresh();
    await store.pipelines.create(definition('steady'), runtime(0), T0);
    assert.equal(await store.pipelines.save('steady', { runtime: runtime(1) }, 0, T0 + 5), true);
    assert.equal((await store.pipelines.get('steady'))?.updated, T0);
  });

  check('pipelines are listed by name and deleted', async () => {
    const store = await fresh();
    for (const name of ['b', 'a', 'c']) await store.pipelines.create(definition(name), runtime(0), T0);
    assert.deepEqual((await store.pipelines.list()).map((p) => p.definition.name), ['a', 'b', 'c']);
    assert.equal(await store.pipelines.delete('b'), true);
    assert.equal(await store.pipelines.delete('b'), false);
    assert.deepEqual((await store.pipelines.list()).map((p) => p.definition.name), ['a', 'c']);
  });

  check('pipelines page by name, each exactly once across pages, with their runtimes', async () => {
    const store = await fresh();
    const names = Array.from({ length: 11 }, (_, i) => `p-${String(i).padStart(2, '0')}`);
    for (const name of [...names].reverse()) await store.pipelines.create(definition(name), runtime(3), T0);
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await store.pipelines.listPage({ limit: 4, nextToken });
      assert.ok(page.items.length <= 4);
      for (const stored of page.items) assert.equal(stored.runtime.sequence, 3);
      seen.push(...page.items.map((p) => p.definition.name));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    assert.deepEqual(seen, names);
    await rejectsWith(store.pipelines.listPage({ limit: 4, nextToken: Buffer.from('[1]').toString('base64url') }), 'API_INVALID_INPUT');
  });

  check('an ended execution saved with the runtime is in history, newest first, paged by start sequence', async () => {
    const store = await fresh();
    await store.pipelines.create(definition('deliver'), runtime(0), T0);
    const ended = [1, 2, 3, 4, 5].map((seq) => sampleExecution(`e${seq}`, seq % 2 === 0 ? 'Failed' : 'Succeeded', seq));
    assert.equal(await store.pipelines.save('deliver', { runtime: runtime(5), history: { ended, reopened: [] } }, 0, T0 + 10), true);
    assert.deepEqual(await store.pipelines.getEndedExecution('deliver', 'e2'), ended[1]);
    assert.equal(await store.pipelines.getEndedExecution('deliver', 'nope'), undefined);
    const first = await store.pipelines.listEndedExecutions('deliver', { limit: 2 });
    assert.deepEqual(first.map((e) => e.pipelineExecutionId), ['e5', 'e4']);
    const second = await store.pipelines.listEndedExecutions('deliver', { limit: 2, beforeSeq: first.at(-1)?.startSeq });
    assert.deepEqual(second.map((e) => e.pipelineExecutionId), ['e3', 'e2']);
    assert.equal((await store.pipelines.endedExecutionOnVersion('deliver', 1))?.definition.version, 1);
    assert.equal(await store.pipelines.endedExecutionOnVersion('deliver', 7), undefined);
  });

  check('a stale save writes no history, and a reopened execution leaves it', async () => {
    const store = await fresh();
    const other = await another(store);
    await store.pipelines.create(definition('deliver'), runtime(0), T0);
    const failed = sampleExecution('e1', 'Failed', 1);
    assert.equal(await store.pipelines.save('deliver', { runtime: runtime(1), history: { ended: [failed], reopened: [] } }, 0, T0 + 1), true);
    // The loser of a race must not leave its execution in history: it is re-applied on the winner's runtime.
    assert.equal(await other.pipelines.save('deliver', { runtime: runtime(2), history: { ended: [sampleExecution('e2', 'Succeeded', 2)], reopened: [] } }, 0, T0 + 2), false);
    assert.equal(await store.pipelines.getEndedExecution('deliver', 'e2'), undefined);
    const retried = { ...failed, status: 'InProgress' as const };
    assert.equal(await other.pipelines.save('deliver', { runtime: runtime(2, [retried]), history: { ended: [], reopened: ['e1'] } }, 1, T0 + 3), true);
    assert.equal(await store.pipelines.getEndedExecution('deliver', 'e1'), undefined);
    assert.deepEqual((await store.pipelines.get('deliver'))?.runtime.executions, [retried]);
  });

  check('retention removes executions that ended before a time, oldest first, and a deleted pipeline takes its history', async () => {
    const store = await fresh();
    await store.pipelines.create(definition('deliver'), runtime(0), T0);
    const ended = [1, 2, 3].map((seq) => sampleExecution(`e${seq}`, 'Succeeded', seq, T0 + seq * 1000));
    await store.pipelines.save('deliver', { runtime: runtime(3), history: { ended, reopened: [] } }, 0, T0);
    const pruned = await store.pipelines.pruneEndedExecutions(T0 + 2500, 10);
    assert.deepEqual(pruned.map((p) => [p.pipelineName, p.execution.pipelineExecutionId]), [['deliver', 'e1'], ['deliver', 'e2']]);
    assert.deepEqual((await store.pipelines.listEndedExecutions('deliver', { limit: 10 })).map((e) => e.pipelineExecutionId), ['e3']);
    assert.equal(await store.pipelines.delete('deliver'), true);
    await store.pipelines.create(definition('deliver'), runtime(0), T0);
    assert.equal(await store.pipelines.getEndedExecution('deliver', 'e3'), undefined);
  });
}
