import assert from 'node:assert/strict';
import { test } from 'node:test';
import { definition, action, Driver, threeStages } from './pipeline-execution-fixtures.js';

const parallelBuild = () =>
  definition({
    Source: [action('Source', 'CodeCommit', { outputArtifacts: ['S'] })],
    Test: [action('A', 'CodeBuild', { inputArtifacts: ['S'] }), action('B', 'CodeBuild', { inputArtifacts: ['S'] }), action('C', 'CodeBuild', { runOrder: 2, inputArtifacts: ['S'] })],
  });

test('stop and wait: the execution is Stopping until in-flight actions end, then Stopped, and no later group starts', () => {
  const d = new Driver(parallelBuild());
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  assert.deepEqual(d.ok({ type: 'STOP', executionId: 'e1', abandon: false, reason: 'enough' }), []);
  assert.equal(d.status('e1'), 'Stopping');
  assert.equal(d.exec('e1').stages.Test?.status, 'Stopping');
  assert.deepEqual(d.succeed('e1', 'Test', 'A'), []);
  const end = d.succeed('e1', 'Test', 'B');
  assert.deepEqual(end, [{ type: 'EXECUTION_ENDED', executionId: 'e1', status: 'Stopped', statusSummary: 'enough' }]);
  assert.equal(d.exec('e1').stages.Test?.status, 'Stopped');
});

test('stop and wait twice is a duplicated stop request; stop and abandon may follow it', () => {
  const d = new Driver(parallelBuild());
  d.start('e1');
  d.ok({ type: 'STOP', executionId: 'e1', abandon: false, reason: 'r' });
  assert.equal(d.send({ type: 'STOP', executionId: 'e1', abandon: false, reason: 'r' }).error?.code, 'PIPELINE_DUPLICATED_STOP_REQUEST');
  const effects = d.ok({ type: 'STOP', executionId: 'e1', abandon: true, reason: 'now' });
  assert.deepEqual(effects, [
    { type: 'ABANDON_ACTION', executionId: 'e1', stage: 'Source', action: 'Source', attempt: 1 },
    { type: 'EXECUTION_ENDED', executionId: 'e1', status: 'Stopped', statusSummary: 'now' },
  ]);
});

test('stop and abandon: in-flight actions become Abandoned (ABANDON_ACTION) and the execution Stopped at once', () => {
  const d = new Driver(parallelBuild());
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  const effects = d.ok({ type: 'STOP', executionId: 'e1', abandon: true, reason: 'bad commit' });
  assert.deepEqual(effects.map((e) => e.type), ['ABANDON_ACTION', 'ABANDON_ACTION', 'EXECUTION_ENDED']);
  assert.deepEqual(d.exec('e1').actions.map((r) => `${r.action}:${r.status}`), ['Source:Succeeded', 'A:Abandoned', 'B:Abandoned']);
  assert.equal(d.status('e1'), 'Stopped');
  assert.deepEqual(d.exec('e1').stopTrigger, { reason: 'bad commit' });
  const late = d.send({ type: 'ACTION_SUCCEEDED', executionId: 'e1', stage: 'Test', action: 'A', attempt: 1, outputArtifacts: {}, outputVariables: {} });
  assert.equal(late.error?.code, 'PIPELINE_ACTION_NOT_IN_PROGRESS', 'the abandoned build reporting later is refused');
});

test('a stopped execution unlocks the stage', () => {
  const d = new Driver(threeStages());
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  d.start('e2');
  d.succeed('e2', 'Source', 'Source');
  const effects = d.ok({ type: 'STOP', executionId: 'e1', abandon: true, reason: 'r' });
  assert.deepEqual(Driver.runs(effects), ['e2:Build/Build#1']);
});

