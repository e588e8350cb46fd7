/**
 * The pipeline driver end to end on a real server: a push with the real git client starts the
 * pipeline; Source zips the commit, Build and Test run as builds on an in-process agent with the
 * artifacts passed along, the approval waits for PutApprovalResult; SUPERSEDED and QUEUED modes.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { PipelineRuntime } from '../../src/core/pipeline-execution.js';
import { executionSummaries, stageStates } from '../../src/core/pipeline-execution.js';
import { parsePipeline } from '../../src/spec/pipeline.js';
import { agentFor, waitFor } from '../agent/agent-harness.js';
import { authedUrl, commitFiles, gitOk, tempDir } from '../git/git-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let stopAgent: () => Promise<void>;
before(async () => {
  server = await startTestServer({ schedulerIntervalMs: 200 });
  const agent = await agentFor(server);
  stopAgent = () => agent.stop();
});
after(async () => {
  await stopAgent();
  await server.stop();
});

const BUILD_SPEC = `version: 0.2
env:
  exported-variables: [BUILT_FROM, SOURCE_SEEN, URL_SEEN]
phases:
  build:
    commands:
      - mkdir -p out && cp app.txt out/ && echo "built" > out/built.txt
      - export BUILT_FROM="$(cat app.txt)"
      - export SOURCE_SEEN="$CODEBUILD_RESOLVED_SOURCE_VERSION $CODEBUILD_SOURCE_VERSION"
      - export URL_SEEN="$CODEBUILD_BUILD_URL"
artifacts:
  base-directory: out
  files: ['**/*']
`;

const TEST_SPEC = `version: 0.2
phases:
  build:
    commands:
      - test -f built.txt
      - echo "testing $(cat app.txt)"
