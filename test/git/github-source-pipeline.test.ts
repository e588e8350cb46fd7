/**
 * GitHub (v1) and CodeStarSourceConnection source actions run from a mirrored repository: the
 * mirror whose URL ends in the action's owner/repo is read, a poll that fetches a new upstream
 * commit starts the pipelines, and OutputArtifactFormat CODEBUILD_CLONE_REF gives the build a real
 * git clone (`git rev-parse HEAD` is the commit, on the action's branch).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
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
  exported-variables: [BUILT_FROM, HEAD_COMMIT, HEAD_BRANCH]
phases:
  build:
    commands:
      - export BUILT_FROM="$(cat app.txt)"
      - export HEAD_COMMIT="$(git rev-parse HEAD 2>/dev/null || echo none)"
      - export HEAD_BRANCH="$(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo none)"
`;

function definition(name: string, source: Record<string, unknown>, project: string): string {
  return JSON.stringify({
    pipeline: {
      name,
      roleArn: 'arn:aws:iam::000000000000:role/unused',
      stages: [
        { name: 'Source', actions: [{ name: 'Source', ...source, outputArtifacts: [{ name: 'SourceArtifact' }] }] },
        { name: 'Build', actions: [{ name: 'Build', actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' }, configuration: { ProjectName: project }, inputArtifacts: [{ name: 'SourceArtifact' }] }] },
      ],
    },
  });
}

async function exportedOf(pipelineName: string, commit: string): Promise<Record<string, string>> {
  const executions = async () => executionSummaries({ ...(await server.services.pipelines.runtime(pipelineName)), executions: (await server.services.pipelines.listExecutions(pipelineName, 1000)).items });
  await waitFor(`${pipelineName} to succeed for ${commit}`, async () => (await executions()).find((e) => e.sourceRevisions?.[0]?.revisionId === commit)?.status === 'Succeeded', 60_000);
  const builds = await server.services.builds.batchGet((await server.services.builds.list({ limit: 50 })).items);
  for (const build of builds.builds) {
    const record = build.record;
    const variables = Object.fromEntries((record?.exportedEnvironmentVariables ?? []).map((v) => [v.name, v.value]));
    if (variables['HEAD_COMMIT'] === commit || (variables['BUILT_FROM'] !== undefined && build.projectName === `${pipelineName}-build` && variables['BUILT_FROM'] === 'v2')) return variables;
  }
  return assert.fail(`no build of ${pipelineName} for ${commit}`);
}

test('GitHub and CodeStarSourceConnection sources read the mirror naming owner/repo and start on its fetched pushes', async () => {
  const upstream = await createUpstream({ 'app.txt': 'v1' });
  const owner = path.basename(path.dirname(upstream.bare));
  await server.services.externalRepositories.create({ repositoryName: 'mirrored-app', mirrorOf: upstream.bare, pollSeconds: 60 });
  for (const name of ['from-github', 'from-connection']) {
    await server.services.projects.create({ name: `${name}-build`, source: { type: 'CODEPIPELINE', buildspec: BUILD_SPEC }, environment: { image: 'shell' }, artifacts: { type: 'CODEPIPELINE' } });
  }
  await server.services.pipelines.apply(parsePipeline(definition('from-github', {
    actionTypeId: { category: 'Source', owner: 'ThirdParty', provider: 'GitHub', version: '1' },
    configuration: { Owner: owner, Repo: 'upstream', Branch: 'main', OAuthToken: '****', PollForSourceChanges: 'false' },
  }, 'from-github-build'), 'github.json'));
  await server.services.pipelines.apply(parsePipeline(definition('from-connection', {
    actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeStarSourceConnection', version: '1' },
    configuration: { ConnectionArn: 'arn:aws:codeconnections:us-east-1:000000000000:connection/x', FullRepositoryId: `${owner}/upstream`, BranchName: 'main', OutputArtifactFormat: 'CODEBUILD_CLONE_REF' },
  }, 'from-connection-build'), 'connection.json'));

  const commit = await upstream.commit({ 'app.txt': 'v2' }, 'v2 upstream');
  await server.mirrorPoller.pollOnce();

  const zipped = await exportedOf('from-github', commit);
  assert.equal(zipped['BUILT_FROM'], 'v2', 'the GitHub source gave the build the upstream files');
  assert.equal(zipped['HEAD_COMMIT'], 'none', 'CODE_ZIP has no .git');
  const cloned = await exportedOf('from-connection', commit);
  assert.equal(cloned['BUILT_FROM'], 'v2');
  assert.equal(cloned['HEAD_COMMIT'], commit, 'CODEBUILD_CLONE_REF gave a real git clone at the commit');
  assert.equal(cloned['HEAD_BRANCH'], 'main');
});

test('a GitHub source with no mirror for its repository fails with how to create one', async () => {
  await server.services.projects.create({ name: 'orphan-build', source: { type: 'CODEPIPELINE', buildspec: BUILD_SPEC }, environment: { image: 'shell' }, artifacts: { type: 'CODEPIPELINE' } });
  await server.services.pipelines.apply(parsePipeline(definition('orphan', {
    actionTypeId: { category: 'Source', owner: 'ThirdParty', provider: 'GitHub', version: '1' },
    configuration: { Owner: 'nobody', Repo: 'nothing', Branch: 'main' },
  }, 'orphan-build'), 'orphan.json'));
  await server.services.pipelines.dispatch('orphan', { type: 'START', executionId: '00000000-0000-4000-8000-000000000001', trigger: { type: 'Manual', detail: 'test' }, variables: {} });
  await waitFor('the orphan execution to fail', async () => executionSummaries(await server.services.pipelines.runtime('orphan')).some((e) => e.status === 'Failed'), 30_000);
  const state = JSON.stringify(await server.services.pipelines.runtime('orphan'));
  assert.match(state, /No mirrored repository serves nobody\/nothing: create one with `nagare repo create NAME --mirror https:\/\/github.com\/nobody\/nothing.git`/);
});
