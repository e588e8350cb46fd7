import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Driver, threeStages } from './pipeline-execution-fixtures.js';

test('SUPERSEDED: a stage holds one execution; the next one waits in front of it', () => {
  const d = new Driver(threeStages('SUPERSEDED'));
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  d.start('e2');
  assert.deepEqual(Driver.runs(d.succeed('e2', 'Source', 'Source')), [], 'Build is locked by e1');
  assert.equal(d.exec('e2').waiting, true);
  assert.equal(d.exec('e2').stageIndex, 1);
  assert.deepEqual(Driver.runs(d.succeed('e1', 'Build', 'Build')), ['e1:Deploy/Deploy#1', 'e2:Build/Build#1'], 'e1 leaving Build lets e2 in');
});

test('SUPERSEDED: a newer execution arriving in front of a locked stage replaces the waiting one, which becomes Superseded', () => {
  const d = new Driver(threeStages('SUPERSEDED'));
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  d.start('e2');
  d.succeed('e2', 'Source', 'Source');
  d.start('e3');
  const effects = d.succeed('e3', 'Source', 'Source');
  assert.deepEqual(effects, [{ type: 'EXECUTION_ENDED', executionId: 'e2', status: 'Superseded', statusSummary: 'Superseded by execution e3' }]);
  assert.equal(d.status('e2'), 'Superseded');
  assert.equal(d.status('e3'), 'InProgress');
  d.succeed('e1', 'Build', 'Build');
  assert.equal(d.exec('e3').waiting, false, 'e3 entered Build');
});

test('SUPERSEDED: superseding happens only between stages, never to an execution inside a stage', () => {
  const d = new Driver(threeStages('SUPERSEDED'));
  d.start('e1');
  d.start('e2');
  d.start('e3');
  assert.equal(d.status('e1'), 'InProgress', 'e1 is inside Source');
  assert.equal(d.status('e2'), 'Superseded', 'e2 waited in front of Source');
  assert.equal(d.exec('e3').waiting, true);
  d.succeed('e1', 'Source', 'Source');
  assert.equal(d.exec('e3').waiting, false);
});

test('SUPERSEDED: at most one execution waits in front of a locked stage', () => {
  const d = new Driver(threeStages('SUPERSEDED'));
  for (let i = 1; i <= 6; i += 1) d.start(`e${i}`);
  const waiting = d.runtime.executions.filter((e) => e.status === 'InProgress' && e.waiting);
  assert.deepEqual(waiting.map((e) => e.pipelineExecutionId), ['e6']);
});

test('SUPERSEDED: a failed execution unlocks the stage', () => {
  const d = new Driver(threeStages('SUPERSEDED'));
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  d.start('e2');
  d.succeed('e2', 'Source', 'Source');
  assert.deepEqual(Driver.runs(d.fail('e1', 'Build', 'Build')), ['e2:Build/Build#1']);
  assert.equal(d.status('e1'), 'Failed');
});

test('SUPERSEDED: a newer execution entering a failed stage makes the failed one non-retryable', () => {
  const d = new Driver(threeStages('SUPERSEDED'));
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  d.fail('e1', 'Build', 'Build');
  d.start('e2');
  d.succeed('e2', 'Source', 'Source');
  const t = d.send({ type: 'RETRY_STAGE', executionId: 'e1', stage: 'Build', mode: 'FAILED_ACTIONS' });
  assert.equal(t.error?.code, 'PIPELINE_STAGE_NOT_RETRYABLE');
  assert.match(t.error?.message ?? '', /a newer execution \(e2\) has entered the stage/);
});

test('QUEUED: waiting executions queue in order and none is superseded; there is no queue length limit (decision 19)', () => {
  const d = new Driver(threeStages('QUEUED'));
  for (let i = 1; i <= 30; i += 1) d.start(`e${i}`);
  assert.equal(d.runtime.executions.filter((e) => e.status === 'Superseded').length, 0);
  const order: string[] = [];
  for (let i = 1; i <= 30; i += 1) {
    const running = d.runtime.executions.filter((e) => e.status === 'InProgress' && !e.waiting && e.stageIndex === 0);
    assert.equal(running.length, 1, 'Source holds one execution');
    const id = running[0]?.pipelineExecutionId ?? '';
    order.push(id);
    d.succeed(id, 'Source', 'Source');
  }
  assert.deepEqual(order, Array.from({ length: 30 }, (_, i) => `e${i + 1}`));
  const waitingForBuild = d.runtime.executions.filter((e) => e.waiting && e.stageIndex === 1).map((e) => e.arrivedSeq);
  assert.equal(waitingForBuild.length, 29, 'e1 is in Build, the rest queue in front of it');
  assert.deepEqual(waitingForBuild, [...waitingForBuild].sort((a, b) => a - b));
});

test('QUEUED: executions go through each stage one at a time, in order of arrival', () => {
  const d = new Driver(threeStages('QUEUED'));
  d.start('e1');
  d.start('e2');
  d.succeed('e1', 'Source', 'Source');
  d.succeed('e2', 'Source', 'Source');
  d.start('e3');
  d.succeed('e3', 'Source', 'Source');
  assert.deepEqual(Driver.runs(d.succeed('e1', 'Build', 'Build')), ['e1:Deploy/Deploy#1', 'e2:Build/Build#1']);
  assert.deepEqual(Driver.runs(d.succeed('e2', 'Build', 'Build')), ['e3:Build/Build#1'], 'e2 waits for Deploy; e3 enters Build');
  d.succeed('e1', 'Deploy', 'Deploy');
  assert.equal(d.exec('e2').waiting, false);
});

