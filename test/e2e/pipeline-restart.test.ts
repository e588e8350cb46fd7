/**
 * A server killed with SIGKILL in the middle of a pipeline execution comes back and carries it
 * on: the running build finishes and reports, the next stage runs, and no action runs twice.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { startAgent } from '../../src/agent/agent.js';
import { executionSummaries, type PipelineRuntime } from '../../src/core/pipeline-execution.js';
import { openStore } from '../../src/store/open-store.js';
import { parsePipeline } from '../../src/spec/pipeline.js';
import { authedUrl, commitFiles, gitOk, tempDir } from '../git/git-client.js';
import { startCliServer, stopCliServer } from '../support/cli-server.js';
import { freePort, hostEnvironment } from '../support/processes.js';
import { startTestServer } from '../support/test-server.js';



async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const PIPELINE = JSON.stringify({
  name: 'survivor',
  pipelineType: 'V2',
  stages: [
    { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: 'survivor', BranchName: 'main' }, outputArtifacts: [{ name: 'Src' }] }] },
    { name: 'Build', actions: [{ name: 'Build', actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' }, configuration: { ProjectName: 'survivor-build' }, inputArtifacts: [{ name: 'Src' }], outputArtifacts: [{ name: 'Out' }] }] },
    { name: 'Check', actions: [{ name: 'Check', actionTypeId: { category: 'Compute', owner: 'AWS', provider: 'Commands', version: '1' }, commands: ['test -f result.txt', 'cat result.txt'], inputArtifacts: [{ name: 'Out' }] }] },
  ],
});

test('a server killed with SIGKILL mid-execution comes back and carries the execution on; nothing runs twice', async () => {
  const dataDir = await tempDir('pipeline-kill');
  const port = await freePort();
  // Set up with an in-process server, then hand the data directory to a server process.
  const setup = await startTestServer({ dataDir, port });
  await setup.services.repositories.create({ repositoryName: 'survivor' });
  await setup.services.projects.create({
    name: 'survivor-build',
    source: { type: 'CODEPIPELINE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 3\n      - cat app.txt > result.txt\nartifacts:\n  files: [result.txt]\n' },
    environment: { image: 'shell' },
    artifacts: { type: 'CODEPIPELINE' },
  });
  await setup.services.pipelines.apply(parsePipeline(PIPELINE, 'pipeline.json'));
  const { token, url } = setup;
  await setup.stop();

  let server = await startCliServer('server', dataDir, ['--port', String(port), '--log-level', 'warn']);
  const agent = await startAgent({ serverUrl: url, token, name: 'steady', tags: {}, workDir: await tempDir('pipeline-kill-agent'), hostEnvironment: hostEnvironment() });
  const store = await openStore({ url: `sqlite://${path.join(dataDir, 'nagare.db')}` });
  const runtime = async (): Promise<PipelineRuntime> => (await store.pipelines.get('survivor'))?.runtime as PipelineRuntime;
  try {
    const work = await tempDir('pipeline-kill-work');
    await gitOk(work, ['init', '--quiet', '--initial-branch', 'main']);
    await commitFiles(work, { 'app.txt': 'payload' }, 'first');
    await gitOk(work, ['push', '--quiet', authedUrl(url, 'survivor', token), 'main']);
    await until('the Build action to be running', async () => (await runtime()).executions[0]?.actions.some((a) => a.stage === 'Build' && a.status === 'InProgress') ?? false);
    await stopCliServer(server, 'SIGKILL');
    server = await startCliServer('server', dataDir, ['--port', String(port), '--log-level', 'warn']);
    await until('the execution to succeed', async () => executionSummaries(await runtime())[0]?.status === 'Succeeded', 90_000).catch(async (error: unknown) => {
      const state = (await runtime()).executions.map((e) => ({ status: e.status, actions: e.actions.map((a) => `${a.stage}/${a.action}#${a.attempt}:${a.status}`) }));
      const builds = await store.builds.getMany((await store.builds.listIds({}, { limit: 100 })).items);
      throw new Error(`${error instanceof Error ? error.message : String(error)}; executions ${JSON.stringify(state)}; builds ${JSON.stringify(builds.map((b) => [b.id.slice(0, 40), b.currentPhase, b.buildStatus, JSON.stringify(b.record).match(/"contexts":\[\{[^\]]*\]/g)]))}`);
    });
    const actions = (await runtime()).executions[0]?.actions ?? [];
    assert.deepEqual(actions.map((a) => `${a.stage}/${a.action}#${a.attempt}:${a.status}`), ['Source/Source#1:Succeeded', 'Build/Build#1:Succeeded', 'Check/Check#1:Succeeded']);
    const builds = await store.builds.getMany((await store.builds.listIds({}, { limit: 100 })).items);
    const perAction = builds.map((b) => (b.record as { job: { pipelineAction?: { stageName: string } } }).job.pipelineAction?.stageName).filter((s) => s !== undefined).sort();
    assert.deepEqual(perAction, ['Build', 'Check'], 'one build per action: nothing ran twice');
  } finally {
    await agent.stop();
    await stopCliServer(server, 'SIGKILL');
    await store.close();
  }
});
