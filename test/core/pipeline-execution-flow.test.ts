import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunActionEffect } from '../../src/core/pipeline-execution.js';
import { action, definition, Driver, threeStages } from './pipeline-execution-fixtures.js';

const runEffect = (effects: readonly unknown[]) => effects.find((e): e is RunActionEffect => (e as RunActionEffect).type === 'RUN_ACTION');

test('a started execution runs its first stage at once and ends Succeeded after the last stage', () => {
  const d = new Driver(threeStages());
  assert.deepEqual(Driver.runs(d.start('e1')), ['e1:Source/Source#1']);
  assert.equal(d.status('e1'), 'InProgress');
  assert.deepEqual(Driver.runs(d.succeed('e1', 'Source', 'Source')), ['e1:Build/Build#1']);
  assert.deepEqual(Driver.runs(d.succeed('e1', 'Build', 'Build')), ['e1:Deploy/Deploy#1']);
  const last = d.succeed('e1', 'Deploy', 'Deploy');
  assert.deepEqual(last, [{ type: 'EXECUTION_ENDED', executionId: 'e1', status: 'Succeeded' }]);
  assert.deepEqual(Object.values(d.exec('e1').stages).map((s) => s.status), ['Succeeded', 'Succeeded', 'Succeeded']);
});

test('run-order groups run in ascending order and actions with the same runOrder run in parallel (numbers need not be contiguous)', () => {
  const def = definition({
    Source: [action('Source', 'CodeCommit', { outputArtifacts: ['S'] })],
    Test: [
      action('Lint', 'CodeBuild', { runOrder: 5, inputArtifacts: ['S'] }),
      action('Unit', 'CodeBuild', { runOrder: 1, inputArtifacts: ['S'] }),
      action('Types', 'CodeBuild', { runOrder: 1, inputArtifacts: ['S'] }),
      action('E2e', 'CodeBuild', { runOrder: 9, inputArtifacts: ['S'] }),
    ],
  });
  const d = new Driver(def);
  d.start('e1');
  assert.deepEqual(Driver.runs(d.succeed('e1', 'Source', 'Source')), ['e1:Test/Unit#1', 'e1:Test/Types#1']);
  assert.deepEqual(d.succeed('e1', 'Test', 'Unit'), [], 'the group waits for all its actions');
  assert.deepEqual(Driver.runs(d.succeed('e1', 'Test', 'Types')), ['e1:Test/Lint#1']);
  assert.deepEqual(Driver.runs(d.succeed('e1', 'Test', 'Lint')), ['e1:Test/E2e#1']);
  d.succeed('e1', 'Test', 'E2e');
  assert.equal(d.status('e1'), 'Succeeded');
});

test('the first failure means later run-order groups do not start; the stage and execution fail once in-flight actions end', () => {
  const def = definition({
    Source: [action('Source', 'CodeCommit', { outputArtifacts: ['S'] })],
    Test: [action('A', 'CodeBuild', { inputArtifacts: ['S'] }), action('B', 'CodeBuild', { inputArtifacts: ['S'] }), action('Later', 'CodeBuild', { runOrder: 2, inputArtifacts: ['S'] })],
  });
  const d = new Driver(def);
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  assert.deepEqual(d.fail('e1', 'Test', 'A', 'tests failed'), []);
  assert.equal(d.status('e1'), 'InProgress', 'B is still in flight');
  assert.equal(d.exec('e1').stages.Test?.status, 'InProgress');
  const end = d.succeed('e1', 'Test', 'B');
  assert.deepEqual(Driver.runs(end), [], 'Later never starts');
  assert.equal(d.status('e1'), 'Failed');
  assert.equal(d.exec('e1').stages.Test?.status, 'Failed');
  assert.match(d.exec('e1').statusSummary ?? '', /Stage Test failed: action A: tests failed/);
  assert.deepEqual(end.at(-1), { type: 'EXECUTION_ENDED', executionId: 'e1', status: 'Failed', statusSummary: 'Stage Test failed: action A: tests failed' });
});

