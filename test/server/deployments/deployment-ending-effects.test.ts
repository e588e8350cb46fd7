/**
 * The effects of a deployment's ending survive a server that dies after saving it (both
 * databases): the ending is saved with its effects pending, and the sweep of a server started
 * again on the same data carries them out — the group's last deployments and target revision, the
 * instances' health, the automatic rollback — once. The crash is a fault injected into the
 * effects step of the first server after the save; the store is real.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { RevisionLocation } from '../../../src/core/deployment.js';
import { rollbackDeploymentId } from '../../../src/server/deployments/deployment-effects.js';
import { startTestServer, testDatabases, type TestDatabase, type TestServer } from '../../support/test-server.js';
import { playAgents, pushRevision, registerHost, setUpGroup } from './deployment-fixture.js';

const servers: TestServer[] = [];
after(() => Promise.all(servers.map((s) => s.stop().catch(() => undefined))));

const APP = 'ending-app';

async function server(database: TestDatabase): Promise<TestServer> {
  const started = await startTestServer({ database, schedulerIntervalMs: 60_000 });
  servers.push(started);
  return started;
}

/** The same data, served by a new server (the first one is stopped). */
async function restart(first: TestServer): Promise<TestServer> {
  await first.stop();
  const second = await startTestServer({ dataDir: first.dataDir, databaseUrl: first.databaseUrl, schedulerIntervalMs: 60_000 });
  servers.push(second);
  return second;
}

/** The server dies once the ending transition is saved: none of its effects is carried out. */
function dieAfterSavingTheEnding(s: TestServer): void {
  s.services.deployments.effects.settle = () => Promise.reject(new Error('the server died after saving the ending'));
}

/** The server dies after carrying out the ending effects, before clearing them; returns the undo. */
function dieBeforeClearingTheEffects(s: TestServer): () => void {
  const { deployments } = s.services;
  const clear = deployments.clearPendingEffects.bind(deployments);
  deployments.clearPendingEffects = () => Promise.reject(new Error('the server died before clearing the ending effects'));
  return () => {
    deployments.clearPendingEffects = clear;
  };
}

/** What the ending effects write, to compare before and after another sweep. */
async function written(s: TestServer, instances: readonly string[]): Promise<unknown> {
  const group = await s.services.deployments.applications.group(APP, 'prod');
  const health = await Promise.all(instances.map(async (name) => (await s.services.deployments.instances.get(name)).lastDeployments));
  const deployments = await s.services.deployments.list({ applicationName: APP, deploymentGroupName: 'prod' }, { limit: 100 });
  const jobIds = deployments.items.flatMap((id) => instances.map((name) => `${id}.${name}`));
  const jobs = (await s.services.context.store.jobs.getMany(jobIds)).map((j) => [j.id, j.state, j.attempts]);
  const rollbackInfos = (await s.services.deployments.getMany(deployments.items)).map((d) => [d.deploymentId, d.rollbackInfo]);
  return { group, health, deployments: deployments.items, rollbackInfos, jobs };
}

/** Deploys `revision` to completion with the first server healthy. */
async function deployGood(s: TestServer, agents: readonly string[], revision: RevisionLocation): Promise<string> {
  const created = await s.services.deployments.create({ applicationName: APP, deploymentGroupName: 'prod', revision });
  await playAgents(s, created.deploymentId, agents);
  return created.deploymentId;
}

