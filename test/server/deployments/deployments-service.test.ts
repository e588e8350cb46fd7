/**
 * CodeDeploy deployments on a real server and store (both databases): instances chosen by tags, the
 * rollout run as `deploy` jobs targeted at each instance's agent, the group's target revision and
 * the instances' health afterwards, automatic rollback, stop, queueing, lost agents, bad input.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { isNagareError } from '../../../src/core/errors.js';
import { startTestServer, testDatabases, type TestServer } from '../../support/test-server.js';
import { lifecycle, playAgents, pushRevision, registerHost, setUpGroup } from './deployment-fixture.js';

const servers: TestServer[] = [];
after(() => Promise.all(servers.map((s) => s.stop())));

async function server(database: 'sqlite' | 'postgres', options: { leaseMs?: number } = {}): Promise<TestServer> {
  const started = await startTestServer({ database, schedulerIntervalMs: 60_000, ...options });
  servers.push(started);
  return started;
}

async function refusal(work: Promise<unknown>): Promise<{ code: string; awsException: unknown; message: string }> {
  try {
    await work;
  } catch (error) {
    assert.ok(isNagareError(error), String(error));
    return { code: error.code, awsException: error.details.awsException, message: error.message };
  }
  throw new Error('expected a refusal');
}

for (const [database, skip] of await testDatabases()) {
  void describe(`deployments on ${database}`, { skip }, () => {
    test('OneAtATime deploys to the tagged instances one at a time, then records the target revision and their health', async () => {
      const s = await server(database);
      const agents = [await registerHost(s, 'web-1', { env: 'prod' }), await registerHost(s, 'web-2', { env: 'prod' }), await registerHost(s, 'web-3', { env: 'prod' })];
      await registerHost(s, 'beta-1', { env: 'beta' });
      await setUpGroup(s, 'shop');
      const revision = await pushRevision(s, 'shop/v1.zip');
      const created = await s.services.deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision });
      assert.match(created.deploymentId, /^d-[A-Z0-9]{9}$/);
      assert.equal(created.rollout.status, 'InProgress');
      const run = await playAgents(s, created.deploymentId, agents);
      assert.equal(run.maxConcurrent, 1);
      assert.deepEqual(run.order, ['web-1', 'web-2', 'web-3']);
      const done = await s.services.deployments.get(created.deploymentId);
      assert.equal(done.rollout.status, 'Succeeded');
      const group = await s.services.deployments.applications.group('shop', 'prod');
      assert.deepEqual(group.targetRevision, revision);
      assert.equal(group.lastSuccessfulDeployment?.deploymentId, created.deploymentId);
      const web1 = await s.services.deployments.instances.get('web-1');
      assert.equal(web1.lastDeployments[group.deploymentGroupId]?.succeeded, true);
      const used = await s.services.deployments.revisions.get('shop', revision);
      assert.deepEqual(used.deploymentGroups, ['prod']);
    });

    test('a failed deployment rolls back automatically to the last good revision, with rollbackInfo on both', async () => {
      const s = await server(database);
      const agents = [await registerHost(s, 'web-1', { env: 'prod' }), await registerHost(s, 'web-2', { env: 'prod' })];
      await setUpGroup(s, 'shop', { deploymentConfigName: 'CodeDeployDefault.AllAtOnce', autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] } });
      const good = await pushRevision(s, 'shop/good.zip');
      const first = await s.services.deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: good });
      await playAgents(s, first.deploymentId, agents);
      const bad = await s.services.deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: await pushRevision(s, 'shop/bad.zip') });
      await playAgents(s, bad.deploymentId, agents, { 'web-1': 'ValidateService', 'web-2': 'ValidateService' });
      const failed = await s.services.deployments.get(bad.deploymentId);
      assert.equal(failed.rollout.status, 'Failed');
      assert.equal(failed.rollout.errorInformation?.code, 'HEALTH_CONSTRAINTS');
      const rollbackId = failed.rollbackInfo?.rollbackDeploymentId;
      assert.ok(rollbackId, 'the failed deployment names its rollback');
      const rollback = await s.services.deployments.get(rollbackId);
      assert.equal(rollback.creator, 'codeDeployRollback');
      assert.deepEqual(rollback.revision, good);
      assert.equal(rollback.rollbackInfo?.rollbackTriggeringDeploymentId, bad.deploymentId);
      await playAgents(s, rollbackId, agents);
      assert.equal((await s.services.deployments.get(rollbackId)).rollout.status, 'Succeeded');
      assert.deepEqual((await s.services.deployments.applications.group('shop', 'prod')).targetRevision, good);
    });

    test('a failure with no earlier good revision says why there is no rollback', async () => {
      const s = await server(database);
      const agents = [await registerHost(s, 'web-1', { env: 'prod' })];
      await setUpGroup(s, 'shop', { autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] } });
      const d = await s.services.deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: await pushRevision(s, 'shop/v1.zip') });
      await playAgents(s, d.deploymentId, agents, { 'web-1': 'BeforeInstall' });
      const failed = await s.services.deployments.get(d.deploymentId);
      assert.equal(failed.rollbackInfo?.rollbackDeploymentId, undefined);
      assert.match(failed.rollbackInfo?.rollbackMessage ?? '', /no earlier successful deployment/);
      const events = failed.rollout.instances[0]?.lifecycleEvents ?? [];
      assert.equal(events.find((e) => e.lifecycleEventName === 'BeforeInstall')?.diagnostics?.errorCode, 'ScriptFailed');
    });

    test('StopDeployment stops a running deployment, answers Pending, and its job is cancelled', async () => {
      const s = await server(database);
      const agent = await registerHost(s, 'web-1', { env: 'prod' });
      await registerHost(s, 'web-2', { env: 'prod' });
      await setUpGroup(s, 'shop');
      const d = await s.services.deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: await pushRevision(s, 'shop/v1.zip') });
      const job = (await s.services.agents.lease(agent, 0))?.job;
      assert.ok(job?.kind === 'deploy');
      assert.deepEqual(await s.services.deployments.stop(d.deploymentId), { status: 'Pending', statusMessage: 'Stopping: instances still running their lifecycle events are being cancelled' });
      const stopped = await s.services.deployments.get(d.deploymentId);
      assert.equal(stopped.rollout.status, 'Stopped');
      assert.deepEqual(stopped.rollout.instances.map((i) => i.status), ['Failed', 'Skipped']);
      // The agent's next report learns that it must stop.
      await assert.rejects(s.services.deployments.effects.eventReported(agent, job.id, { name: 'Install', status: 'InProgress', startTime: 1 }));
      assert.equal((await refusal(s.services.deployments.stop(d.deploymentId))).awsException, 'DeploymentAlreadyCompletedException');
    });

    test('a second deployment to a busy group waits Queued and starts when the first ends', async () => {
      const s = await server(database);
      const agents = [await registerHost(s, 'web-1', { env: 'prod' })];
      await setUpGroup(s, 'shop');
      const first = await s.services.deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: await pushRevision(s, 'shop/v1.zip') });
      const second = await s.services.deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: await pushRevision(s, 'shop/v2.zip') });
      assert.equal(second.rollout.status, 'Queued');
      await playAgents(s, first.deploymentId, agents);
      assert.equal((await s.services.deployments.get(second.deploymentId)).rollout.status, 'InProgress');
      await playAgents(s, second.deploymentId, agents);
      assert.equal((await s.services.deployments.get(second.deploymentId)).rollout.status, 'Succeeded');
    });

    test('an agent that stops heartbeating fails its instance with AGENT_ISSUE', async () => {
      const s = await server(database, { leaseMs: 200 });
      const agent = await registerHost(s, 'web-1', { env: 'prod' });
      await setUpGroup(s, 'shop');
      const d = await s.services.deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: await pushRevision(s, 'shop/v1.zip') });
      assert.equal((await s.services.agents.lease(agent, 0))?.job.kind, 'deploy');
      await new Promise((resolve) => setTimeout(resolve, 400));
      await s.services.deployments.effects.sweep();
      const failed = await s.services.deployments.get(d.deploymentId);
      assert.equal(failed.rollout.status, 'Failed');
      assert.equal(failed.rollout.instances[0]?.failure?.code, 'AGENT_ISSUE');
      // A late completion from the lost agent changes nothing.
      assert.deepEqual(await s.services.deployments.effects.completed(agent, `${d.deploymentId}.web-1`, lifecycle()), { stopRequested: true });
      assert.equal((await s.services.deployments.get(d.deploymentId)).rollout.status, 'Failed');
    });

    test('tag sets select instances matching one filter of every group (AND across, OR within)', async () => {
      const s = await server(database);
      await registerHost(s, 'a', { env: 'prod', role: 'web' });
      await registerHost(s, 'b', { env: 'prod', role: 'db' });
      await registerHost(s, 'c', { env: 'beta', role: 'web' });
      await registerHost(s, 'd', { env: 'prod', tier: 'edge' });
      await setUpGroup(s, 'shop', {
        onPremisesInstanceTagFilters: [],
        onPremisesTagSet: { onPremisesTagSetList: [[{ Key: 'env', Value: 'prod', Type: 'KEY_AND_VALUE' }], [{ Key: 'role', Value: 'web', Type: 'KEY_AND_VALUE' }, { Key: 'tier', Type: 'KEY_ONLY' }]] },
        deploymentConfigName: 'CodeDeployDefault.AllAtOnce',
      });
      const d = await s.services.deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: await pushRevision(s, 'shop/v1.zip') });
      assert.deepEqual(d.rollout.instances.map((i) => i.instanceName).sort(), ['a', 'd']);
    });

    test('a group matching no instance fails NO_INSTANCES; a revision not in the store fails REVISION_MISSING', async () => {
      const s = await server(database);
      await setUpGroup(s, 'shop');
      const none = await s.services.deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: await pushRevision(s, 'shop/v1.zip') });
      assert.equal(none.rollout.errorInformation?.code, 'NO_INSTANCES');
      await registerHost(s, 'web-1', { env: 'prod' });
      const missing = await s.services.deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: { revisionType: 'S3', s3Location: { bucket: 'nagare-revisions', key: 'nope.zip', bundleType: 'zip' } } });
      assert.equal(missing.rollout.status, 'Failed');
      assert.equal(missing.rollout.errorInformation?.code, 'REVISION_MISSING');
    });

    test('BLUE_GREEN, load balancers and alarm rollbacks are refused with UNSUPPORTED_FEATURE naming the key', async () => {
      const s = await server(database);
      await s.services.deployments.applications.createApplication('shop');
      const blueGreen = await refusal(setUpGroup(s, 'shop', { deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' } }));
      assert.equal(blueGreen.code, 'UNSUPPORTED_FEATURE');
      assert.match(blueGreen.message, /BLUE_GREEN/);
      const alarm = await refusal(setUpGroup(s, 'shop', { autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_STOP_ON_ALARM'] } }));
      assert.equal(alarm.code, 'UNSUPPORTED_FEATURE');
      assert.equal((await refusal(setUpGroup(s, 'shop', { unsupported: ['loadBalancerInfo'] }))).code, 'UNSUPPORTED_FEATURE');
      assert.equal(await s.services.context.store.deploymentGroups.get('shop', 'prod'), undefined, 'nothing was stored');
    });

    test('bad group input is refused with the CodeDeploy exception and stores nothing', async () => {
      const s = await server(database);
      assert.equal((await refusal(s.services.deployments.applications.createGroup({ applicationName: 'missing', deploymentGroupName: 'prod' }))).awsException, 'ApplicationDoesNotExistException');
      await s.services.deployments.applications.createApplication('shop');
      const tooMany = [[{ Key: 'a', Type: 'KEY_ONLY' as const }], [{ Key: 'b', Type: 'KEY_ONLY' as const }], [{ Key: 'c', Type: 'KEY_ONLY' as const }], [{ Key: 'd', Type: 'KEY_ONLY' as const }]];
      assert.equal((await refusal(setUpGroup(s, 'shop', { onPremisesInstanceTagFilters: [], onPremisesTagSet: { onPremisesTagSetList: tooMany } }))).awsException, 'TagSetListLimitExceededException');
      assert.equal((await refusal(setUpGroup(s, 'shop', { onPremisesTagSet: { onPremisesTagSetList: [[{ Key: 'a', Type: 'KEY_ONLY' }]] } }))).awsException, 'InvalidOnPremisesTagCombinationException');
      assert.equal((await refusal(setUpGroup(s, 'shop', { deploymentConfigName: 'Missing' }))).awsException, 'DeploymentConfigDoesNotExistException');
      assert.equal((await refusal(setUpGroup(s, 'shop', { deploymentGroupName: 'bad name/..' }))).awsException, 'InvalidDeploymentGroupNameException');
      await setUpGroup(s, 'shop');
      assert.equal((await refusal(setUpGroup(s, 'shop'))).awsException, 'DeploymentGroupAlreadyExistsException');
    });
  });
}
