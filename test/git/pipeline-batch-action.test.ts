/**
 * A pipeline's CodeBuild action with BatchEnabled: true runs the project's batch as a build batch
 * whose builds read the action's input artifact, and hands each build's artifact on under the
 * output artifact named after its identifier (CodeBuild's sample-pipeline-batch).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { executionSummaries } from '../../src/core/pipeline-execution.js';
import { parsePipeline } from '../../src/spec/pipeline.js';
import { agentFor, waitFor } from '../agent/agent-harness.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createUpstream } from './external-upstream.js';
import yauzl from 'yauzl';

let server: TestServer;
const agents: { stop(): Promise<void> }[] = [];
before(async () => {
  server = await startTestServer({ schedulerIntervalMs: 200, allowLocalMirrors: true });
  agents.push(await agentFor(server, { name: 'agent-a' }), await agentFor(server, { name: 'agent-b' }));
  const upstream = await createUpstream({ 'app.txt': 'v1' });
  await server.services.externalRepositories.create({ repositoryName: 'batch-app', mirrorOf: upstream.bare, pollSeconds: 60 });
});
after(async () => {
  await Promise.all(agents.map((agent) => agent.stop()));
  await server.stop();
});

const BATCH_SPEC = `version: 0.2
batch:
  build-list:
    - identifier: linux
      env:
        variables: {PLATFORM: linux}
    - identifier: darwin
      env:
        variables: {PLATFORM: darwin}
phases:
  build:
    commands:
      - mkdir -p out && echo "$(cat app.txt) for $PLATFORM" > out/app-$PLATFORM.txt
artifacts:
  base-directory: out
  files: ['**/*']
`;

test('a BatchEnabled CodeBuild action succeeds with one output artifact per build identifier', async () => {
  await server.services.projects.create({ name: 'batch-app-build', source: { type: 'CODEPIPELINE', buildspec: BATCH_SPEC }, environment: { image: 'shell' }, artifacts: { type: 'CODEPIPELINE' } });
  const definition = {
    pipeline: {
      name: 'batch-pipeline',
      roleArn: 'arn:aws:iam::000000000000:role/unused',
      stages: [
        { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: 'batch-app', BranchName: 'main' }, outputArtifacts: [{ name: 'Src' }] }] },
        { name: 'Build', actions: [{ name: 'Batch', actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' }, configuration: { ProjectName: 'batch-app-build', BatchEnabled: 'true' }, inputArtifacts: [{ name: 'Src' }], outputArtifacts: [{ name: 'linux' }, { name: 'darwin' }] }] },
      ],
    },
  };
  await server.services.pipelines.apply(parsePipeline(JSON.stringify(definition), 'pipeline.json'));
  await server.services.pipelines.dispatch('batch-pipeline', { type: 'START', executionId: '00000000-0000-4000-8000-0000000000b1', trigger: { type: 'Manual', detail: 'test' }, variables: {} });
  await waitFor('the batch pipeline to end', async () => executionSummaries(await server.services.pipelines.runtime('batch-pipeline')).some((e) => e.status !== 'InProgress'), 60_000);
  const [execution] = executionSummaries(await server.services.pipelines.runtime('batch-pipeline'));
  assert.equal(execution?.status, 'Succeeded', JSON.stringify(await server.services.pipelines.runtime('batch-pipeline')).slice(0, 2000));
  const batches = await server.services.buildBatches.list({ limit: 10 }, { projectName: 'batch-app-build' });
  assert.equal(batches.items.length, 1, 'one batch for the one action attempt');
  const { batches: [batch] } = await server.services.buildBatches.batchGet(batches.items);
  assert.equal(batch?.status, 'SUCCEEDED');
  assert.equal(batch?.state.initiator, 'codepipeline/batch-pipeline');
  const state = await server.services.pipelines.execution('batch-pipeline', '00000000-0000-4000-8000-0000000000b1');
  const { builds } = await server.services.buildBatches.batchGet(batches.items);
  for (const output of ['linux', 'darwin']) {
    const build = [...builds.values()].find((candidate) => candidate.record.job.batch?.identifier === output);
    assert.equal(state?.artifacts[output], build ? build.record.artifacts?.blobKey : 'no build', `output ${output} is the artifact of build ${output}`);
  }
});

test('CombineArtifacts: the one output artifact holds every build\'s files, a folder per identifier', async () => {
  await server.services.projects.create({ name: 'batch-app-combined', source: { type: 'CODEPIPELINE', buildspec: BATCH_SPEC }, environment: { image: 'shell' }, artifacts: { type: 'CODEPIPELINE' } });
  const definition = {
    pipeline: {
      name: 'combined-pipeline',
      roleArn: 'arn:aws:iam::000000000000:role/unused',
      stages: [
        { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: 'batch-app', BranchName: 'main' }, outputArtifacts: [{ name: 'Src' }] }] },
        { name: 'Build', actions: [{ name: 'Batch', actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' }, configuration: { ProjectName: 'batch-app-combined', BatchEnabled: 'true', CombineArtifacts: 'true' }, inputArtifacts: [{ name: 'Src' }], outputArtifacts: [{ name: 'All' }] }] },
      ],
    },
  };
  await server.services.pipelines.apply(parsePipeline(JSON.stringify(definition), 'pipeline.json'));
  const executionId = '00000000-0000-4000-8000-0000000000c1';
  await server.services.pipelines.dispatch('combined-pipeline', { type: 'START', executionId, trigger: { type: 'Manual', detail: 'test' }, variables: {} });
  await waitFor('the combining pipeline to end', async () => executionSummaries(await server.services.pipelines.runtime('combined-pipeline')).some((e) => e.status !== 'InProgress'), 60_000);
  const state = await server.services.pipelines.execution('combined-pipeline', executionId);
  assert.equal(executionSummaries(await server.services.pipelines.runtime('combined-pipeline'))[0]?.status, 'Succeeded');
  const key = state?.artifacts['All'] ?? assert.fail('no combined output');
  const chunks: Buffer[] = [];
  for await (const chunk of await server.services.context.blobs.read(key)) chunks.push(Buffer.from(chunk));
  const names = await new Promise<string[]>((resolve, reject) => {
    yauzl.fromBuffer(Buffer.concat(chunks), (error, zip) => {
      if (error) return reject(error);
      const found: string[] = [];
      zip.on('entry', (entry: yauzl.Entry) => found.push(entry.fileName));
      zip.on('end', () => resolve(found.sort()));
    });
  });
  assert.deepEqual(names, ['darwin/app-darwin.txt', 'linux/app-linux.txt']);
  const { batches: [batch] } = await server.services.buildBatches.batchGet((await server.services.buildBatches.list({ limit: 1 }, { projectName: 'batch-app-combined' })).items);
  assert.deepEqual(batch?.state.phases.map((phase) => phase.phaseType), ['SUBMITTED', 'DOWNLOAD_BATCHSPEC', 'IN_PROGRESS', 'COMBINE_ARTIFACTS', 'SUCCEEDED']);
});