`;

function definition(name: string, repository: string, mode: 'SUPERSEDED' | 'QUEUED'): string {
  return JSON.stringify({
    pipeline: {
      name,
      pipelineType: 'V2',
      executionMode: mode,
      roleArn: 'arn:aws:iam::000000000000:role/unused',
      stages: [
        { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: repository, BranchName: 'main' }, outputArtifacts: [{ name: 'SourceArtifact' }], namespace: 'SourceVariables' }] },
        { name: 'Build', actions: [{ name: 'Build', actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' }, configuration: { ProjectName: `${name}-build`, EnvironmentVariables: '[{"name":"COMMIT","value":"#{SourceVariables.CommitId}"}]' }, inputArtifacts: [{ name: 'SourceArtifact' }], outputArtifacts: [{ name: 'BuildArtifact' }], namespace: 'BuildVariables' }] },
        { name: 'Approval', actions: [{ name: 'Approve', actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' }, configuration: { CustomData: 'Check #{BuildVariables.BUILT_FROM}' } }] },
        { name: 'Test', actions: [{ name: 'Test', actionTypeId: { category: 'Test', owner: 'AWS', provider: 'CodeBuild', version: '1' }, configuration: { ProjectName: `${name}-test` }, inputArtifacts: [{ name: 'BuildArtifact' }] }] },
      ],
    },
  });
}

async function setUp(name: string, mode: 'SUPERSEDED' | 'QUEUED'): Promise<{ work: string; push: (content: string) => Promise<string> }> {
  await server.services.repositories.create({ repositoryName: name });
  for (const [suffix, buildspec] of [['build', BUILD_SPEC], ['test', TEST_SPEC]] as const) {
    await server.services.projects.create({ name: `${name}-${suffix}`, source: { type: 'CODEPIPELINE', buildspec }, environment: { image: 'shell' }, artifacts: { type: 'CODEPIPELINE' } });
  }
  await server.services.pipelines.apply(parsePipeline(definition(name, name, mode), 'pipeline.json'));
  const work = await tempDir('pipeline');
  await gitOk(work, ['init', '--quiet', '--initial-branch', 'main']);
  await gitOk(work, ['remote', 'add', 'origin', authedUrl(server.url, name, server.token)]);
  const push = async (content: string): Promise<string> => {
    const commit = await commitFiles(work, { 'app.txt': content }, `app ${content}`);
    await gitOk(work, ['push', '--quiet', 'origin', 'main']);
    return commit;
  };
  return { work, push };
}

/** The runtime with every execution, in flight or in history (the stored runtime keeps only what the machine needs). */
async function runtime(name: string): Promise<PipelineRuntime> {
  const stored = await server.services.pipelines.runtime(name);
  const { items } = await server.services.pipelines.listExecutions(name, 1000);
  return { ...stored, executions: [...items].reverse() };
}

async function approvalToken(name: string): Promise<string> {
  let token: string | undefined;
  await waitFor('the approval to wait', async () => {
    token = stageStates(await runtime(name)).find((s) => s.stageName === 'Approval')?.actionStates[0]?.latestExecution?.token;
    return token !== undefined;
  });
  return token ?? '';
}

test('a push runs Source → Build → Approval → Test, passing artifacts and variables, and approving lets it finish', async () => {
  const { push } = await setUp('deliver', 'SUPERSEDED');
  const commit = await push('v1');
  const token = await approvalToken('deliver');
  const waiting = stageStates(await runtime('deliver')).find((s) => s.stageName === 'Approval');
  assert.equal(waiting?.latestExecution?.status, 'InProgress');
  await server.services.pipelines.dispatch('deliver', { type: 'APPROVAL_RESULT', stage: 'Approval', action: 'Approve', token, status: 'Approved', summary: 'looks good', by: 'admin' });
  await waitFor('the execution to succeed', async () => executionSummaries(await runtime('deliver'))[0]?.status === 'Succeeded', 60_000);
  const [execution] = executionSummaries(await runtime('deliver'));
  assert.equal(execution?.sourceRevisions?.[0]?.revisionId, commit);
  const builds = (await server.services.builds.list({ limit: 10 })).items;
  const records = await server.services.builds.batchGet(builds);
  const initiators = new Set(records.builds.map((b) => (b.record as { job: { initiator: string } }).job.initiator));
  assert.deepEqual([...initiators], ['codepipeline/deliver']);
  // The build of the source's output knows the commit, as CodeBuild does in a pipeline.
  const stored = records.builds.find((b) => b.id.startsWith('deliver-build:'));
  const build = stored?.record as { resolvedSourceVersion?: string; exportedEnvironmentVariables: { name: string; value: string }[] } | undefined;
  const exported = (name: string): string | undefined => build?.exportedEnvironmentVariables.find((v) => v.name === name)?.value;
  assert.equal(build?.resolvedSourceVersion, commit);
  assert.equal(exported('SOURCE_SEEN'), `${commit} ${commit}`);
  // CODEBUILD_BUILD_URL of a server build is the server's record of it.
  assert.equal(exported('URL_SEEN'), `${server.url}/api/v1/builds/${encodeURIComponent(stored?.id ?? '')}`);
});

test('a second push while the first waits at the approval supersedes the one waiting in front of the stage (SUPERSEDED)', async () => {
  const { push } = await setUp('superseded', 'SUPERSEDED');
  await push('first');
  await approvalToken('superseded');
  await push('second');
  await waitFor('the second execution to wait in front of Approval', async () => {
    const executions = executionSummaries(await runtime('superseded'));
    return executions.length === 2 && executions.every((e) => e.status === 'InProgress');
  }, 60_000);
  await push('third');
  await waitFor('the second to be superseded by the third', async () => executionSummaries(await runtime('superseded')).some((e) => e.status === 'Superseded'), 60_000);
  const statuses = executionSummaries(await runtime('superseded')).map((e) => e.status).sort();
  assert.deepEqual(statuses, ['InProgress', 'InProgress', 'Superseded']);
});

test('in QUEUED mode later pushes queue behind the approval instead of superseding', async () => {
  const { push } = await setUp('queued', 'QUEUED');
  await push('first');
  const token = await approvalToken('queued');
  await push('second');
  await push('third');
  await waitFor('both later executions to reach the approval stage queue', async () => {
    const executions = executionSummaries(await runtime('queued'));
    return executions.length === 3 && executions.every((e) => e.status === 'InProgress');
  }, 60_000);
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.ok(executionSummaries(await runtime('queued')).every((e) => e.status !== 'Superseded'));
  await server.services.pipelines.dispatch('queued', { type: 'APPROVAL_RESULT', stage: 'Approval', action: 'Approve', token, status: 'Rejected', summary: 'no', by: 'admin' });
  await waitFor('the first to fail and the next to reach the approval', async () => {
    const executions = executionSummaries(await runtime('queued'));
    return executions.some((e) => e.status === 'Failed') && stageStates(await runtime('queued')).find((s) => s.stageName === 'Approval')?.actionStates[0]?.latestExecution?.token !== token;
  }, 60_000);
});

test('a push recorded while the driver was not listening starts its pipeline on the next reconciliation, once', async () => {
  const { push } = await setUp('catch-up', 'QUEUED');
  await server.pipelineDriver.reconcile();
  await server.pipelineDriver.stop();
  try {
    await push('missed');
    assert.equal(executionSummaries(await runtime('catch-up')).length, 0, 'nobody listened');
    await server.pipelineDriver.reconcile();
    await server.pipelineDriver.reconcile();
    const [event] = await server.services.repositories.pushEventsAfter(0, 100, { repositoryName: 'catch-up' });
    assert.ok(event);
    await server.pipelineDriver.onPush(event);
    assert.equal(executionSummaries(await runtime('catch-up')).length, 1, 'one execution however often the push is handled');
  } finally {
    server.pipelineDriver.start();
  }
});

test('a CodeBuild action with several inputs gets the PrimarySource in CODEBUILD_SRC_DIR and the others in CODEBUILD_SRC_DIR_<name>, and its secondary artifacts become its other outputs', async () => {
  for (const repository of ['multi-a', 'multi-b']) await server.services.repositories.create({ repositoryName: repository });
  const buildspec = `version: 0.2
