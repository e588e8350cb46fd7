import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actionExecutions, executionSummary, nextDeadline, pendingEffects, stageStates, type RequestApprovalEffect } from '../../src/core/pipeline-execution.js';
import { actionExecutionId } from '../../src/core/pipeline-execution-views.js';
import { action, definition, Driver, threeStages } from './pipeline-execution-fixtures.js';

const DAY = 24 * 60 * 60 * 1000;
const withApproval = (timeoutInMinutes?: number) =>
  definition({
    Source: [action('Source', 'CodeCommit', { outputArtifacts: ['S'], namespace: 'Src' })],
    Approve: [
      action('Review', 'Manual', { timeoutInMinutes, configuration: { CustomData: 'check #{Src.CommitId}', ExternalEntityLink: 'https://example.test/pr/1' } }),
      action('After', 'CodeBuild', { runOrder: 2, inputArtifacts: ['S'] }),
    ],
    Deploy: [action('Deploy', 'CodeDeploy', { inputArtifacts: ['S'] })],
  });

function atApproval(timeoutInMinutes?: number): { d: Driver; request: RequestApprovalEffect } {
  const d = new Driver(withApproval(timeoutInMinutes));
  d.start('e1');
  const request = d.succeed('e1', 'Source', 'Source', { CommitId: 'c1' }).find((e): e is RequestApprovalEffect => e.type === 'REQUEST_APPROVAL');
  assert.ok(request);
  return { d, request };
}

test('a manual approval asks for approval with a token taken from the event nonce and a 7-day default expiry', () => {
  const { d, request } = atApproval();
  assert.deepEqual(request, {
    type: 'REQUEST_APPROVAL',
    executionId: 'e1',
    pipelineName: 'app',
    stage: 'Approve',
    action: 'Review',
    attempt: 1,
    token: 'nonce-2',
    expiresAt: d.clock + 7 * DAY,
    customData: 'check c1',
    externalEntityLink: 'https://example.test/pr/1',
  });
  assert.equal(d.running('e1', 'Approve', 'Review').token, 'nonce-2');
});

test('timeoutInMinutes sets the approval expiry', () => {
  const { d, request } = atApproval(5);
  assert.equal(request.expiresAt, d.clock + 5 * 60_000);
  assert.equal(nextDeadline(d.runtime), request.expiresAt);
});

test('two approvals started by one event get distinct tokens', () => {
  const def = definition({ Source: [action('Source', 'CodeCommit', { outputArtifacts: ['S'] })], Approve: [action('A', 'Manual'), action('B', 'Manual')] });
  const d = new Driver(def);
  d.start('e1');
  const tokens = d.succeed('e1', 'Source', 'Source').flatMap((e) => (e.type === 'REQUEST_APPROVAL' ? [e.token] : []));
  assert.deepEqual(tokens, ['nonce-2', 'nonce-2-2']);
});

test('Approved: the approval Succeeded with who, when and the summary recorded, and the execution resumes', () => {
  const { d, request } = atApproval();
  const effects = d.ok({ type: 'APPROVAL_RESULT', stage: 'Approve', action: 'Review', token: request.token, status: 'Approved', summary: 'looks good', by: 'alice', at: 500 });
  assert.deepEqual(Driver.runs(effects), ['e1:Approve/After#1']);
  const record = d.exec('e1').actions.find((r) => r.action === 'Review');
  assert.equal(record?.status, 'Succeeded');
  assert.equal(record?.updatedBy, 'alice');
  assert.equal(record?.summary, 'looks good');
  assert.equal(record?.lastUpdateTime, 500);
});

test('Rejected: the approval Failed and the stage and execution fail', () => {
  const { d, request } = atApproval();
  const effects = d.ok({ type: 'APPROVAL_RESULT', stage: 'Approve', action: 'Review', token: request.token, status: 'Rejected', summary: 'no', by: 'bob' });
  assert.equal(effects.at(-1)?.type, 'EXECUTION_ENDED');
  assert.equal(d.status('e1'), 'Failed');
  assert.equal(d.exec('e1').stages.Approve?.status, 'Failed');
  assert.match(d.exec('e1').actions.find((r) => r.action === 'Review')?.errorDetails?.message ?? '', /Rejected by bob: no/);
});