test('RUN_ACTION gets the keys of its input artifacts from earlier outputs of the same execution', () => {
  const d = new Driver(threeStages());
  d.start('e1');
  const build = runEffect(d.succeed('e1', 'Source', 'Source'));
  assert.deepEqual(build?.inputArtifacts, { SourceArtifact: 'e1/SourceArtifact/1' });
  assert.equal(build?.primaryInput, 'SourceArtifact');
  assert.deepEqual(build?.outputArtifactNames, ['BuildArtifact']);
  assert.equal(build?.namespace, 'BuildVariables');
  assert.deepEqual(build?.actionTypeId, { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' });
  const deploy = runEffect(d.succeed('e1', 'Build', 'Build'));
  assert.deepEqual(deploy?.inputArtifacts, { BuildArtifact: 'e1/BuildArtifact/1' });
});

test('PrimarySource chooses the primary input among several', () => {
  const def = definition({
    Source: [action('A', 'CodeCommit', { outputArtifacts: ['One'] }), action('B', 'CodeCommit', { outputArtifacts: ['Two'] })],
    Build: [action('Build', 'CodeBuild', { inputArtifacts: ['One', 'Two'], configuration: { PrimarySource: 'Two' } })],
  });
  const d = new Driver(def);
  assert.deepEqual(Driver.runs(d.start('e1')), ['e1:Source/A#1', 'e1:Source/B#1'], 'multiple source actions all run');
  d.succeed('e1', 'Source', 'A');
  const build = runEffect(d.succeed('e1', 'Source', 'B'));
  assert.equal(build?.primaryInput, 'Two');
  assert.deepEqual(build?.inputArtifacts, { One: 'e1/One/1', Two: 'e1/Two/1' });
});

test('#{codepipeline.PipelineExecutionId} resolves to the execution id', () => {
  const def = definition({
    Source: [action('Source', 'CodeCommit', { outputArtifacts: ['S'] })],
    Build: [action('Build', 'CodeBuild', { inputArtifacts: ['S'], configuration: { ProjectName: 'p', EnvironmentVariables: '[{"name":"RUN","value":"#{codepipeline.PipelineExecutionId}"}]' } })],
  });
  const d = new Driver(def);
  d.start('exec-42');
  const build = runEffect(d.succeed('exec-42', 'Source', 'Source'));
  assert.equal(build?.configuration.EnvironmentVariables, '[{"name":"RUN","value":"exec-42"}]');
});

test('#{variables.<name>} takes the definition default, overridden by the START variables', () => {
  const def = definition(
    {
      Source: [action('Source', 'CodeCommit', { outputArtifacts: ['S'], configuration: { BranchName: '#{variables.branch}' } })],
      Deploy: [action('Deploy', 'CodeDeploy', { inputArtifacts: ['S'], configuration: { DeploymentGroupName: '#{variables.env}-web' } })],
    },
    { variables: [{ name: 'env', defaultValue: 'dev', description: undefined }, { name: 'branch', defaultValue: 'main', description: undefined }] },
  );
  const d = new Driver(def);
  assert.equal(runEffect(d.start('e1'))?.configuration.BranchName, 'main');
  assert.equal(runEffect(d.succeed('e1', 'Source', 'Source'))?.configuration.DeploymentGroupName, 'dev-web');
  const d2 = new Driver(def);
  d2.start('e2', { env: 'prod' });
  assert.equal(runEffect(d2.succeed('e2', 'Source', 'Source'))?.configuration.DeploymentGroupName, 'prod-web');
  assert.deepEqual(d2.exec('e2').variables, { env: 'prod', branch: 'main' });
});

test('START with a variable the pipeline does not declare is refused and changes nothing', () => {
  const d = new Driver(threeStages());
  const before = d.runtime;
  const t = d.send({ type: 'START', executionId: 'e1', trigger: { type: 'Manual' }, variables: { nope: '1' } });
  assert.equal(t.error?.code, 'PIPELINE_INVALID_INPUT');
  assert.equal(t.error?.awsException, 'ValidationException');
  assert.equal(t.runtime, before);
  assert.deepEqual(t.effects, []);
});

test('START with an execution id that exists is refused', () => {
  const d = new Driver(threeStages());
  d.start('e1');
  assert.equal(d.send({ type: 'START', executionId: 'e1', trigger: { type: 'Manual' }, variables: {} }).error?.code, 'PIPELINE_EXECUTION_EXISTS');
});

test('#{<namespace>.<variable>} resolves from the output variables of an earlier action', () => {
  const def = threeStages();
  const withVars = definition({
    Source: def.stages[0]?.actions ?? [],
    Build: [action('Build', 'CodeBuild', { inputArtifacts: ['SourceArtifact'], namespace: 'BuildVariables', configuration: { ProjectName: 'p', EnvironmentVariables: '#{SourceVariables.CommitId}' } })],
    Deploy: [action('Deploy', 'CodeDeploy', { configuration: { DeploymentGroupName: 'g-#{BuildVariables.IMAGE_TAG}', Description: '#{SourceVariables.BranchName}' } })],
  });
  const d = new Driver(withVars);
  d.start('e1');
  assert.equal(runEffect(d.succeed('e1', 'Source', 'Source', { CommitId: 'abc123', BranchName: 'main' }))?.configuration.EnvironmentVariables, 'abc123');
  const deploy = runEffect(d.succeed('e1', 'Build', 'Build', { IMAGE_TAG: 'v7' }));
  assert.deepEqual(deploy?.configuration, { DeploymentGroupName: 'g-v7', Description: 'main' });
});

test('variables in the commands of a Commands action are resolved too', () => {
  const def = definition({
    Source: [action('Source', 'CodeCommit', { outputArtifacts: ['S'], namespace: 'Src' })],
    Run: [action('Run', 'CodeBuild', { inputArtifacts: ['S'], commands: ['echo #{Src.CommitId}', 'echo #{codepipeline.PipelineExecutionId}'] })],
  });
  const d = new Driver(def);
  d.start('e1');
  assert.deepEqual(runEffect(d.succeed('e1', 'Source', 'Source', { CommitId: 'c1' }))?.commands, ['echo c1', 'echo e1']);
});

test('an unresolvable variable reference fails the action with a message naming it, instead of running it', () => {
  const def = definition({
    Source: [action('Source', 'CodeCommit', { outputArtifacts: ['S'], namespace: 'Src' })],
    Build: [action('Build', 'CodeBuild', { inputArtifacts: ['S'], configuration: { ProjectName: '#{Src.Missing}' } })],
  });
  const d = new Driver(def);
  d.start('e1');
  const effects = d.succeed('e1', 'Source', 'Source', { CommitId: 'c1' });
  assert.deepEqual(Driver.runs(effects), []);
  assert.equal(d.status('e1'), 'Failed');
  const build = d.exec('e1').actions.find((r) => r.action === 'Build');
  assert.equal(build?.status, 'Failed');
  assert.equal(build?.errorDetails?.code, 'ConfigurationError');
  assert.match(build?.errorDetails?.message ?? '', /#\{Src\.Missing\}.*namespace Src has no variable Missing/);
});

test('a namespace is referenceable only from actions that run strictly after its producer (not the same runOrder)', () => {
  const def = definition({
    Source: [action('Source', 'CodeCommit', { outputArtifacts: ['S'] })],
    Build: [
      action('First', 'CodeBuild', { inputArtifacts: ['S'], namespace: 'First' }),
      action('Peer', 'CodeBuild', { inputArtifacts: ['S'], configuration: { X: '#{First.V}' } }),
    ],
  });
  const d = new Driver(def);
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  const peer = d.exec('e1').actions.find((r) => r.action === 'Peer');
  assert.equal(peer?.status, 'Failed');
  assert.match(peer?.errorDetails?.message ?? '', /no action with namespace First runs before this action/);
});

test('unknown pipeline variables and codepipeline variables are unresolvable', () => {
  const def = definition({
    Source: [action('Source', 'CodeCommit', { outputArtifacts: ['S'], configuration: { A: '#{variables.nope}' } }), action('Other', 'CodeCommit', { outputArtifacts: ['T'], configuration: { B: '#{codepipeline.PipelineName}' } })],
    Build: [action('Build', 'CodeBuild', { inputArtifacts: ['S'] })],
  });
  const d = new Driver(def);
  assert.deepEqual(Driver.runs(d.start('e1')), []);
  const [a, b] = d.exec('e1').actions;
  assert.match(a?.errorDetails?.message ?? '', /configuration A: unresolved variable reference #\{variables\.nope\}/);
  assert.match(b?.errorDetails?.message ?? '', /codepipeline has no variable PipelineName/);
  assert.equal(d.status('e1'), 'Failed');
});

test('a configuration value longer than 1000 characters after substitution fails the action', () => {
  const def = definition(
    { Source: [action('Source', 'CodeCommit', { outputArtifacts: ['S'], configuration: { A: '#{variables.big}' } })], Build: [action('Build', 'CodeBuild', { inputArtifacts: ['S'] })] },
    { variables: [{ name: 'big', defaultValue: 'x'.repeat(1001), description: undefined }] },
  );
  const d = new Driver(def);
  d.start('e1');
  assert.match(d.exec('e1').actions[0]?.errorDetails?.message ?? '', /1001 characters after variable substitution/);
});

test('a result for an attempt that is not running is refused and changes nothing (a duplicate delivery)', () => {
  const d = new Driver(threeStages());
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  const before = d.runtime;
  const again = d.send({ type: 'ACTION_SUCCEEDED', executionId: 'e1', stage: 'Source', action: 'Source', attempt: 1, outputArtifacts: {}, outputVariables: {} });
  assert.equal(again.error?.code, 'PIPELINE_ACTION_NOT_IN_PROGRESS');
  assert.equal(again.runtime, before);
  assert.equal(d.send({ type: 'ACTION_FAILED', executionId: 'nope', stage: 'Source', action: 'Source', attempt: 1, message: 'x' }).error?.code, 'PIPELINE_EXECUTION_NOT_FOUND');
  assert.equal(d.send({ type: 'ACTION_FAILED', executionId: 'e1', stage: 'Build', action: 'Nope', attempt: 1, message: 'x' }).error?.code, 'PIPELINE_ACTION_NOT_FOUND');
});

test('the reducer never changes the runtime it is given', () => {
  const d = new Driver(threeStages());
  d.start('e1');
  const before = JSON.stringify(d.runtime);
  const frozen = d.runtime;
  d.succeed('e1', 'Source', 'Source');
  assert.equal(JSON.stringify(frozen), before);
});
