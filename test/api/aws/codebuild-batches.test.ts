/**
 * Build batches through the official CodeBuildClient on a server with two agents: StartBuildBatch
 * of a 6-build matrix and a 4-build graph, BatchGetBuildBatches, the list operations, StopBuildBatch,
 * RetryBuildBatch and DeleteBuildBatch. The batch's builds are ordinary builds on the queue, taken
 * by whichever agent is free.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  BatchGetBuildBatchesCommand,
  BatchGetBuildsCommand,
  CreateProjectCommand,
  DeleteBuildBatchCommand,
  ListBuildBatchesCommand,
  ListBuildBatchesForProjectCommand,
  RetryBuildBatchCommand,
  StartBuildBatchCommand,
  StopBuildBatchCommand,
  type BuildBatch,
  type CodeBuildClient,
} from '@aws-sdk/client-codebuild';
import { agentFor, waitFor } from '../../agent/agent-harness.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { codeBuildClient, projectInput, rejection } from './codebuild-server.js';

let server: TestServer;
let client: CodeBuildClient;
const agents: { stop(): Promise<void> }[] = [];
before(async () => {
  server = await startTestServer({ schedulerIntervalMs: 200 });
  client = codeBuildClient(server);
  agents.push(await agentFor(server, { name: 'agent-a' }), await agentFor(server, { name: 'agent-b' }));
});
after(async () => {
  client.destroy();
  await Promise.all(agents.map((agent) => agent.stop()));
  await server.stop();
});

const MATRIX = `version: 0.2
batch:
  build-matrix:
    static:
      env:
        variables:
          SUITE: unit
    dynamic:
      env:
        variables:
          NODE: [18, 20, 22]
          OS: [linux, alpine]
env:
  exported-variables: [SEEN]
phases:
  build:
    commands:
      - sleep 0.5
      - export SEEN="$CODEBUILD_BATCH_BUILD_IDENTIFIER:$SUITE:$NODE:$OS:$CODEBUILD_BATCH_BUILD_ARN"
`;

const GRAPH = `version: 0.2
batch:
  build-graph:
    - identifier: compile
    - identifier: unit_tests
      depend-on: [compile]
    - identifier: lint
    - identifier: package
      depend-on: [unit_tests, lint]
phases:
  build:
    commands:
      - sleep 0.3
      - test ! -e "$FAIL_ONCE" || { rm -f "$FAIL_ONCE"; exit 1; }
`;

async function project(name: string, buildspec: string): Promise<void> {
  await client.send(new CreateProjectCommand(projectInput(name, { source: { type: 'NO_SOURCE', buildspec } })));
}

async function batchOf(id: string): Promise<BuildBatch> {
  const { buildBatches } = await client.send(new BatchGetBuildBatchesCommand({ ids: [id] }));
  return buildBatches?.[0] ?? assert.fail(`no batch ${id}`);
}

async function finished(id: string, timeoutMs = 60_000): Promise<BuildBatch> {
  await waitFor(`batch ${id} to end`, async () => (await batchOf(id)).complete === true, timeoutMs);
  return batchOf(id);
}

const groupStatuses = (batch: BuildBatch): Record<string, string | undefined> =>
  Object.fromEntries((batch.buildGroups ?? []).map((group) => [group.identifier ?? '', group.currentBuildSummary?.buildStatus]));

test('StartBuildBatch of a 6-build matrix runs every build, spread over two agents, each with its identifier and values', async () => {
  await project('matrix-six', MATRIX);
  const { buildBatch } = await client.send(new StartBuildBatchCommand({ projectName: 'matrix-six' }));
  assert.match(buildBatch?.id ?? '', /^matrix-six:[0-9a-f-]{36}$/);
  assert.equal(buildBatch?.arn, `arn:aws:codebuild:us-east-1:000000000000:build-batch/${buildBatch?.id}`);
  assert.equal(buildBatch?.buildBatchNumber, 1);
  const batch = await finished(buildBatch?.id ?? '');
  assert.equal(batch.buildBatchStatus, 'SUCCEEDED');
  assert.deepEqual(batch.phases?.map((phase) => phase.phaseType), ['SUBMITTED', 'DOWNLOAD_BATCHSPEC', 'IN_PROGRESS', 'SUCCEEDED']);
  assert.deepEqual(groupStatuses(batch), { build1: 'SUCCEEDED', build2: 'SUCCEEDED', build3: 'SUCCEEDED', build4: 'SUCCEEDED', build5: 'SUCCEEDED', build6: 'SUCCEEDED' });
  const buildIds = (batch.buildGroups ?? []).map((group) => (group.currentBuildSummary?.arn ?? '').replace(/^.*:build\//, ''));
  const { builds } = await client.send(new BatchGetBuildsCommand({ ids: buildIds }));
  const seen = (builds ?? []).map((build) => build.exportedEnvironmentVariables?.find((variable) => variable.name === 'SEEN')?.value).sort();
  assert.deepEqual(seen, ['build1:unit:18:linux', 'build2:unit:18:alpine', 'build3:unit:20:linux', 'build4:unit:20:alpine', 'build5:unit:22:linux', 'build6:unit:22:alpine'].map((s) => `${s}:${batch.arn}`));
  for (const build of builds ?? []) assert.equal(build.buildBatchArn, batch.arn);
  const stored = await server.services.builds.batchGet(buildIds);
  const agentIds = new Set(stored.builds.map((build) => build.record.agentId));
  assert.equal(agentIds.size, 2, 'both agents took builds of the batch');
});

test('a build graph of 4 starts each build only after the builds it depends on succeeded', async () => {
  await project('graph-four', GRAPH);
  const { buildBatch } = await client.send(new StartBuildBatchCommand({ projectName: 'graph-four', environmentVariablesOverride: [{ name: 'FAIL_ONCE', value: '/nonexistent', type: 'PLAINTEXT' }] }));
  const batch = await finished(buildBatch?.id ?? '');
  assert.equal(batch.buildBatchStatus, 'SUCCEEDED');
  const groups = new Map((batch.buildGroups ?? []).map((group) => [group.identifier, group]));
  assert.deepEqual(groups.get('package')?.dependsOn, ['unit_tests', 'lint']);
  const ids = [...groups.values()].map((group) => (group.currentBuildSummary?.arn ?? '').replace(/^.*:build\//, ''));
  const { builds } = await server.services.builds.batchGet(ids);
  const byIdentifier = new Map(builds.map((build) => [build.record.job.batch?.identifier, build]));
  for (const [identifier, prerequisites] of [['unit_tests', ['compile']], ['package', ['unit_tests', 'lint']]] as const) {
    for (const prerequisite of prerequisites) {
      assert.ok((byIdentifier.get(identifier)?.startTime ?? 0) >= (byIdentifier.get(prerequisite)?.endTime ?? Infinity), `${identifier} was queued after ${prerequisite} ended`);
    }
  }
});

test('a failed prerequisite stops its dependents; RetryBuildBatch RETRY_FAILED_BUILDS runs them again and keeps the prior attempt', async () => {
  // In a directory anyone may write to (not sticky /tmp), so that the build's own user removes it.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nagare-fail-once-'));
  await chmod(dir, 0o777);
  const marker = path.join(dir, 'fail');
  await writeFile(marker, 'fail');
  const { buildBatch } = await client.send(new StartBuildBatchCommand({ projectName: 'graph-four', buildspecOverride: GRAPH.replace('- identifier: lint\n', '- identifier: lint\n      depend-on: [compile]\n'), environmentVariablesOverride: [{ name: 'FAIL_ONCE', value: marker, type: 'PLAINTEXT' }] }));
  const failed = await finished(buildBatch?.id ?? '');
  assert.equal(failed.buildBatchStatus, 'FAILED');
  assert.deepEqual(groupStatuses(failed), { compile: 'FAILED', unit_tests: 'STOPPED', lint: 'STOPPED', package: 'STOPPED' });
  const retried = await client.send(new RetryBuildBatchCommand({ id: failed.id, retryType: 'RETRY_FAILED_BUILDS' }));
  assert.equal(retried.buildBatch?.buildBatchStatus, 'IN_PROGRESS');
  const batch = await finished(failed.id ?? '');
  assert.equal(batch.buildBatchStatus, 'SUCCEEDED');
  assert.equal(batch.buildGroups?.find((group) => group.identifier === 'compile')?.priorBuildSummaryList?.[0]?.buildStatus, 'FAILED');
  assert.deepEqual(batch.phases?.map((phase) => `${phase.phaseType}${phase.phaseStatus ? `(${phase.phaseStatus})` : ''}`).slice(2), ['IN_PROGRESS(CLIENT_ERROR)', 'FAILED(RETRY)', 'SUBMITTED(SUCCEEDED)', 'IN_PROGRESS(SUCCEEDED)', 'SUCCEEDED']);
  const again = await rejection(client.send(new RetryBuildBatchCommand({ id: failed.id })));
  assert.equal(again.name, 'InvalidInputException', 'a batch that succeeded cannot be retried');
});

test('StopBuildBatch stops the running builds and ends the batch STOPPED', async () => {
  await project('slow-batch', 'version: 0.2\nbatch:\n  build-list:\n    - identifier: one\n    - identifier: two\nphases:\n  build:\n    commands:\n      - sleep 60\n');
  const { buildBatch } = await client.send(new StartBuildBatchCommand({ projectName: 'slow-batch' }));
  const stopped = await client.send(new StopBuildBatchCommand({ id: buildBatch?.id }));
  assert.ok(stopped.buildBatch);
  const batch = await finished(buildBatch?.id ?? '', 40_000);
  assert.equal(batch.buildBatchStatus, 'STOPPED');
  assert.equal(batch.phases?.at(-1)?.phaseType, 'STOPPED');
  assert.deepEqual(Object.values(groupStatuses(batch)), ['STOPPED', 'STOPPED']);
});

test('ListBuildBatches, ListBuildBatchesForProject with a status filter, and DeleteBuildBatch with its builds', async () => {
  const all = (await client.send(new ListBuildBatchesCommand({}))).ids ?? [];
  assert.ok(all.length >= 4);
  const forProject = (await client.send(new ListBuildBatchesForProjectCommand({ projectName: 'graph-four' }))).ids ?? [];
  assert.equal(forProject.length, 2);
  const stopped = (await client.send(new ListBuildBatchesCommand({ filter: { status: 'STOPPED' } }))).ids ?? [];
  assert.equal(stopped.length, 1);
  const [id] = (await client.send(new ListBuildBatchesForProjectCommand({ projectName: 'matrix-six' }))).ids ?? [];
  const deleted = await client.send(new DeleteBuildBatchCommand({ id }));
  assert.equal(deleted.statusCode, 'BATCH_DELETED');
  assert.equal(deleted.buildsDeleted?.length, 6);
  const { buildBatchesNotFound } = await client.send(new BatchGetBuildBatchesCommand({ ids: [id ?? ''] }));
  assert.deepEqual(buildBatchesNotFound, [id]);
});

test('StartBuildBatch of a buildspec without a batch section is InvalidInputException; an unknown project is ResourceNotFoundException', async () => {
  await project('no-batch', 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo one\n');
  assert.equal((await rejection(client.send(new StartBuildBatchCommand({ projectName: 'no-batch' })))).name, 'InvalidInputException');
  assert.equal((await rejection(client.send(new StartBuildBatchCommand({ projectName: 'nothing-here' })))).name, 'ResourceNotFoundException');
  const combined = await rejection(client.send(new StartBuildBatchCommand({ projectName: 'no-batch', buildspecOverride: 'version: 0.2\nbatch:\n  combine-artifacts: true\n  build-list:\n    - identifier: a\nphases:\n  build:\n    commands: [echo]\n' })));
  assert.match(combined.message, /combine-artifacts.*not yet by StartBuildBatch/);
  assert.equal((await client.send(new ListBuildBatchesForProjectCommand({ projectName: 'no-batch' }))).ids?.length, 0, 'a refused batch leaves nothing behind');
  const override = await rejection(client.send(new StartBuildBatchCommand({ projectName: 'matrix-six', buildBatchConfigOverride: { combineArtifacts: true } })));
  assert.equal(override.name, 'InvalidInputException');
  assert.match(override.message, /StartBuildBatch buildBatchConfigOverride is not supported/);
});
