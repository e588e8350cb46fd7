/**
 * Stopping work the pipeline no longer wants, and waiting no longer than it should, on a real
 * server (SQLite and PostgreSQL): a manual approval left unanswered past its timeout fails the
 * action and the execution, as CodePipeline does (the server's clock is the test's); and a build
 * abandoned by stop-and-abandon is stopped even when the server went down between the decision and
 * the stop.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stageStates } from '../../src/core/pipeline-execution.js';
import { waitFor } from '../agent/agent-harness.js';
import { startTestServer, testDatabases } from '../support/test-server.js';
import { pipelineFixture } from './pipeline-fixture.js';

const DAY = 24 * 3600_000;

for (const [database, skip] of await testDatabases()) {
  test(`a manual approval unanswered past its 7-day timeout fails the action with "approval timed out" and the execution Failed (${database})`, { skip }, async () => {
    let now = Date.now();
    const server = await startTestServer({ database, clock: () => now });
    try {
      const { push } = await pipelineFixture(server, 'slow-approval', ['Approval']);
      await push('v1');
      const approval = async () => stageStates(await server.services.pipelines.runtime('slow-approval')).find((s) => s.stageName === 'Approval')?.actionStates[0]?.latestExecution;
      await waitFor('the approval to wait', async () => (await approval())?.token !== undefined);
      now += 7 * DAY - 60_000;
      await server.pipelineDriver.reconcile();
      assert.equal((await approval())?.status, 'InProgress', 'a minute before the timeout it still waits');

      now += 2 * 60_000;
      await waitFor('the approval to time out', async () => (await approval())?.status === 'Failed');
      const action = await approval();
      assert.deepEqual([action?.summary, action?.errorDetails], ['approval timed out', { code: 'JobFailed', message: 'approval timed out' }]);
      const execution = (await server.services.pipelines.runtime('slow-approval')).executions[0];
      assert.equal(execution?.status, 'Failed');
      assert.equal(execution?.stages.Approval?.status, 'Failed');
    } finally {
      await server.stop();
    }
  });

  test(`a build abandoned while the server goes down before stopping it is stopped once it is back (${database})`, { skip }, async () => {
    const first = await startTestServer({ database });
    let firstRunning = true;
    let second: typeof first | undefined;
    try {
      const { push } = await pipelineFixture(first, 'abandoned', ['Build']);
      await push('v1');
      // No agent: the action's build waits QUEUED.
      let buildId = '';
      await waitFor('the action build to be queued', async () => {
        buildId = (await first.services.pipelines.runtime('abandoned')).executions[0]?.actions.find((a) => a.stage === 'Build')?.status === 'InProgress'
          ? (await first.services.builds.list({ limit: 10 }, { projectName: 'abandoned-build' })).items[0] ?? ''
          : '';
        return buildId !== '';
      });
      // The driver is gone (as in a crash): the decision is saved, the stop is not done.
      await first.pipelineDriver.stop();
      const executionId = (await first.services.pipelines.runtime('abandoned')).executions[0]?.pipelineExecutionId ?? '';
      await first.services.pipelines.dispatch('abandoned', { type: 'STOP', executionId, abandon: true, reason: 'wrong commit' });
      assert.equal((await first.services.builds.get(buildId)).currentPhase, 'QUEUED', 'nothing stopped it yet');
      const owed = (await first.services.pipelines.runtime('abandoned')).abandoning;
      assert.deepEqual(owed?.map((a) => [a.executionId, a.stage, a.action, a.attempt, a.actionTypeId?.provider, a.configuration?.ProjectName]), [[executionId, 'Build', 'Build', 1, 'CodeBuild', 'abandoned-build']], 'the owed stop is saved with what it needs');
      firstRunning = false;
      await first.stop();

      second = await startTestServer({ dataDir: first.dataDir, databaseUrl: first.databaseUrl });
      const restarted = second;
      await waitFor('the abandoned build to be stopped', async () => (await restarted.services.builds.get(buildId)).buildStatus === 'STOPPED');
      await waitFor('the owed stop to be struck off', async () => ((await restarted.services.pipelines.runtime('abandoned')).abandoning ?? []).length === 0);
      assert.equal((await restarted.services.pipelines.runtime('abandoned')).executions[0]?.status, 'Stopped');
    } finally {
      if (firstRunning) await first.stop();
      await second?.stop();
    }
  });
}