test('a wrong approval token is refused and changes nothing', () => {
  const { d } = atApproval();
  const before = d.runtime;
  const t = d.send({ type: 'APPROVAL_RESULT', stage: 'Approve', action: 'Review', token: 'guess', status: 'Approved', summary: '', by: 'eve' });
  assert.equal(t.error?.code, 'PIPELINE_INVALID_APPROVAL_TOKEN');
  assert.equal(t.error?.awsException, 'InvalidApprovalTokenException');
  assert.equal(t.runtime, before);
  assert.equal(d.send({ type: 'APPROVAL_RESULT', stage: 'Nope', action: 'Review', token: 'x', status: 'Approved', summary: '', by: 'eve' }).error?.code, 'PIPELINE_STAGE_NOT_FOUND');
  assert.equal(d.send({ type: 'APPROVAL_RESULT', stage: 'Approve', action: 'After', token: 'x', status: 'Approved', summary: '', by: 'eve' }).error?.code, 'PIPELINE_ACTION_NOT_FOUND');
});

test('answering an approval twice is refused as already completed', () => {
  const { d, request } = atApproval();
  d.ok({ type: 'APPROVAL_RESULT', stage: 'Approve', action: 'Review', token: request.token, status: 'Approved', summary: '', by: 'alice' });
  assert.equal(d.send({ type: 'APPROVAL_RESULT', stage: 'Approve', action: 'Review', token: request.token, status: 'Rejected', summary: '', by: 'bob' }).error?.code, 'PIPELINE_APPROVAL_ALREADY_COMPLETED');
});

test('an approval not answered before its expiry fails with "approval timed out" when the TIMER passes it', () => {
  const { d, request } = atApproval();
  assert.deepEqual(d.ok({ type: 'TIMER', at: request.expiresAt - 1 }), []);
  const effects = d.ok({ type: 'TIMER', at: request.expiresAt });
  assert.equal(effects.at(-1)?.type === 'EXECUTION_ENDED' && effects.at(-1)?.type, 'EXECUTION_ENDED');
  const record = d.exec('e1').actions.find((r) => r.action === 'Review');
  assert.equal(record?.status, 'Failed');
  assert.equal(record?.errorDetails?.message, 'approval timed out');
  assert.equal(d.status('e1'), 'Failed');
  assert.equal(nextDeadline(d.runtime), undefined);
});

test('a manual approval blocks its whole stage (the stage lock), not only its run-order group (decision 20)', () => {
  const { d, request } = atApproval();
  d.start('e2');
  d.succeed('e2', 'Source', 'Source', { CommitId: 'c2' });
  assert.equal(d.exec('e2').waiting, true, 'e2 waits in front of Approve');
  d.ok({ type: 'APPROVAL_RESULT', stage: 'Approve', action: 'Review', token: request.token, status: 'Approved', summary: '', by: 'a' });
  assert.equal(d.exec('e2').waiting, true, 'still waiting: After runs in the same stage');
  d.succeed('e1', 'Approve', 'After');
  assert.equal(d.exec('e2').waiting, false);
});

test('stop and abandon invalidates the approval token', () => {
  const { d, request } = atApproval();
  d.ok({ type: 'STOP', executionId: 'e1', abandon: true, reason: 'r' });
  assert.equal(d.send({ type: 'APPROVAL_RESULT', stage: 'Approve', action: 'Review', token: request.token, status: 'Approved', summary: '', by: 'a' }).error?.code, 'PIPELINE_INVALID_APPROVAL_TOKEN');
});

test('the runtime is JSON: a restarted driver resumes from the parsed state with the same pending effects', () => {
  const { d, request } = atApproval();
  d.start('e2');
  const restored = JSON.parse(JSON.stringify(d.runtime)) as typeof d.runtime;
  assert.equal(JSON.stringify(restored), JSON.stringify(d.runtime), 'nothing is lost (undefined definition fields come back absent)');
  assert.deepEqual(pendingEffects(restored), [request, d.effects.find((e) => e.type === 'RUN_ACTION' && e.executionId === 'e2')]);
  const resumed = new Driver(withApproval());
  resumed.runtime = restored;
  resumed.clock = d.clock;
  resumed.nonces = 100;
  resumed.ok({ type: 'APPROVAL_RESULT', stage: 'Approve', action: 'Review', token: request.token, status: 'Approved', summary: '', by: 'a' });
  assert.deepEqual(Driver.runs(pendingEffects(resumed.runtime)), ['e1:Approve/After#1', 'e2:Source/Source#1']);
});

test('pendingEffects equals the RUN_ACTION effects that started the attempts still running', () => {
  const d = new Driver(threeStages('PARALLEL'));
  const first = [...d.start('e1'), ...d.start('e2')];
  d.succeed('e1', 'Source', 'Source');
  const build = d.last?.effects ?? [];
  assert.deepEqual(pendingEffects(d.runtime), [...build, first[1]]);
});

