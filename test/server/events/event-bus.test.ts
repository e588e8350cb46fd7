/**
 * The domain event bus as its subscribers see it, on a real server (SQLite and PostgreSQL) with a
 * real agent and the real git client: one push runs Source → Build → Approval, and each type of
 * event the services publish is checked against what was stored.
 */
import assert from 'node:assert/strict';
import { after, before, suite, test } from 'node:test';
import { stageStates } from '../../../src/core/pipeline-execution.js';
import type { DomainEvent, DomainEventOf, DomainEventType } from '../../../src/server/events/event-bus.js';
import { agentFor, waitFor } from '../../agent/agent-harness.js';
import { startTestServer, testDatabases, type TestServer } from '../../support/test-server.js';
import { pipelineFixture } from '../pipeline-fixture.js';

const TYPES: readonly DomainEventType[] = ['BuildStateChanged', 'BuildPhaseChanged', 'PipelineExecutionChanged', 'StageChanged', 'ActionChanged', 'PipelineEffectsRequested', 'ApprovalNeeded', 'Pushed'];

for (const [database, skip] of await testDatabases()) {
  suite(`domain events of one push through Source → Build → Approval (${database})`, { skip }, () => {
    let server: TestServer;
    let stopAgent: () => Promise<void> = () => Promise.resolve();
    const heard: DomainEvent[] = [];
    let commit = '';
    let buildId = '';
    const of = <T extends DomainEventType>(type: T): DomainEventOf<T>[] => heard.filter((e): e is DomainEventOf<T> => e.type === type);

    before(async () => {
      server = await startTestServer({ database });
      for (const type of TYPES) server.services.context.events.subscribe(type, (event) => void heard.push(event));
      const agent = await agentFor(server);
      stopAgent = () => agent.stop();
      const { push } = await pipelineFixture(server, 'events', ['Build', 'Approval']);
      commit = await push('v1');
      let token: string | undefined;
      await waitFor('the approval to wait', async () => {
        token = stageStates(await server.services.pipelines.runtime('events')).find((s) => s.stageName === 'Approval')?.actionStates[0]?.latestExecution?.token;
        return token !== undefined;
      });
      await server.services.pipelines.dispatch('events', { type: 'APPROVAL_RESULT', stage: 'Approval', action: 'Approve', token: token ?? '', status: 'Approved', summary: 'ok', by: 'test' });
      await waitFor('the execution to succeed', () => of('PipelineExecutionChanged').some((e) => e.status === 'Succeeded'));
      buildId = (await server.services.pipelines.runtime('events')).executions[0]?.actions.find((a) => a.stage === 'Build')?.externalExecutionId ?? '';
    });
    after(async () => {
      await stopAgent();
      await server.stop();
    });

    test('Pushed: the stored push event of the branch, once', () => {
      assert.deepEqual(of('Pushed').map((e) => [e.push.repositoryName, e.push.ref, e.push.oldCommit, e.push.newCommit]), [['events', 'refs/heads/main', undefined, commit]]);
    });

    test('BuildStateChanged: the action build queued, then ended SUCCEEDED as stored', async () => {
      const states = of('BuildStateChanged').filter((e) => e.build.id === buildId).map((e) => [e.build.buildStatus, e.build.currentPhase]);
      assert.deepEqual(states, [['IN_PROGRESS', 'QUEUED'], ['SUCCEEDED', 'COMPLETED']]);
      assert.equal((await server.services.builds.get(buildId)).buildStatus, 'SUCCEEDED');
    });

    test('BuildPhaseChanged: QUEUED → PROVISIONING on lease, each later phase in order, COMPLETED last', () => {
      const phases = of('BuildPhaseChanged').filter((e) => e.buildId === buildId);
      assert.deepEqual(phases[0] && [phases[0].previousPhase, phases[0].currentPhase], ['QUEUED', 'PROVISIONING']);
      assert.equal(phases.at(-1)?.currentPhase, 'COMPLETED');
      for (const [i, change] of phases.entries()) if (i > 0) assert.equal(change.previousPhase, phases[i - 1]?.currentPhase, 'each change starts where the last ended');
    });

    test('PipelineExecutionChanged: InProgress on start, Succeeded at the end', () => {
      assert.deepEqual(of('PipelineExecutionChanged').map((e) => [e.previousStatus, e.status]), [[undefined, 'InProgress'], ['InProgress', 'Succeeded']]);
    });

    test('StageChanged: each stage InProgress then Succeeded, in pipeline order', () => {
      assert.deepEqual(of('StageChanged').map((e) => `${e.stage}:${e.status}`), ['Source:InProgress', 'Source:Succeeded', 'Build:InProgress', 'Build:Succeeded', 'Approval:InProgress', 'Approval:Succeeded']);
    });

    test('ActionChanged: each action attempt InProgress then Succeeded', () => {
      assert.deepEqual(of('ActionChanged').map((e) => `${e.action}#${e.attempt}:${e.previousStatus ?? '-'}→${e.status}`), ['Source#1:-→InProgress', 'Source#1:InProgress→Succeeded', 'Build#1:-→InProgress', 'Build#1:InProgress→Succeeded', 'Approve#1:-→InProgress', 'Approve#1:InProgress→Succeeded']);
    });

    test('PipelineEffectsRequested: run Source, run Build, request the approval, end the execution', () => {
      const effects = of('PipelineEffectsRequested').flatMap((e) => e.effects.map((f) => (f.type === 'RUN_ACTION' || f.type === 'REQUEST_APPROVAL' ? `${f.type} ${f.action}` : f.type === 'EXECUTION_ENDED' ? `${f.type} ${f.status}` : f.type)));
      assert.deepEqual(effects, ['RUN_ACTION Source', 'RUN_ACTION Build', 'REQUEST_APPROVAL Approve', 'EXECUTION_ENDED Succeeded']);
    });

    test('ApprovalNeeded: once for the approval, with its token and custom data, though reconciliation re-derives it', () => {
      const approvals = of('ApprovalNeeded');
      assert.equal(approvals.length, 1);
      assert.deepEqual(approvals.map((e) => [e.pipelineName, e.approval.stage, e.approval.action, e.approval.customData]), [['events', 'Approval', 'Approve', 'ship?']]);
      const tokens = of('ActionChanged').filter((e) => e.action === 'Approve');
      assert.ok(tokens.length > 0 && approvals[0]?.approval.token);
    });
  });
}
