/**
 * CodePipeline executions through the official @aws-sdk/client-codepipeline against a real server
 * with an in-process agent and pushes from the real git client: a push runs the pipeline to its
 * approval, PutApprovalResult lets it finish; stop and abandon; retry of a failed build; a
 * disabled inbound transition holding an execution; typed refusals.
 */
import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  CreatePipelineCommand,
  DisableStageTransitionCommand,
  EnableStageTransitionCommand,
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  InvalidApprovalTokenException,
  ListActionExecutionsCommand,
  ListPipelineExecutionsCommand,
  PutApprovalResultCommand,
  RetryStageExecutionCommand,
  StageNotRetryableException,
  StartPipelineExecutionCommand,
  StopPipelineExecutionCommand,
  type CodePipelineClient,
  type StageState,
} from '@aws-sdk/client-codepipeline';
import { agentFor, waitFor } from '../../agent/agent-harness.js';
import { authedUrl, commitFiles, gitOk, tempDir } from '../../git/git-client.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { rejection } from './codebuild-server.js';
import { codePipelineClient, declaration, type PipelineShape } from './codepipeline-setup.js';

let server: TestServer;
let client: CodePipelineClient;
let stopAgent: () => Promise<void>;
before(async () => {
  server = await startTestServer({ schedulerIntervalMs: 200 });
  client = codePipelineClient(server);
  const agent = await agentFor(server);
  stopAgent = () => agent.stop();
});
after(async () => {
  client.destroy();
  await stopAgent();
  await server.stop();
});

const spec = (...commands: string[]): string => ['version: 0.2', 'phases:', '  build:', '    commands:', ...commands.map((c) => `      - ${JSON.stringify(c)}`), ''].join('\n');

/** A repository, one project per buildspec, and a work tree that pushes to it. */
async function setUp(name: string, buildspecs: readonly string[], shape: Partial<PipelineShape> = {}, create = true): Promise<{ push: (content: string) => Promise<string> }> {
  await server.services.repositories.create({ repositoryName: name });
  const builds = buildspecs.map((_, i) => `${name}-build-${i}`);
  for (const [i, buildspec] of buildspecs.entries()) {
    await server.services.projects.create({ name: `${name}-build-${i}`, source: { type: 'CODEPIPELINE', buildspec }, environment: { image: 'shell' }, artifacts: { type: 'CODEPIPELINE' } });
  }
  if (create) await client.send(new CreatePipelineCommand({ pipeline: declaration({ name, repository: name, builds, ...shape }) }));
  const work = await tempDir('codepipeline');
  await gitOk(work, ['init', '--quiet', '--initial-branch', 'main']);
  await gitOk(work, ['remote', 'add', 'origin', authedUrl(server.url, name, server.token)]);
  return {
    push: async (content) => {
      const commit = await commitFiles(work, { 'app.txt': content }, `app ${content}`);
      await gitOk(work, ['push', '--quiet', 'origin', 'main']);
      return commit;
    },
  };
}

async function stage(name: string, stageName: string): Promise<StageState | undefined> {
  return (await client.send(new GetPipelineStateCommand({ name }))).stageStates?.find((s) => s.stageName === stageName);
}

async function latestStatus(name: string): Promise<string | undefined> {
  return (await client.send(new ListPipelineExecutionsCommand({ pipelineName: name }))).pipelineExecutionSummaries?.[0]?.status;
}

