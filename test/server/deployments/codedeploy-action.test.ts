/**
 * The pipeline's CodeDeploy deploy action on a real server: a push runs Source → Deploy, the
 * action deploys the source artifact to the group, the pipeline shows the deployment id and
 * succeeds or fails with the deployment; the deployment joins the execution's trace.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { executionSummaries } from '../../../src/core/pipeline-execution.js';
import { actionTraceContext } from '../../../src/server/events/trace.js';
import { parsePipeline } from '../../../src/spec/pipeline.js';
import { authedUrl, commitFiles, gitOk, tempDir } from '../../git/git-client.js';
import { waitFor } from '../../agent/agent-harness.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { playAgents, registerHost, setUpGroup } from './deployment-fixture.js';

let server: TestServer;
before(async () => {
  server = await startTestServer({ schedulerIntervalMs: 200 });
});
after(() => server.stop());

async function deployPipeline(name: string): Promise<(content: string) => Promise<void>> {
  await server.services.repositories.create({ repositoryName: name });
  const definition = {
    pipeline: {
      name,
      roleArn: 'arn:aws:iam::000000000000:role/unused',
      stages: [
        { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: name, BranchName: 'main' }, outputArtifacts: [{ name: 'SourceArtifact' }] }] },
        { name: 'Beta', actions: [{ name: 'DeployToBeta', actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'CodeDeploy', version: '1' }, configuration: { ApplicationName: name, DeploymentGroupName: 'prod' }, inputArtifacts: [{ name: 'SourceArtifact' }] }] },
      ],
    },
  };
  await server.services.pipelines.apply(parsePipeline(JSON.stringify(definition), 'pipeline.json'));
  const work = await tempDir('deploy-pipeline');
  await gitOk(work, ['init', '--quiet', '--initial-branch', 'main']);
  await gitOk(work, ['remote', 'add', 'origin', authedUrl(server.url, name, server.token)]);
  return async (content) => {
    await commitFiles(work, { 'appspec.yml': 'version: 0.0\nos: linux\n', 'app.txt': content }, content);
    await gitOk(work, ['push', '--quiet', 'origin', 'main']);
  };
}

async function deploymentOfLatest(name: string): Promise<string> {
  let id: string | undefined;
  await waitFor('the deploy action to create its deployment', async () => {
    const execution = (await server.services.pipelines.runtime(name)).executions.at(-1);
    id = execution?.actions.find((a) => a.action === 'DeployToBeta')?.externalExecutionId;
    if (id) return true;
    const { items } = await server.services.deployments.list({ applicationName: name }, { limit: 1 });
    id = items[0];
    return id !== undefined;
  }, 30_000);
  return id ?? '';
}

test('a CodeDeploy action deploys the input artifact and the pipeline succeeds with the deployment', async () => {
  const agent = await registerHost(server, 'pipe-host', { env: 'prod' });
  await setUpGroup(server, 'pipe-ok');
  const push = await deployPipeline('pipe-ok');
  await push('v1');
  const deploymentId = await deploymentOfLatest('pipe-ok');
  const deployment = await server.services.deployments.get(deploymentId);
  assert.equal(deployment.revision.revisionType === 'S3' && deployment.revision.s3Location.bucket, 'nagare-pipeline-artifacts');
  assert.equal(deployment.requestedBy, 'codepipeline/pipe-ok');
  // The deployment is in the push's trace, under the deploy action attempt's span.
  const execution = (await server.services.pipelines.runtime('pipe-ok')).executions.at(-1);
  assert.ok(execution);
  const expected = actionTraceContext(execution, { stageName: 'Beta', actionName: 'DeployToBeta', attempt: 1 });
  assert.equal(deployment.traceParent?.split('-')[1], expected.traceId);
  assert.equal(deployment.traceParent?.split('-')[1], execution.traceParent?.split('-')[1], 'the push\'s trace');
  assert.equal(deployment.parentSpanId, expected.spanId);
  await playAgents(server, deploymentId, [agent]);
  await waitFor('the execution to succeed', async () => executionSummaries(await server.services.pipelines.runtime('pipe-ok'))[0]?.status === 'Succeeded', 30_000);
  const action = (await server.services.pipelines.runtime('pipe-ok')).executions.at(-1)?.actions.find((a) => a.action === 'DeployToBeta');
  assert.equal(action?.externalExecutionId, deploymentId, 'the pipeline shows the deployment id');
});

test('a CodeDeploy action fails when its deployment fails', async () => {
  const agent = await registerHost(server, 'pipe-host-2', { env: 'prod2' });
  await setUpGroup(server, 'pipe-bad', { onPremisesInstanceTagFilters: [{ Key: 'env', Value: 'prod2', Type: 'KEY_AND_VALUE' }] });
  const push = await deployPipeline('pipe-bad');
  await push('v1');
  const deploymentId = await deploymentOfLatest('pipe-bad');
  await playAgents(server, deploymentId, [agent], { 'pipe-host-2': 'ValidateService' });
  await waitFor('the execution to fail', async () => executionSummaries(await server.services.pipelines.runtime('pipe-bad'))[0]?.status === 'Failed', 30_000);
});