phases:
  build:
    commands:
      - test -f a.txt
      - test -f "$CODEBUILD_SRC_DIR_B/b.txt"
      - echo main > main.txt && echo extra > extra.txt
artifacts:
  files: [main.txt]
  secondary-artifacts:
    Extra:
      files: [extra.txt]
`;
  await server.services.projects.create({ name: 'multi-build', source: { type: 'CODEPIPELINE', buildspec }, environment: { image: 'shell' }, artifacts: { type: 'CODEPIPELINE' } });
  const source = (name: string, repository: string, output: string): Record<string, unknown> => ({ name, actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: repository, BranchName: 'main' }, outputArtifacts: [{ name: output }] });
  await server.services.pipelines.apply(parsePipeline(JSON.stringify({
    name: 'multi',
    pipelineType: 'V2',
    stages: [
      { name: 'Source', actions: [source('A', 'multi-a', 'A'), source('B', 'multi-b', 'B')] },
      { name: 'Build', actions: [{ name: 'Build', actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' }, configuration: { ProjectName: 'multi-build', PrimarySource: 'A' }, inputArtifacts: [{ name: 'A' }, { name: 'B' }], outputArtifacts: [{ name: 'Main' }, { name: 'Extra' }] }] },
      { name: 'Check', actions: [{ name: 'Check', actionTypeId: { category: 'Compute', owner: 'AWS', provider: 'Commands', version: '1' }, commands: ['test "$(cat extra.txt)" = extra', 'test "$(cat "$CODEBUILD_SRC_DIR_Main/main.txt")" = main'], inputArtifacts: [{ name: 'Extra' }, { name: 'Main' }] }] },
    ],
  }), 'multi.json'));
  for (const [repository, file] of [['multi-b', 'b.txt'], ['multi-a', 'a.txt']] as const) {
    const work = await tempDir(repository);
    await gitOk(work, ['init', '--quiet', '--initial-branch', 'main']);
    await commitFiles(work, { [file]: 'x\n' }, file);
    await gitOk(work, ['push', '--quiet', authedUrl(server.url, repository, server.token), 'main']);
  }
  await waitFor('an execution to succeed', async () => executionSummaries(await runtime('multi')).some((e) => e.status === 'Succeeded'), 60_000);
});
