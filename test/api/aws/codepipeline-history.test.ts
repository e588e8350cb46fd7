/**
 * Pipeline history through the official CodePipeline client, on both databases: ended executions
 * leave the pipeline's runtime for the history table, yet every operation answers as before —
 * ListPipelineExecutions pages through all of them with the SDK's paginator (a forged token is
 * refused), GetPipelineExecution and ListActionExecutions find an old one, a repeated
 * clientRequestToken starts nothing new, stopping an ended one is refused as ended, and an old
 * failed execution can still be retried. Executions fail at once here: their source repository has
 * no commit yet, so no agent is needed.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  CreatePipelineCommand,
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  InvalidNextTokenException,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  PipelineExecutionNotStoppableException,
  RetryStageExecutionCommand,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  paginateListPipelineExecutions,
  type CodePipelineClient,
  type PipelineExecutionSummary,
} from '@aws-sdk/client-codepipeline';
import { waitFor } from '../../agent/agent-harness.js';
import { startTestServer, testDatabases, type TestServer } from '../../support/test-server.js';
import { rejection } from './codebuild-server.js';
import { codePipelineClient } from './codepipeline-setup.js';

interface NativePage {
  executions?: { pipelineExecutionId: string }[];
  execution?: { status: string };
  pipelines?: { name: string }[];
  nextToken?: string;
  error?: { code: string };
}

const running: { server: TestServer; client: CodePipelineClient }[] = [];
after(async () => {
  for (const { server, client } of running) {
    client.destroy();
    await server.stop();
  }
});

async function all(client: CodePipelineClient, pipelineName: string): Promise<PipelineExecutionSummary[]> {
  const out: PipelineExecutionSummary[] = [];
  for await (const page of paginateListPipelineExecutions({ client, pageSize: 2 }, { pipelineName })) out.push(...(page.pipelineExecutionSummaries ?? []));
  return out;
}

for (const [database, skip] of await testDatabases()) {
  test(`${database}: ended executions move to history and every execution operation still finds them`, { skip }, async () => {
    const server = await startTestServer({ database, schedulerIntervalMs: 200 });
    const client = codePipelineClient(server);
    running.push({ server, client });
    await server.services.repositories.create({ repositoryName: 'empty' });
    await client.send(
      new CreatePipelineCommand({
        pipeline: {
          name: 'history',
          roleArn: 'arn:aws:iam::000000000000:role/unused-by-nagare',
          artifactStore: { type: 'S3', location: 'nagare-artifacts' },
          pipelineType: 'V2',
          executionMode: 'PARALLEL',
          stages: [
            { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: 'empty', BranchName: 'main' }, outputArtifacts: [{ name: 'SourceArtifact' }] }] },
            { name: 'Approval', actions: [{ name: 'Approve', actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' } }] },
          ],
        },
      }),
    );
    const started: string[] = [];
    for (let i = 0; i < 5; i++) {
      started.push((await client.send(new StartPipelineExecutionCommand({ name: 'history', clientRequestToken: `request-${i}` }))).pipelineExecutionId ?? '');
      await waitFor(`execution ${i} to fail at its source`, async () => (await client.send(new GetPipelineExecutionCommand({ pipelineName: 'history', pipelineExecutionId: started[i] }))).pipelineExecution?.status === 'Failed', 30_000);
    }
    const [oldest = '', , , , newest = ''] = started;

    // Only the latest to enter a stage stays in the runtime; the rest is history.
    assert.deepEqual((await server.services.pipelines.runtime('history')).executions.map((e) => e.pipelineExecutionId), [newest]);
    const listed = await all(client, 'history');
    assert.deepEqual(listed.map((e) => e.pipelineExecutionId), [...started].reverse());
    assert.ok(listed.every((e) => e.status === 'Failed' && e.trigger?.triggerType === 'StartPipelineExecution'));
    const state = await client.send(new GetPipelineStateCommand({ name: 'history' }));
    assert.equal(state.stageStates?.[0]?.latestExecution?.pipelineExecutionId, newest);

    const forged = await rejection(client.send(new ListPipelineExecutionsCommand({ pipelineName: 'history', nextToken: 'seq-x' })));
    assert.ok(forged instanceof InvalidNextTokenException, forged.name);
    const old = (await client.send(new GetPipelineExecutionCommand({ pipelineName: 'history', pipelineExecutionId: oldest }))).pipelineExecution;
    assert.equal(old?.status, 'Failed');
    const stop = await rejection(client.send(new StopPipelineExecutionCommand({ pipelineName: 'history', pipelineExecutionId: oldest })));
    assert.ok(stop instanceof PipelineExecutionNotStoppableException, stop.name);
    const again = await client.send(new StartPipelineExecutionCommand({ name: 'history', clientRequestToken: 'request-0' }));
    assert.equal(again.pipelineExecutionId, oldest);
    assert.equal((await all(client, 'history')).length, 5, 'a repeated clientRequestToken starts nothing');

    // The oldest comes back from history for its retry, runs its source again and fails again.
    await client.send(new RetryStageExecutionCommand({ pipelineName: 'history', pipelineExecutionId: oldest, stageName: 'Source', retryMode: 'FAILED_ACTIONS' }));
    await waitFor('the retried source to fail again', async () => {
      const actions = (await client.send(new ListActionExecutionsCommand({ pipelineName: 'history', filter: { pipelineExecutionId: oldest } }))).actionExecutionDetails ?? [];
      return actions.length === 2 && actions.every((a) => a.status === 'Failed');
    }, 30_000);
    await waitFor('the retried execution to be failed again', async () => (await client.send(new GetPipelineExecutionCommand({ pipelineName: 'history', pipelineExecutionId: oldest }))).pipelineExecution?.status === 'Failed', 30_000);
    assert.deepEqual((await all(client, 'history')).map((e) => e.pipelineExecutionId), [...started].reverse(), 'still five, once each');

    // The native API pages the same way, and the list of pipelines too.
    const native = async (path: string): Promise<{ status: number; body: NativePage }> => {
      const response = await fetch(`${server.url}/api/v1/pipelines${path}`, { headers: { authorization: `Bearer ${server.token}` } });
      return { status: response.status, body: (await response.json()) as NativePage };
    };
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const { body } = await native(`/history/executions?limit=2${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`);
      seen.push(...(body.executions ?? []).map((e) => e.pipelineExecutionId));
      token = body.nextToken;
    } while (token !== undefined);
    assert.deepEqual(seen, [...started].reverse());
    assert.equal((await native(`/history/executions/${oldest}`)).body.execution?.status, 'Failed');
    const refused = await native('/history/executions?nextToken=forged');
    assert.deepEqual([refused.status, refused.body.error?.code], [400, 'API_INVALID_INPUT']);
    await server.services.pipelines.create({ ...(await server.services.pipelines.get('history')).definition, name: 'another' });
    const first = await native('?limit=1');
    assert.deepEqual(first.body.pipelines?.map((p) => p.name), ['another']);
    const second = await native(`?limit=1&nextToken=${encodeURIComponent(first.body.nextToken ?? '')}`);
    assert.deepEqual([second.body.pipelines?.map((p) => p.name), second.body.nextToken], [['history'], undefined]);
  });
}
