/**
 * A server stopped mid-deployment and started again on the same data (both databases) carries the
 * deployment on from what it stored: the running instance's job is still its agent's, the next
 * instance gets its job once, and no instance's job is enqueued twice.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { startTestServer, testDatabases, type TestServer } from '../../support/test-server.js';
import { lifecycle, pushRevision, registerHost, setUpGroup } from './deployment-fixture.js';

const servers: TestServer[] = [];
after(() => Promise.all(servers.map((s) => s.stop().catch(() => undefined))));

for (const [database, skip] of await testDatabases()) {
  void describe(`a restart mid-deployment on ${database}`, { skip }, () => {
    test('the deployment carries on after the server restarts, each instance run once', async () => {
      const first = await startTestServer({ database, schedulerIntervalMs: 60_000 });
      const agents = [await registerHost(first, 'r-1', { env: 'prod' }), await registerHost(first, 'r-2', { env: 'prod' })];
      await setUpGroup(first, 'restart-app');
      const created = await first.services.deployments.create({ applicationName: 'restart-app', deploymentGroupName: 'prod', revision: await pushRevision(first, 'restart-app/v1.zip') });
      const job = (await first.services.agents.lease(agents[0]!, 0))?.job;
      assert.ok(job?.kind === 'deploy');
      await first.stop();

      const second = await startTestServer({ dataDir: first.dataDir, databaseUrl: first.databaseUrl, schedulerIntervalMs: 60_000 });
      servers.push(second);
      // What a crash could have left undone is redone by the sweep, and redoing it changes nothing.
      await second.services.deployments.effects.sweep();
      await second.services.deployments.effects.sweep();
      assert.equal(await second.services.agents.lease(agents[1]!, 0), undefined, 'OneAtATime: the second instance waits');
      await second.services.deployments.effects.completed(agents[0]!, job.id, lifecycle());
      const next = (await second.services.agents.lease(agents[1]!, 0))?.job;
      assert.ok(next?.kind === 'deploy' && next.deploy.instanceName === 'r-2');
      await second.services.deployments.effects.sweep();
      assert.equal(await second.services.agents.lease(agents[1]!, 0), undefined, 'its job is not offered twice');
      await second.services.deployments.effects.completed(agents[1]!, next.id, lifecycle());
      const done = await second.services.deployments.get(created.deploymentId);
      assert.equal(done.rollout.status, 'Succeeded');
      const jobs = await Promise.all(['r-1', 'r-2'].map((name) => second.services.context.store.jobs.get(`${created.deploymentId}.${name}`)));
      assert.deepEqual(jobs.map((j) => [j?.state, j?.attempts]), [['DONE', 1], ['DONE', 1]]);
    });

    test('a completion whose server died after closing the job ends the instance when the agent retries it', async () => {
      const first = await startTestServer({ database, schedulerIntervalMs: 60_000 });
      servers.push(first);
      const agent = await registerHost(first, 'c-1', { env: 'prod' });
      await setUpGroup(first, 'closed-app');
      const created = await first.services.deployments.create({ applicationName: 'closed-app', deploymentGroupName: 'prod', revision: await pushRevision(first, 'closed-app/v1.zip') });
      const job = (await first.services.agents.lease(agent, 0))?.job;
      assert.ok(job?.kind === 'deploy');
      // What the first server did of the agent's report before it was killed: the job is closed, the deployment not told.
      assert.equal(await first.services.context.store.jobs.complete(job.id, agent), true);
      assert.equal((await first.services.deployments.get(created.deploymentId)).rollout.instances[0]?.status, 'InProgress');

      assert.deepEqual(await first.services.deployments.effects.completed(agent, job.id, lifecycle()), { stopRequested: false });
      assert.equal((await first.services.deployments.get(created.deploymentId)).rollout.status, 'Succeeded');
      // A further repeat changes nothing and tells the agent there is nothing left to do.
      assert.deepEqual(await first.services.deployments.effects.completed(agent, job.id, lifecycle()), { stopRequested: true });
      assert.equal((await first.services.deployments.get(created.deploymentId)).rollout.status, 'Succeeded');
    });
  });
}
