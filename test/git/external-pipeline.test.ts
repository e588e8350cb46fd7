/**
 * A pipeline whose Source is an external repository runs, unchanged, on an upstream change that a
 * poll detects: Source zips the fetched commit and the build sees the upstream's files.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { executionSummaries } from '../../src/core/pipeline-execution.js';
import { parsePipeline } from '../../src/spec/pipeline.js';
import { agentFor, waitFor } from '../agent/agent-harness.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createUpstream } from './external-upstream.js';

let server: TestServer;
let stopAgent: () => Promise<void>;
before(async () => {
  server = await startTestServer({ schedulerIntervalMs: 200, allowLocalMirrors: true });
  const agent = await agentFor(server);
  stopAgent = () => agent.stop();
});
after(async () => {
  await stopAgent();
  await server.stop();
});

const BUILD_SPEC = `version: 0.2
env:
  exported-variables: [BUILT_FROM]
phases:
  build:
    commands:
      - export BUILT_FROM="$(cat app.txt)"
`;

test('an upstream commit detected by polling starts the pipeline watching the mirror', async () => {
  const upstream = await createUpstream({ 'app.txt': 'v1' });
  await server.services.externalRepositories.create({ repositoryName: 'upstream-app', mirrorOf: upstream.bare, pollSeconds: 60 });
  await server.services.projects.create({ name: 'upstream-app-build', source: { type: 'CODEPIPELINE', buildspec: BUILD_SPEC }, environment: { image: 'shell' }, artifacts: { type: 'CODEPIPELINE' } });
  const definition = {
    pipeline: {
      name: 'from-upstream',
      pipelineType: 'V2',
      roleArn: 'arn:aws:iam::000000000000:role/unused',
      stages: [
        { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: 'upstream-app', BranchName: 'main' }, outputArtifacts: [{ name: 'SourceArtifact' }] }] },
        { name: 'Build', actions: [{ name: 'Build', actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' }, configuration: { ProjectName: 'upstream-app-build' }, inputArtifacts: [{ name: 'SourceArtifact' }], namespace: 'BuildVariables' }] },
      ],
    },
  };
  await server.services.pipelines.apply(parsePipeline(JSON.stringify(definition), 'pipeline.json'));
  // Every execution, in flight or in history.
  const runtime = async (): ReturnType<typeof server.services.pipelines.runtime> => ({ ...(await server.services.pipelines.runtime('from-upstream')), executions: (await server.services.pipelines.listExecutions('from-upstream', 1000)).items });
  const initial = executionSummaries(await runtime()).length;

  const commit = await upstream.commit({ 'app.txt': 'v2' }, 'v2 upstream');
  const results = await server.mirrorPoller.pollOnce();
  assert.deepEqual(results.map((r) => ('events' in r ? r.events.map((e) => [e.ref, e.newCommit, e.pusher]) : r.error)), [[['refs/heads/main', commit, 'poll']]]);

  await waitFor('the execution for the upstream commit to succeed', async () => {
    const latest = executionSummaries(await runtime()).find((e) => e.sourceRevisions?.[0]?.revisionId === commit);
    return latest?.status === 'Succeeded';
  }, 60_000);
  const executions = executionSummaries(await runtime());
  assert.equal(executions.length, initial + 1, 'one execution for the one change');
  const builds = await server.services.builds.batchGet((await server.services.builds.list({ limit: 10 })).items);
  const exported = builds.builds.map((b) => JSON.stringify(b.record)).find((r) => r.includes('BUILT_FROM'));
  assert.ok(exported?.includes('v2'), 'the build saw the upstream file');
});
