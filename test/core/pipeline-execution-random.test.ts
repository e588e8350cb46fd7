import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExecutionMode } from '../../src/core/pipeline.js';
import { ENDED_STATUSES, pendingEffects, type PipelineEffect, type PipelineRuntime } from '../../src/core/pipeline-execution.js';
import { action, definition, Driver } from './pipeline-execution-fixtures.js';

/** mulberry32: a small seeded generator, so every run walks the same paths. */
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

const STAGES = ['Source', 'Build', 'Approve', 'Deploy'];
const walkDefinition = (executionMode: ExecutionMode, version = 1) =>
  definition(
    {
      Source: [action('Source', 'CodeCommit', { outputArtifacts: ['S'], namespace: 'Src' })],
      Build: [action('Unit', 'CodeBuild', { inputArtifacts: ['S'], outputArtifacts: ['B'] }), action('Lint', 'CodeBuild', { inputArtifacts: ['S'] }), action('Pack', 'CodeBuild', { runOrder: 2, inputArtifacts: ['B'], configuration: { Tag: '#{Src.CommitId}' } })],
      Approve: [action('Review', 'Manual', { timeoutInMinutes: 5 })],
      Deploy: [action('Deploy', 'CodeDeploy', { inputArtifacts: ['B'] })],
    },
    { executionMode, version },
  );

const key = (e: PipelineEffect) => (e.type === 'RUN_ACTION' || e.type === 'REQUEST_APPROVAL' ? `${e.executionId}/${e.stage}/${e.action}/${e.attempt}` : '');

function checkInvariants(rt: PipelineRuntime, mode: ExecutionMode): void {
  const active = rt.executions.filter((e) => e.status === 'InProgress' || e.status === 'Stopping');
  for (const stage of STAGES) {
    const inside = active.filter((e) => !e.waiting && e.definition.stages[e.stageIndex]?.name === stage && ['InProgress', 'Stopping'].includes(e.stages[stage]?.status ?? ''));
    const waiting = active.filter((e) => e.waiting && e.definition.stages[e.stageIndex]?.name === stage);
    if (mode !== 'PARALLEL') assert.ok(inside.length <= 1, `at most one execution in ${stage} (${mode})`);
    if (mode === 'SUPERSEDED') assert.ok(waiting.length <= 1, `at most one execution waits in front of ${stage}`);
  }
  for (const exec of rt.executions) {
    const running = exec.actions.filter((r) => r.status === 'InProgress');
    if (!active.includes(exec)) assert.equal(running.length, 0, `ended ${exec.pipelineExecutionId} has no running action`);
  }
}

/** Statuses reached by the walks: the walk must reach each one to mean anything. */
const seen = new Set<string>();