test('an ended execution cannot be stopped; an unknown one is not found', () => {
  const d = new Driver(threeStages());
  d.start('e1');
  d.runThrough('e1');
  assert.equal(d.send({ type: 'STOP', executionId: 'e1', abandon: true, reason: 'r' }).error?.code, 'PIPELINE_EXECUTION_NOT_STOPPABLE');
  assert.equal(d.send({ type: 'STOP', executionId: 'zz', abandon: true, reason: 'r' }).error?.code, 'PIPELINE_EXECUTION_NOT_FOUND');
});

test('retry FAILED_ACTIONS re-runs only the failed actions as their next attempt, then the stage goes on', () => {
  const d = new Driver(parallelBuild());
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  d.succeed('e1', 'Test', 'A');
  d.fail('e1', 'Test', 'B');
  assert.equal(d.status('e1'), 'Failed');
  const effects = d.ok({ type: 'RETRY_STAGE', executionId: 'e1', stage: 'Test', mode: 'FAILED_ACTIONS' });
  assert.deepEqual(Driver.runs(effects), ['e1:Test/B#2']);
  assert.equal(d.status('e1'), 'InProgress');
  assert.equal(d.exec('e1').stages.Test?.status, 'InProgress');
  assert.deepEqual(Driver.runs(d.succeed('e1', 'Test', 'B')), ['e1:Test/C#1']);
  d.succeed('e1', 'Test', 'C');
  assert.equal(d.status('e1'), 'Succeeded');
  assert.deepEqual(d.exec('e1').actions.filter((r) => r.action === 'B').map((r) => r.status), ['Failed', 'Succeeded'], 'history is kept');
});

test('retry ALL_ACTIONS restarts the stage from its first run-order group', () => {
  const d = new Driver(parallelBuild());
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  d.succeed('e1', 'Test', 'A');
  d.succeed('e1', 'Test', 'B');
  d.fail('e1', 'Test', 'C');
  const effects = d.ok({ type: 'RETRY_STAGE', executionId: 'e1', stage: 'Test', mode: 'ALL_ACTIONS' });
  assert.deepEqual(Driver.runs(effects), ['e1:Test/A#2', 'e1:Test/B#2']);
  assert.equal(d.exec('e1').stages.Test?.run, 2);
});

test('retry is refused for a stage that did not fail, a superseded execution, an unknown stage, or after the pipeline was updated', () => {
  const d = new Driver(threeStages());
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  d.fail('e1', 'Build', 'Build');
  assert.equal(d.send({ type: 'RETRY_STAGE', executionId: 'e1', stage: 'Source', mode: 'FAILED_ACTIONS' }).error?.code, 'PIPELINE_STAGE_NOT_RETRYABLE');
  assert.equal(d.send({ type: 'RETRY_STAGE', executionId: 'e1', stage: 'Nope', mode: 'FAILED_ACTIONS' }).error?.code, 'PIPELINE_STAGE_NOT_FOUND');
  assert.equal(d.send({ type: 'RETRY_STAGE', executionId: 'zz', stage: 'Build', mode: 'FAILED_ACTIONS' }).error?.code, 'PIPELINE_EXECUTION_NOT_FOUND');
  d.start('e2');
  assert.equal(d.send({ type: 'RETRY_STAGE', executionId: 'e2', stage: 'Source', mode: 'FAILED_ACTIONS' }).error?.code, 'PIPELINE_STAGE_NOT_RETRYABLE', 'an InProgress execution');
  d.start('e3');
  d.start('e4');
  assert.equal(d.status('e3'), 'Superseded');
  assert.match(d.send({ type: 'RETRY_STAGE', executionId: 'e3', stage: 'Source', mode: 'FAILED_ACTIONS' }).error?.message ?? '', /superseded/);
  d.ok({ type: 'DEFINITION_UPDATED', definition: { ...threeStages(), version: 2 } });
  assert.match(d.send({ type: 'RETRY_STAGE', executionId: 'e1', stage: 'Build', mode: 'ALL_ACTIONS' }).error?.message ?? '', /pipeline was updated/);
});