test('a push runs to the approval; a wrong token is refused, PutApprovalResult approves and the execution succeeds', async () => {
  const { push } = await setUp('cp-deliver', [spec('test -f app.txt'), spec('cat app.txt')], { approval: true });
  const commit = await push('v1');
  let token: string | undefined;
  await waitFor('the approval to wait', async () => {
    token = (await stage('cp-deliver', 'Approval'))?.actionStates?.[0]?.latestExecution?.token;
    return token !== undefined;
  }, 60_000);
  const state = await client.send(new GetPipelineStateCommand({ name: 'cp-deliver' }));
  assert.equal(state.pipelineVersion, 1);
  const source = state.stageStates?.[0]?.actionStates?.[0];
  assert.equal(source?.currentRevision?.revisionId, commit);
  assert.equal(source?.latestExecution?.status, 'Succeeded');
  assert.ok(source?.latestExecution?.lastStatusChange instanceof Date);
  assert.equal(source?.entityUrl, `${server.url}/api/v1/repositories/cp-deliver`, 'entityUrl links the hosted repository');
  assert.equal(source?.revisionUrl, `${server.url}/api/v1/repositories/cp-deliver/archive/${commit}`);
  assert.equal(state.stageStates?.[1]?.actionStates?.[0]?.entityUrl, `${server.url}/api/v1/projects/cp-deliver-build-0`, 'a CodeBuild action links its project');
  const archive = await fetch(source.revisionUrl, { headers: { authorization: `Bearer ${server.token}` } });
  assert.equal(archive.status, 200, 'the revision URL answers');
  await archive.arrayBuffer();

  const wrong = await rejection(client.send(new PutApprovalResultCommand({ pipelineName: 'cp-deliver', stageName: 'Approval', actionName: 'Approve', token: 'not-the-token', result: { status: 'Approved', summary: 'ok' } })));
  assert.ok(wrong instanceof InvalidApprovalTokenException, wrong.name);
  const approved = await client.send(new PutApprovalResultCommand({ pipelineName: 'cp-deliver', stageName: 'Approval', actionName: 'Approve', token, result: { status: 'Approved', summary: 'ship it' } }));
  assert.ok(approved.approvedAt instanceof Date);

  const [summary] = (await client.send(new ListPipelineExecutionsCommand({ pipelineName: 'cp-deliver' }))).pipelineExecutionSummaries ?? [];
  const id = summary?.pipelineExecutionId ?? '';
  assert.equal(summary?.trigger?.triggerType, 'CloudWatchEvent');
  await waitFor('the execution to succeed', async () => (await client.send(new GetPipelineExecutionCommand({ pipelineName: 'cp-deliver', pipelineExecutionId: id }))).pipelineExecution?.status === 'Succeeded', 60_000);
  const execution = (await client.send(new GetPipelineExecutionCommand({ pipelineName: 'cp-deliver', pipelineExecutionId: id }))).pipelineExecution;
  assert.equal(execution?.artifactRevisions?.[0]?.revisionId, commit);

  const actions = (await client.send(new ListActionExecutionsCommand({ pipelineName: 'cp-deliver', filter: { pipelineExecutionId: id } }))).actionExecutionDetails ?? [];
  assert.deepEqual(actions.map((a) => `${a.stageName}/${a.actionName}:${a.status}`).sort(), ['Approval/Approve:Succeeded', 'Build/Build:Succeeded', 'Build2/Build2:Succeeded', 'Source/Source:Succeeded']);
  const approval = actions.find((a) => a.actionName === 'Approve');
  assert.equal(approval?.updatedBy, server.accessKeyId, 'the approver is the access key');
  assert.equal(approval?.input?.resolvedConfiguration?.CustomData, `Release ${commit}?`);
  assert.ok(actions.find((a) => a.actionName === 'Build')?.output?.executionResult?.externalExecutionId, 'the build id');
});