test('PARALLEL: executions run simultaneously and independently, with no stage locks', () => {
  const d = new Driver(threeStages('PARALLEL'));
  assert.deepEqual(Driver.runs(d.start('e1')), ['e1:Source/Source#1']);
  assert.deepEqual(Driver.runs(d.start('e2')), ['e2:Source/Source#1']);
  assert.deepEqual(Driver.runs(d.start('e3')), ['e3:Source/Source#1']);
  d.fail('e2', 'Source', 'Source');
  d.succeed('e3', 'Source', 'Source');
  d.succeed('e1', 'Source', 'Source');
  assert.deepEqual(d.runtime.executions.map((e) => e.status), ['InProgress', 'Failed', 'InProgress']);
  assert.equal(d.exec('e1').waiting || d.exec('e3').waiting, false, 'both are in Build at once');
  assert.equal(d.exec('e1').executionMode, 'PARALLEL');
});

test('a disabled inbound transition holds the arriving execution in front of the stage', () => {
  const d = new Driver(threeStages('SUPERSEDED'));
  d.ok({ type: 'DISABLE_TRANSITION', stage: 'Build', reason: 'freeze', by: 'alice' });
  d.start('e1');
  assert.deepEqual(Driver.runs(d.succeed('e1', 'Source', 'Source')), []);
  assert.equal(d.exec('e1').waiting, true);
  assert.deepEqual(d.runtime.transitions.Build, { enabled: false, disabledReason: 'freeze', lastChangedAt: 1, lastChangedBy: 'alice' });
  assert.deepEqual(Driver.runs(d.ok({ type: 'ENABLE_TRANSITION', stage: 'Build' })), ['e1:Build/Build#1']);
});

test('SUPERSEDED: while a transition is disabled newer arrivals supersede the held one, and on enable only the latest enters', () => {
  const d = new Driver(threeStages('SUPERSEDED'));
  d.ok({ type: 'DISABLE_TRANSITION', stage: 'Build', reason: 'freeze' });
  for (const id of ['e1', 'e2', 'e3']) {
    d.start(id);
    d.succeed(id, 'Source', 'Source');
  }
  assert.deepEqual(d.runtime.executions.map((e) => e.status), ['Superseded', 'Superseded', 'InProgress']);
  assert.deepEqual(Driver.runs(d.ok({ type: 'ENABLE_TRANSITION', stage: 'Build' })), ['e3:Build/Build#1']);
});

test('QUEUED: executions held by a disabled transition enter one by one in order once it is enabled', () => {
  const d = new Driver(threeStages('QUEUED'));
  d.ok({ type: 'DISABLE_TRANSITION', stage: 'Build', reason: 'freeze' });
  for (const id of ['e1', 'e2']) {
    d.start(id);
    d.succeed(id, 'Source', 'Source');
  }
  assert.deepEqual(Driver.runs(d.ok({ type: 'ENABLE_TRANSITION', stage: 'Build' })), ['e1:Build/Build#1']);
  assert.deepEqual(Driver.runs(d.succeed('e1', 'Build', 'Build')), ['e1:Deploy/Deploy#1', 'e2:Build/Build#1']);
});

test('PARALLEL: executions held by a disabled transition all enter once it is enabled', () => {
  const d = new Driver(threeStages('PARALLEL'));
  d.ok({ type: 'DISABLE_TRANSITION', stage: 'Build', reason: 'freeze' });
  for (const id of ['e1', 'e2']) {
    d.start(id);
    d.succeed(id, 'Source', 'Source');
  }
  assert.deepEqual(Driver.runs(d.ok({ type: 'ENABLE_TRANSITION', stage: 'Build' })), ['e1:Build/Build#1', 'e2:Build/Build#1']);
});

test('a disabled transition does not stop an execution already inside the stage', () => {
  const d = new Driver(threeStages());
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  d.ok({ type: 'DISABLE_TRANSITION', stage: 'Build', reason: 'freeze' });
  assert.deepEqual(Driver.runs(d.succeed('e1', 'Build', 'Build')), ['e1:Deploy/Deploy#1']);
});

test('a stopped or failed inbound execution does not enter when the transition is enabled again', () => {
  const d = new Driver(threeStages('QUEUED'));
  d.ok({ type: 'DISABLE_TRANSITION', stage: 'Build', reason: 'freeze' });
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  assert.deepEqual(d.ok({ type: 'STOP', executionId: 'e1', abandon: false, reason: 'not this one' }), [{ type: 'EXECUTION_ENDED', executionId: 'e1', status: 'Stopped', statusSummary: 'not this one' }]);
  assert.deepEqual(Driver.runs(d.ok({ type: 'ENABLE_TRANSITION', stage: 'Build' })), []);
  assert.equal(d.send({ type: 'RETRY_STAGE', executionId: 'e1', stage: 'Build', mode: 'ALL_ACTIONS' }).error?.code, 'PIPELINE_STAGE_NOT_RETRYABLE', 'an inbound execution cannot be retried');
});

test('transitions: an unknown stage and the first stage (no inbound transition) are refused', () => {
  const d = new Driver(threeStages());
  assert.equal(d.send({ type: 'DISABLE_TRANSITION', stage: 'Nope', reason: 'x' }).error?.code, 'PIPELINE_STAGE_NOT_FOUND');
  assert.equal(d.send({ type: 'DISABLE_TRANSITION', stage: 'Source', reason: 'x' }).error?.code, 'PIPELINE_INVALID_INPUT');
});