test('a retried action gets the artifacts of the same execution and overwrites its own outputs', () => {
  const d = new Driver(threeStages());
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  d.fail('e1', 'Build', 'Build');
  const [run] = d.ok({ type: 'RETRY_STAGE', executionId: 'e1', stage: 'Build', mode: 'FAILED_ACTIONS' });
  assert.equal(run?.type === 'RUN_ACTION' ? run.inputArtifacts.SourceArtifact : undefined, 'e1/SourceArtifact/1');
  d.succeed('e1', 'Build', 'Build');
  d.succeed('e1', 'Deploy', 'Deploy');
  assert.equal(d.status('e1'), 'Succeeded');
  assert.equal(d.exec('e1').artifacts.BuildArtifact, 'e1/BuildArtifact/2');
});

test('a stopped execution can be retried (FAILED_ACTIONS re-runs its abandoned actions)', () => {
  const d = new Driver(threeStages());
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  d.ok({ type: 'STOP', executionId: 'e1', abandon: true, reason: 'oops' });
  assert.deepEqual(Driver.runs(d.ok({ type: 'RETRY_STAGE', executionId: 'e1', stage: 'Build', mode: 'FAILED_ACTIONS' })), ['e1:Build/Build#2']);
  assert.equal(d.exec('e1').stopTrigger, undefined);
});

test('retry is refused while another execution holds the stage', () => {
  const d = new Driver(threeStages('QUEUED'));
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  d.fail('e1', 'Build', 'Build');
  d.start('e2');
  d.succeed('e2', 'Source', 'Source');
  assert.equal(d.send({ type: 'RETRY_STAGE', executionId: 'e1', stage: 'Build', mode: 'FAILED_ACTIONS' }).error?.code, 'PIPELINE_STAGE_NOT_RETRYABLE');
});

test('PARALLEL: a failed stage can be retried while other executions run it', () => {
  const d = new Driver(threeStages('PARALLEL'));
  d.start('e1');
  d.start('e2');
  d.succeed('e1', 'Source', 'Source');
  d.succeed('e2', 'Source', 'Source');
  d.fail('e1', 'Build', 'Build');
  assert.deepEqual(Driver.runs(d.ok({ type: 'RETRY_STAGE', executionId: 'e1', stage: 'Build', mode: 'FAILED_ACTIONS' })), ['e1:Build/Build#2']);
});

test('DEFINITION_UPDATED: executions not yet started are Cancelled; running ones finish on the old version', () => {
  const d = new Driver(threeStages('QUEUED'));
  d.start('e1');
  d.start('e2');
  d.start('e3');
  const v2 = definition({ Source: threeStages().stages[0]?.actions ?? [], Ship: [action('Ship', 'CodeDeploy', { inputArtifacts: ['SourceArtifact'] })] }, { version: 2, executionMode: 'QUEUED' });
  const effects = d.ok({ type: 'DEFINITION_UPDATED', definition: v2 });
  assert.deepEqual(effects.map((e) => e.type === 'EXECUTION_ENDED' && `${e.executionId}:${e.status}`), ['e2:Cancelled', 'e3:Cancelled']);
  assert.equal(d.status('e1'), 'InProgress');
  assert.deepEqual(Driver.runs(d.succeed('e1', 'Source', 'Source')), ['e1:Build/Build#1'], 'e1 keeps the stages of version 1');
  assert.equal(d.exec('e1').definition.version, 1);
  d.start('e4');
  assert.deepEqual(Driver.runs(d.succeed('e4', 'Source', 'Source')), ['e4:Ship/Ship#1']);
  assert.equal(d.exec('e4').definition.version, 2);
});

test('DEFINITION_UPDATED: an execution waiting between later stages is not cancelled', () => {
  const d = new Driver(threeStages('QUEUED'));
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  d.start('e2');
  d.succeed('e2', 'Source', 'Source');
  d.ok({ type: 'DEFINITION_UPDATED', definition: { ...threeStages('QUEUED'), version: 2 } });
  assert.equal(d.status('e2'), 'InProgress');
});