test('StartPipelineExecution is idempotent per clientRequestToken; StopPipelineExecution with abandon abandons the running build', async () => {
  const { push } = await setUp('cp-stop', [spec('sleep 30')], {}, false);
  await push('v1');
  await client.send(new CreatePipelineCommand({ pipeline: declaration({ name: 'cp-stop', repository: 'cp-stop', builds: ['cp-stop-build-0'] }) }));
  const first = await client.send(new StartPipelineExecutionCommand({ name: 'cp-stop', clientRequestToken: 'once' }));
  const again = await client.send(new StartPipelineExecutionCommand({ name: 'cp-stop', clientRequestToken: 'once' }));
  assert.equal(again.pipelineExecutionId, first.pipelineExecutionId);
  const id = first.pipelineExecutionId ?? '';
  await waitFor('the build to run', async () => (await stage('cp-stop', 'Build'))?.actionStates?.[0]?.latestExecution?.status === 'InProgress', 60_000);
  await client.send(new StopPipelineExecutionCommand({ pipelineName: 'cp-stop', pipelineExecutionId: id, abandon: true, reason: 'not today' }));
  await waitFor('the execution to stop', async () => (await latestStatus('cp-stop')) === 'Stopped', 30_000);
  const [summary] = (await client.send(new ListPipelineExecutionsCommand({ pipelineName: 'cp-stop' }))).pipelineExecutionSummaries ?? [];
  assert.equal(summary?.stopTrigger?.reason, 'not today');
  assert.equal(summary?.trigger?.triggerType, 'StartPipelineExecution');
  const actions = (await client.send(new ListActionExecutionsCommand({ pipelineName: 'cp-stop', filter: { pipelineExecutionId: id } }))).actionExecutionDetails ?? [];
  assert.equal(actions.find((a) => a.actionName === 'Build')?.status, 'Abandoned');
});

test('RetryStageExecution FAILED_ACTIONS re-runs a failed build, which then succeeds', async () => {
  const markerDir = await tempDir('marker');
  // Shell builds run as the unprivileged build user when tests run as root: it must see the marker.
  await chmod(markerDir, 0o755);
  const marker = path.join(markerDir, 'ready');
  const { push } = await setUp('cp-retry', [spec(`test -f ${marker}`)]);
  await push('v1');
  await waitFor('the build to fail', async () => (await latestStatus('cp-retry')) === 'Failed', 60_000);
  const id = (await client.send(new ListPipelineExecutionsCommand({ pipelineName: 'cp-retry' }))).pipelineExecutionSummaries?.[0]?.pipelineExecutionId ?? '';
  const notRetryable = await rejection(client.send(new RetryStageExecutionCommand({ pipelineName: 'cp-retry', stageName: 'Source', pipelineExecutionId: id, retryMode: 'FAILED_ACTIONS' })));
  assert.ok(notRetryable instanceof StageNotRetryableException, notRetryable.name);
  await writeFile(marker, 'ok');
  const retried = await client.send(new RetryStageExecutionCommand({ pipelineName: 'cp-retry', stageName: 'Build', pipelineExecutionId: id, retryMode: 'FAILED_ACTIONS' }));
  assert.equal(retried.pipelineExecutionId, id);
  await waitFor('the retried execution to succeed', async () => (await latestStatus('cp-retry')) === 'Succeeded', 60_000);
  const builds = ((await client.send(new ListActionExecutionsCommand({ pipelineName: 'cp-retry', filter: { pipelineExecutionId: id } }))).actionExecutionDetails ?? []).filter((a) => a.actionName === 'Build');
  assert.deepEqual(builds.map((a) => a.status), ['Succeeded', 'Failed'], 'both attempts kept, newest first');
});

test('a disabled inbound transition holds the execution in front of the stage until it is enabled', async () => {
  const { push } = await setUp('cp-transition', [spec('true')]);
  await client.send(new DisableStageTransitionCommand({ pipelineName: 'cp-transition', stageName: 'Build', transitionType: 'Inbound', reason: 'freeze' }));
  const disabled = await stage('cp-transition', 'Build');
  assert.equal(disabled?.inboundTransitionState?.enabled, false);
  assert.equal(disabled?.inboundTransitionState?.disabledReason, 'freeze');
  assert.equal(disabled?.inboundTransitionState?.lastChangedBy, server.accessKeyId);
  await push('v1');
  await waitFor('the execution to wait in front of Build', async () => ((await stage('cp-transition', 'Build'))?.inboundExecutions?.length ?? 0) === 1, 60_000);
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal((await stage('cp-transition', 'Build'))?.latestExecution, undefined, 'Build was not entered');
  await client.send(new EnableStageTransitionCommand({ pipelineName: 'cp-transition', stageName: 'Build', transitionType: 'Inbound' }));
  await waitFor('the execution to succeed', async () => (await latestStatus('cp-transition')) === 'Succeeded', 60_000);
});