test('views: stageStates is shaped like GetPipelineState', () => {
  const { d, request } = atApproval();
  d.ok({ type: 'DISABLE_TRANSITION', stage: 'Deploy', reason: 'freeze', by: 'ops' });
  const states = stageStates(d.runtime);
  assert.deepEqual(states.map((s) => s.stageName), ['Source', 'Approve', 'Deploy']);
  assert.deepEqual(states[0]?.latestExecution, { pipelineExecutionId: 'e1', status: 'Succeeded' });
  assert.deepEqual(states[1]?.actionStates[0]?.latestExecution, { actionExecutionId: actionExecutionId('e1', { stage: 'Approve', action: 'Review', attempt: 1 }), status: 'InProgress', lastStatusChange: 2, token: request.token });
  assert.deepEqual(states[1]?.actionStates[1], { actionName: 'After' });
  assert.equal(states[2]?.inboundTransitionState.enabled, false);
  assert.equal(states[2]?.inboundTransitionState.disabledReason, 'freeze');
  assert.equal(states[2]?.latestExecution, undefined);
  d.start('e2');
  d.succeed('e2', 'Source', 'Source', {});
  assert.deepEqual(stageStates(d.runtime)[1]?.inboundExecutions, [{ pipelineExecutionId: 'e2', status: 'InProgress' }]);
});

test('views: executionSummary is shaped like GetPipelineExecution, with artifact revisions, variables and trigger', () => {
  const def = definition({ Source: [action('Source', 'CodeCommit', { outputArtifacts: ['SourceArtifact'] })], Build: [action('Build', 'CodeBuild', { inputArtifacts: ['SourceArtifact'] })] }, { variables: [{ name: 'env', defaultValue: 'dev', description: undefined }] });
  const d = new Driver(def);
  d.ok({ type: 'START', executionId: 'e1', trigger: { type: 'Webhook', detail: 'push main' }, variables: {} });
  d.ok({ type: 'ACTION_SUCCEEDED', executionId: 'e1', stage: 'Source', action: 'Source', attempt: 1, outputArtifacts: { SourceArtifact: 'k' }, outputVariables: {}, revision: { revisionId: 'abc', revisionSummary: 'fix', created: 5 } });
  assert.deepEqual(executionSummary(d.runtime, 'e1'), {
    pipelineName: 'app',
    pipelineVersion: 1,
    pipelineExecutionId: 'e1',
    status: 'InProgress',
    artifactRevisions: [{ name: 'SourceArtifact', revisionId: 'abc', revisionSummary: 'fix', created: 5 }],
    variables: [{ name: 'env', resolvedValue: 'dev' }],
    trigger: { triggerType: 'WebhookV2', triggerDetail: 'push main' },
    executionMode: 'SUPERSEDED',
    executionType: 'STANDARD',
  });
  assert.equal(executionSummary(d.runtime, 'nope'), undefined);
});

test('views: actionExecutions is shaped like ListActionExecutions, newest first, every attempt kept', () => {
  const d = new Driver(threeStages());
  d.start('e1');
  d.succeed('e1', 'Source', 'Source');
  d.fail('e1', 'Build', 'Build', 'compile error');
  d.ok({ type: 'RETRY_STAGE', executionId: 'e1', stage: 'Build', mode: 'FAILED_ACTIONS' });
  const details = actionExecutions(d.runtime, 'e1');
  const attempt = (name: string, n: number): string => actionExecutionId('e1', { stage: name, action: name, attempt: n });
  assert.deepEqual(details.map((x) => [x.actionName, x.actionExecutionId, x.status]), [['Build', attempt('Build', 2), 'InProgress'], ['Build', attempt('Build', 1), 'Failed'], ['Source', attempt('Source', 1), 'Succeeded']]);
  const failed = details[1];
  assert.deepEqual(failed?.input.inputArtifacts, [{ name: 'SourceArtifact', s3location: { bucket: 'artifacts', key: 'e1/SourceArtifact/1' } }]);
  assert.deepEqual(failed?.output.executionResult, { externalExecutionSummary: 'compile error', errorDetails: { code: 'JobFailed', message: 'compile error' } });
  assert.deepEqual(details[2]?.output.outputArtifacts, [{ name: 'SourceArtifact', s3location: { bucket: 'artifacts', key: 'e1/SourceArtifact/1' } }]);
  assert.equal(actionExecutions(d.runtime).length, 3);
});

test('action execution ids are opaque UUIDs, one per attempt, the same every time they are read', () => {
  const first = actionExecutionId('e1', { stage: 'Build', action: 'Build', attempt: 1 });
  assert.match(first, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(actionExecutionId('e1', { stage: 'Build', action: 'Build', attempt: 1 }), first);
  assert.notEqual(actionExecutionId('e1', { stage: 'Build', action: 'Build', attempt: 2 }), first);
  assert.ok(!first.includes('Build'));
});
