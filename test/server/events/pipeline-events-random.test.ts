/**
 * Property: over random walks of the pipeline machine (starts, results, approvals, stops, retries,
 * timers), the AWS events derived from each transition tell every change of every execution, stage
 * and action attempt exactly once, in the order the changes happened, ended before begun within a
 * transition, each with the documented `detail` fields.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AwsEvent } from '../../../src/core/aws-event.js';
import { pendingEffects, type PipelineRuntime } from '../../../src/core/pipeline-execution.js';
import { pipelineEvents, type EventOrigin } from '../../../src/server/events/aws-events.js';
import { action, definition, Driver } from '../../core/pipeline-execution-fixtures.js';

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STAGES = ['Source', 'Build', 'Approve'];
const DEFINITION = definition({
  Source: [action('Source', 'CodeCommit', { outputArtifacts: ['S'] })],
  Build: [action('Unit', 'CodeBuild', { inputArtifacts: ['S'], outputArtifacts: ['B'] }), action('Lint', 'CodeBuild', { inputArtifacts: ['S'] })],
  Approve: [action('Review', 'Manual', { timeoutInMinutes: 5 })],
});

let ids = 0;
const origin: EventOrigin = { settings: { accountId: '000000000000', region: 'us-east-1' }, clock: () => 0, newId: () => `id-${(ids += 1)}` };

const EXECUTION = 'CodePipeline Pipeline Execution State Change';
const STAGE = 'CodePipeline Stage Execution State Change';
const ACTION = 'CodePipeline Action Execution State Change';

/** The oracle: each entity's status (stage: with its run) in one runtime snapshot. */
function snapshot(runtime: PipelineRuntime): Map<string, string> {
  const states = new Map<string, string>();
  for (const e of runtime.executions) {
    states.set(`${e.pipelineExecutionId}`, e.status);
    for (const [stage, run] of Object.entries(e.stages)) states.set(`${e.pipelineExecutionId}/${stage}`, `${run.status}#${run.run}`);
    for (const a of e.actions) states.set(`${e.pipelineExecutionId}/${a.stage}/${a.action}/${a.attempt}`, a.status);
  }
  return states;
}

function entityOf(event: AwsEvent, attempts: Map<string, number>): string {
  const d = event.detail;
  const base = String(d['execution-id']);
  if (event['detail-type'] === EXECUTION) return base;
  if (event['detail-type'] === STAGE) return `${base}/${String(d.stage)}`;
  // The action's attempt is not in AWS's detail: the walk's counter of STARTED events tells it.
  const key = `${base}/${String(d.stage)}/${String(d.action)}`;
  if (d.state === 'STARTED') attempts.set(key, (attempts.get(key) ?? 0) + 1);
  return `${key}/${attempts.get(key) ?? 1}`;
}

function walk(seed: number, steps: number): { changes: number; events: number } {
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(random() * items.length)];
  const d = new Driver(DEFINITION);
  const expected = new Map<string, number>();
  const emitted = new Map<string, number>();
  const attempts = new Map<string, number>();
  const firstOfExecution = new Map<string, AwsEvent>();
  let executions = 0;
  let changes = 0;
  let events = 0;

  for (let i = 0; i < steps; i += 1) {
    const before = d.runtime;
    const effect = pick(pendingEffects(before));
    const exec = pick(before.executions);
    const r = random();
    let t;
    if (r < 0.15) t = d.send({ type: 'START', executionId: `e${(executions += 1)}`, trigger: { type: 'Manual' }, variables: {} });
    else if (r < 0.6 && effect?.type === 'RUN_ACTION') {
      t = random() < 0.8
        ? d.send({ type: 'ACTION_SUCCEEDED', executionId: effect.executionId, stage: effect.stage, action: effect.action, attempt: effect.attempt, outputArtifacts: Object.fromEntries(effect.outputArtifactNames.map((n) => [n, `k${i}`])), outputVariables: {} })
        : d.send({ type: 'ACTION_FAILED', executionId: effect.executionId, stage: effect.stage, action: effect.action, attempt: effect.attempt, message: 'boom' });
    } else if (r < 0.7 && effect?.type === 'REQUEST_APPROVAL') {
      t = d.send({ type: 'APPROVAL_RESULT', stage: effect.stage, action: effect.action, token: effect.token, status: random() < 0.8 ? 'Approved' : 'Rejected', summary: '', by: 'u' });
    } else if (r < 0.75) t = d.send({ type: 'TIMER', at: d.clock + Math.floor(random() * 400_000) });
    else if (r < 0.82 && exec) t = d.send({ type: 'STOP', executionId: exec.pipelineExecutionId, abandon: random() < 0.5, reason: 'walk' });
    else if (r < 0.92 && exec) t = d.send({ type: 'RETRY_STAGE', executionId: exec.pipelineExecutionId, stage: pick(STAGES) ?? 'Build', mode: random() < 0.5 ? 'FAILED_ACTIONS' : 'ALL_ACTIONS' });
    else continue;
    if (t.error) continue;

    const old = snapshot(before);
    for (const [entity, state] of snapshot(t.runtime)) {
      if (old.get(entity) === state) continue;
      expected.set(entity, (expected.get(entity) ?? 0) + 1);
      changes += 1;
    }
    const produced = pipelineEvents(origin, 'walk', before, t.runtime);
    let opened = false;
    for (const event of produced) {
      const entity = entityOf(event, attempts);
      emitted.set(entity, (emitted.get(entity) ?? 0) + 1);
      const opening = ['STARTED', 'RESUMED'].includes(String(event.detail.state));
      assert.ok(opening || !opened, `seed ${seed}: what ended is told before what began in one transition`);
      opened ||= opening;
      const executionId = String(event.detail['execution-id']);
      if (!firstOfExecution.has(executionId)) firstOfExecution.set(executionId, event);
      assert.equal(event.detail.pipeline, 'walk');
      assert.equal(typeof event.detail.version, 'number');
      if (event['detail-type'] === ACTION) assert.ok(event.detail.type && event.detail.region, 'an action event has its type and region');
      events += 1;
    }
  }
  assert.deepEqual(emitted, expected, `seed ${seed}: one event per change of each execution, stage and action attempt`);
  for (const [id, first] of firstOfExecution) assert.deepEqual([first['detail-type'], first.detail.state], [EXECUTION, 'STARTED'], `seed ${seed}: ${id} begins with its STARTED event`);
  return { changes, events };
}

test('random pipeline walks: every change of an execution, stage or action attempt is one event, in order', () => {
  let total = 0;
  for (let seed = 1; seed <= 40; seed += 1) total += walk(seed, 120).events;
  assert.ok(total > 1000, `the walks produced events (${total})`);
});