for (const [database, skip] of await testDatabases()) {
  void describe(`the ending of a deployment survives a crash on ${database}`, { skip }, () => {
    test('a deployment that succeeded before the crash is recorded by the restarted server’s sweep: last successful deployment, target revision, instance health', async () => {
      const first = await server(database);
      const agents = [await registerHost(first, 'e-1', { env: 'prod' })];
      await setUpGroup(first, APP);
      const revision = await pushRevision(first, `${APP}/v1.zip`);
      dieAfterSavingTheEnding(first);
      const created = await first.services.deployments.create({ applicationName: APP, deploymentGroupName: 'prod', revision });
      await assert.rejects(playAgents(first, created.deploymentId, agents), /died after saving the ending/);
      assert.equal((await first.services.deployments.get(created.deploymentId)).rollout.status, 'Succeeded');
      const lost = await first.services.deployments.applications.group(APP, 'prod');
      assert.equal(lost.lastSuccessfulDeployment, undefined, 'the crash left the group as it was');
      assert.equal(lost.lastAttemptedDeployment?.status, 'Created');

      const second = await restart(first);
      await second.services.deployments.effects.sweep();
      const group = await second.services.deployments.applications.group(APP, 'prod');
      assert.equal(group.lastSuccessfulDeployment?.deploymentId, created.deploymentId);
      assert.deepEqual([group.lastAttemptedDeployment?.deploymentId, group.lastAttemptedDeployment?.status], [created.deploymentId, 'Succeeded']);
      assert.deepEqual(group.targetRevision, revision);
      const health = (await second.services.deployments.instances.get('e-1')).lastDeployments[group.deploymentGroupId];
      assert.deepEqual([health?.deploymentId, health?.succeeded], [created.deploymentId, true]);
      assert.equal((await second.services.deployments.get(created.deploymentId)).pendingEffects, undefined);

      const once = await written(second, ['e-1']);
      await second.services.deployments.effects.sweep();
      assert.deepEqual(await written(second, ['e-1']), once, 'a second sweep changes nothing');
    });

    test('a deployment that failed before the crash with automatic rollback is rolled back once by the restarted server’s sweep', async () => {
      const first = await server(database);
      const agents = [await registerHost(first, 'e-1', { env: 'prod' }), await registerHost(first, 'e-2', { env: 'prod' })];
      await setUpGroup(first, APP, { deploymentConfigName: 'CodeDeployDefault.AllAtOnce', autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] } });
      const good = await pushRevision(first, `${APP}/good.zip`);
      const goodId = await deployGood(first, agents, good);
      dieAfterSavingTheEnding(first);
      const bad = await first.services.deployments.create({ applicationName: APP, deploymentGroupName: 'prod', revision: await pushRevision(first, `${APP}/bad.zip`) });
      await assert.rejects(playAgents(first, bad.deploymentId, agents, { 'e-1': 'ValidateService', 'e-2': 'ValidateService' }), /died after saving the ending/);
      const rollbackId = rollbackDeploymentId(bad.deploymentId);
      assert.equal(await first.services.context.store.deployments.get(rollbackId), undefined, 'the crash lost the rollback');

      const second = await restart(first);
      await second.services.deployments.effects.sweep();
      const failed = await second.services.deployments.get(bad.deploymentId);
      assert.equal(failed.rollout.status, 'Failed');
      assert.equal(failed.rollbackInfo?.rollbackDeploymentId, rollbackId);
      const rollback = await second.services.deployments.get(rollbackId);
      assert.deepEqual([rollback.creator, rollback.revision, rollback.rollbackInfo?.rollbackTriggeringDeploymentId], ['codeDeployRollback', good, bad.deploymentId]);
      const group = await second.services.deployments.applications.group(APP, 'prod');
      assert.equal(group.lastSuccessfulDeployment?.deploymentId, goodId);
      assert.equal(group.lastAttemptedDeployment?.deploymentId, rollbackId, 'the rollback is the last attempted');
      for (const name of ['e-1', 'e-2']) {
        const health = (await second.services.deployments.instances.get(name)).lastDeployments[group.deploymentGroupId];
        assert.deepEqual([health?.deploymentId, health?.succeeded], [bad.deploymentId, false], name);
      }

      const once = await written(second, ['e-1', 'e-2']);
      await second.services.deployments.effects.sweep();
      assert.deepEqual(await written(second, ['e-1', 'e-2']), once, 'a second sweep changes nothing');
      const ids = (await second.services.deployments.list({ applicationName: APP, deploymentGroupName: 'prod' }, { limit: 100 })).items;
      assert.deepEqual(ids, [rollbackId, bad.deploymentId, goodId], 'one rollback');
      await playAgents(second, rollbackId, agents);
      assert.deepEqual((await second.services.deployments.applications.group(APP, 'prod')).targetRevision, good);
    });

    test('ending effects carried out but not cleared before the crash are carried out again without a second rollback or overwriting the newer rollback', async () => {
      const first = await server(database);
      const agents = [await registerHost(first, 'e-1', { env: 'prod' })];
      await setUpGroup(first, APP, { autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] } });
      const good = await pushRevision(first, `${APP}/good.zip`);
      const goodId = await deployGood(first, agents, good);
      const recover = dieBeforeClearingTheEffects(first);
      const bad = await first.services.deployments.create({ applicationName: APP, deploymentGroupName: 'prod', revision: await pushRevision(first, `${APP}/bad.zip`) });
      await assert.rejects(playAgents(first, bad.deploymentId, agents, { 'e-1': 'Install' }), /died before clearing/);
      const rollbackId = rollbackDeploymentId(bad.deploymentId);
      // The rollback runs to success before the crash: the failed deployment's ending, carried out
      // again, must keep the rollback as the group's last deployments and the instance's health.
      recover();
      await playAgents(first, rollbackId, agents);
      const before = await written(first, ['e-1']);
      const lastGroup = (await first.services.deployments.applications.group(APP, 'prod'));
      assert.deepEqual([lastGroup.lastAttemptedDeployment?.deploymentId, lastGroup.lastSuccessfulDeployment?.deploymentId], [rollbackId, rollbackId]);
      assert.deepEqual((await first.services.context.store.deployments.withPendingEffects()).map((d) => d.deployment.deploymentId), [bad.deploymentId], 'the failed deployment’s effects are still pending');

      const second = await restart(first);
      await second.services.deployments.effects.sweep();
      assert.deepEqual(await second.services.context.store.deployments.withPendingEffects(), []);
      assert.deepEqual(await written(second, ['e-1']), before, 'carrying them out again changed nothing');
      const ids = (await second.services.deployments.list({ applicationName: APP, deploymentGroupName: 'prod' }, { limit: 100 })).items;
      assert.deepEqual(ids, [rollbackId, bad.deploymentId, goodId], 'one rollback');
      const job = await second.services.context.store.jobs.get(`${rollbackId}.e-1`);
      assert.deepEqual([job?.state, job?.attempts], ['DONE', 1], 'the rollback’s job ran once');
    });
  });
}
