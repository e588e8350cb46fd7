/**
 * Retention on both databases with an injected clock: `pruneHistory` deletes a completed build
 * older than its window with its log chunks and artifact blob, keeps a newer one whole, and deletes
 * ended pipeline executions older than theirs while the runtime's own and newer ones stay. Off by
 * default: with no window nothing is deleted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredBuild } from '../../src/core/store.js';
import { logBlobKey } from '../../src/server/builds/build-records.js';
import { pruneHistory } from '../../src/server/history/history-retention.js';
import { agentFor, waitFor, waitForBuild } from '../agent/agent-harness.js';
import { startTestServer, testDatabases, type TestServer } from '../support/test-server.js';

const DAY = 24 * 60 * 60 * 1000;
const BUILDSPEC = ['version: 0.2', 'phases:', '  build:', '    commands:', '      - echo one', '      - echo out > out.txt', 'artifacts:', '  files:', '    - out.txt', ''].join('\n');

async function blobExists(server: TestServer, key: string): Promise<boolean> {
  return (await server.services.context.blobs.size(key)) !== undefined;
}

function blobsOf(build: StoredBuild): string[] {
  const keys = Array.from({ length: build.logNextSequence }, (_, i) => logBlobKey(build.id, i));
  const artifact = build.record.artifacts?.blobKey;
  return artifact === undefined ? keys : [...keys, artifact];
}

for (const [database, skip] of await testDatabases()) {
  test(`${database}: retention deletes old builds with their blobs and old ended executions, and nothing when off`, { skip }, async () => {
    let now = Date.now();
    const server = await startTestServer({ database, clock: () => now, schedulerIntervalMs: 3_600_000 });
    const agent = await agentFor(server);
    try {
      const { services } = server;
      await services.projects.create({ name: 'kept', source: { type: 'NO_SOURCE', buildspec: BUILDSPEC }, environment: { image: 'shell' }, artifacts: { type: 'S3', location: 'bucket' } });
      const old = await waitForBuild(server, (await services.builds.startBuild({ projectName: 'kept', initiator: 't' })).id);
      assert.equal(old.buildStatus, 'SUCCEEDED');
      const oldBlobs = blobsOf(old);
      assert.ok(oldBlobs.length >= 2 && old.record.artifacts, 'a log chunk and an artifact');
      for (const key of oldBlobs) assert.ok(await blobExists(server, key), key);

      // Executions that fail at once (their source repository has no commit), ten days apart.
      await services.repositories.create({ repositoryName: 'empty' });
      const definition = {
        name: 'pruned', pipelineType: 'V2' as const, executionMode: 'PARALLEL' as const, roleArn: undefined, artifactStore: undefined, variables: [], triggers: [], version: 1,
        stages: [
          { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source' as const, owner: 'AWS' as const, provider: 'CodeCommit', version: '1' }, runOrder: 1, configuration: { RepositoryName: 'empty', BranchName: 'main' }, commands: [], inputArtifacts: [], outputArtifacts: ['SourceArtifact'], namespace: undefined, region: undefined, roleArn: undefined, timeoutInMinutes: undefined }] },
          { name: 'Approval', actions: [{ name: 'Approve', actionTypeId: { category: 'Approval' as const, owner: 'AWS' as const, provider: 'Manual', version: '1' }, runOrder: 1, configuration: {}, commands: [], inputArtifacts: [], outputArtifacts: [], namespace: undefined, region: undefined, roleArn: undefined, timeoutInMinutes: undefined }] },
        ],
      };
      await services.pipelines.create(definition);
      const startAndFail = async (id: string): Promise<void> => {
        await services.pipelines.dispatch('pruned', { type: 'START', executionId: id, trigger: { type: 'Manual' }, variables: {} });
        await waitFor(`${id} to fail`, async () => (await services.pipelines.execution('pruned', id))?.status === 'Failed', 30_000);
      };
      await startAndFail('first');
      await startAndFail('second');

      now += 10 * DAY;
      const recent = await waitForBuild(server, (await services.builds.startBuild({ projectName: 'kept', initiator: 't' })).id);
      await startAndFail('third');
      const ids = async (): Promise<string[]> => (await services.pipelines.listExecutions('pruned', 10)).items.map((e) => e.pipelineExecutionId);

      assert.deepEqual(await pruneHistory(services.context, {}, now + 100 * DAY), { builds: 0, executions: 0 }, 'off by default');
      assert.deepEqual(await ids(), ['third', 'second', 'first']);

      const pruned = await pruneHistory(services.context, { buildsDays: 7, executionsDays: 7 }, now);
      assert.deepEqual(pruned, { builds: 1, executions: 2 });
      await assert.rejects(services.builds.get(old.id), /cannot be found/);
      for (const key of oldBlobs) assert.equal(await blobExists(server, key), false, `${key} is gone`);
      assert.equal((await services.builds.get(recent.id)).buildStatus, 'SUCCEEDED');
      for (const key of blobsOf(recent)) assert.ok(await blobExists(server, key), `${key} is kept`);
      assert.deepEqual(await ids(), ['third']);
      assert.equal(await services.pipelines.execution('pruned', 'first'), undefined);
    } finally {
      await agent.stop();
      await server.stop();
    }
  });
}
