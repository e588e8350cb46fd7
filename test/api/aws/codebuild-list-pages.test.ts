/**
 * ListBuilds and ListBuildsForProject through the SDK's own paginators on both databases: 250
 * builds come back once each, newest first, across pages of 100, with builds of another project
 * left out of the project's list; a forged nextToken is refused.
 */
import { sampleRecord } from '../../store/fixtures.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ListBuildsCommand, paginateListBuilds, paginateListBuildsForProject } from '@aws-sdk/client-codebuild';
import { startTestServer, testDatabases } from '../../support/test-server.js';
import { codeBuildClient, rejection } from './codebuild-server.js';

for (const [database, skip] of await testDatabases()) {
  test(`${database}: the SDK paginators walk every build once, newest first`, { skip }, async () => {
    const server = await startTestServer({ database });
    const client = codeBuildClient(server);
    try {
      const t0 = Date.now() - 3_600_000;
      const ids: string[] = [];
      for (let i = 0; i < 250; i++) {
        const projectName = i % 5 === 0 ? 'other' : 'paged';
        const id = `${projectName}:${String(i).padStart(4, '0')}`;
        if (projectName === 'paged') ids.push(id);
        await server.services.context.store.builds.insert({
          id, projectName, buildNumber: i + 1, buildStatus: 'SUCCEEDED', currentPhase: 'COMPLETED', startTime: t0 + i, endTime: t0 + i + 10, stopRequested: false, logBytes: 0, logNextSequence: 0,
          record: sampleRecord(id, { phases: [] }),
        });
      }
      await server.services.projects.create({ name: 'paged', source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo]\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
      const all: string[] = [];
      let pages = 0;
      for await (const page of paginateListBuilds({ client }, {})) {
        all.push(...(page.ids ?? []));
        pages += 1;
      }
      assert.equal(pages, 3);
      assert.equal(new Set(all).size, 250);
      assert.deepEqual(all, [...all].sort((a, b) => Number(b.split(':')[1]) - Number(a.split(':')[1])), 'newest first');
      const mine: string[] = [];
      for await (const page of paginateListBuildsForProject({ client }, { projectName: 'paged' })) mine.push(...(page.ids ?? []));
      assert.deepEqual(mine, [...ids].reverse());
      const forged = await rejection(client.send(new ListBuildsCommand({ nextToken: 'not-a-token' })));
      assert.equal(forged.name, 'InvalidInputException');
    } finally {
      client.destroy();
      await server.stop();
    }
  });
}