function walk(mode: ExecutionMode, seed: number, steps: number): void {
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(random() * items.length)];
  const d = new Driver(walkDefinition(mode));
  const emitted = new Map<string, PipelineEffect>();
  let executions = 0;
  let version = 1;

  const apply = (input: Parameters<Driver['send']>[0]) => {
    const before = d.runtime;
    const ended = new Map(before.executions.filter((e) => ENDED_STATUSES.includes(e.status)).map((e) => [e.pipelineExecutionId, JSON.stringify(e)]));
    const t = d.send(input);
    if (t.error) {
      assert.equal(t.runtime, before, 'a refused event changes nothing');
      assert.deepEqual(t.effects, []);
      return;
    }
    for (const effect of t.effects) {
      const k = key(effect);
      if (!k) continue;
      assert.ok(!emitted.has(k), `no action runs twice for the same attempt: ${k}`);
      emitted.set(k, effect);
    }
    for (const [id, json] of ended) {
      const now = t.runtime.executions.find((e) => e.pipelineExecutionId === id);
      const retried = input.type === 'RETRY_STAGE' && input.executionId === id;
      if (!retried) assert.equal(JSON.stringify(now), json, `ended execution ${id} never changes (event ${input.type})`);
    }
    checkInvariants(t.runtime, mode);
    const pending = pendingEffects(t.runtime);
    assert.deepEqual(pending, pending.map((p) => emitted.get(key(p))), 'every pending effect is the one that was emitted');
    assert.equal(JSON.stringify(JSON.parse(JSON.stringify(t.runtime))), JSON.stringify(t.runtime));
  };

  for (let i = 0; i < steps; i += 1) {
    const pending = pendingEffects(d.runtime);
    const effect = pick(pending);
    const exec = pick(d.runtime.executions);
    const r = random();
    if (r < 0.15) {
      executions += 1;
      apply({ type: 'START', executionId: `e${executions}`, trigger: { type: 'Manual' }, variables: {} });
    } else if (r < 0.55 && effect?.type === 'RUN_ACTION') {
      const ok = random() < 0.8;
      apply(
        ok
          ? { type: 'ACTION_SUCCEEDED', executionId: effect.executionId, stage: effect.stage, action: effect.action, attempt: effect.attempt, outputArtifacts: Object.fromEntries(effect.outputArtifactNames.map((n) => [n, `k${i}`])), outputVariables: { CommitId: `c${i}` } }
          : { type: 'ACTION_FAILED', executionId: effect.executionId, stage: effect.stage, action: effect.action, attempt: effect.attempt, message: 'boom' },
      );
    } else if (r < 0.65 && effect?.type === 'REQUEST_APPROVAL') {
      const token = random() < 0.1 ? 'forged' : effect.token;
      apply({ type: 'APPROVAL_RESULT', stage: effect.stage, action: effect.action, token, status: random() < 0.8 ? 'Approved' : 'Rejected', summary: '', by: 'u' });
    } else if (r < 0.7) {
      apply({ type: 'TIMER', at: d.clock + Math.floor(random() * 400_000) });
    } else if (r < 0.76 && exec) {
      apply({ type: 'STOP', executionId: exec.pipelineExecutionId, abandon: random() < 0.5, reason: 'walk' });
    } else if (r < 0.84 && exec) {
      apply({ type: 'RETRY_STAGE', executionId: exec.pipelineExecutionId, stage: pick(STAGES) ?? 'Build', mode: random() < 0.5 ? 'FAILED_ACTIONS' : 'ALL_ACTIONS' });
    } else if (r < 0.92) {
      const stage = pick(STAGES.slice(1)) ?? 'Build';
      apply(random() < 0.5 ? { type: 'DISABLE_TRANSITION', stage, reason: 'walk' } : { type: 'ENABLE_TRANSITION', stage });
    } else if (r < 0.94) {
      version += 1;
      apply({ type: 'DEFINITION_UPDATED', definition: walkDefinition(mode, version) });
    } else if (effect?.type === 'RUN_ACTION') {
      apply({ type: 'ACTION_SUCCEEDED', executionId: effect.executionId, stage: effect.stage, action: effect.action, attempt: effect.attempt + 1, outputArtifacts: {}, outputVariables: {} });
    }
  }

  // Every RUN_ACTION is eventually resolvable: with transitions open and every action answered, all executions end.
  for (const stage of STAGES.slice(1)) apply({ type: 'ENABLE_TRANSITION', stage });
  for (let guard = 0; guard < 1000; guard += 1) {
    const effect = pendingEffects(d.runtime)[0];
    if (!effect) break;
    if (effect.type === 'RUN_ACTION') {
      apply({ type: 'ACTION_SUCCEEDED', executionId: effect.executionId, stage: effect.stage, action: effect.action, attempt: effect.attempt, outputArtifacts: Object.fromEntries(effect.outputArtifactNames.map((n) => [n, 'k'])), outputVariables: { CommitId: 'c' } });
    } else if (effect.type === 'REQUEST_APPROVAL') {
      apply({ type: 'APPROVAL_RESULT', stage: effect.stage, action: effect.action, token: effect.token, status: 'Approved', summary: '', by: 'u' });
    }
  }
  for (const e of d.runtime.executions) seen.add(e.status);
  const unfinished = d.runtime.executions.filter((e) => !ENDED_STATUSES.includes(e.status));
  assert.deepEqual(unfinished.map((e) => `${e.pipelineExecutionId}:${e.status}`), [], `seed ${seed}: every execution ends`);
}

for (const mode of ['SUPERSEDED', 'QUEUED', 'PARALLEL'] as const) {
  test(`random walk (${mode}): locks hold, no attempt runs twice, ended executions never change, every RUN_ACTION is resolvable`, () => {
    for (let seed = 1; seed <= 8; seed += 1) walk(mode, seed * 7919, 150);
  });
}

test('the random walks reach every execution status', () => {
  assert.deepEqual([...seen].sort(), ['Cancelled', 'Failed', 'Stopped', 'Succeeded', 'Superseded']);
});
