/** Store contract: CodeDeploy applications, groups, revisions, configurations, deployments and instances. */
import assert from 'node:assert/strict';
import { createRollout, IN_PLACE_LIFECYCLE_EVENTS, applyRolloutEvent } from '../../src/core/deployment-rollout.js';
import type { Deployment, DeploymentGroup, OnPremisesInstance, RevisionLocation } from '../../src/core/deployment.js';
import { allPages } from './contract-projects.js';
import { rejectsWith, T0 } from './fixtures.js';
import type { ContractContext } from './store-contract.js';

const s3 = (key: string): RevisionLocation => ({ revisionType: 'S3', s3Location: { bucket: 'nagare-revisions', key, bundleType: 'zip', eTag: 'abc' } });

export function sampleGroup(name: string, applicationName = 'web'): DeploymentGroup {
  return {
    applicationName,
    deploymentGroupId: `dg-${name}`,
    deploymentGroupName: name,
    deploymentConfigName: 'CodeDeployDefault.OneAtATime',
    ec2TagFilters: [],
    onPremisesInstanceTagFilters: [{ Key: 'env', Value: name, Type: 'KEY_AND_VALUE' }],
    onPremisesTagSet: [[{ Key: 'role', Type: 'KEY_ONLY' }]],
    autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] },
    outdatedInstancesStrategy: 'UPDATE',
  };
}

export function sampleDeployment(id: string, createTime: number, group = 'beta'): Deployment {
  return {
    deploymentId: id,
    applicationName: 'web',
    deploymentGroupName: group,
    deploymentGroupId: `dg-${group}`,
    deploymentConfigName: 'CodeDeployDefault.OneAtATime',
    revision: s3('web/v1.zip'),
    creator: 'user',
    fileExistsBehavior: 'DISALLOW',
    ignoreApplicationStopFailures: false,
    autoRollbackConfiguration: { enabled: false, events: [] },
    rollout: createRollout({
      deploymentId: id,
      pace: { kind: 'ONE_AT_A_TIME' },
      lifecycleEventNames: IN_PLACE_LIFECYCLE_EVENTS,
      ignoreApplicationStopFailures: false,
      autoRollback: { enabled: false, events: [] },
      isRollback: false,
      instanceTimeoutMs: 3_600_000,
      createTime,
    }),
  };
}

const sampleInstance = (name: string): OnPremisesInstance => ({
  instanceName: name,
  instanceArn: `arn:aws:codedeploy:local:000000000000:instance/${name}`,
  registerTime: T0,
  tags: [{ Key: 'env', Value: 'beta' }],
  lastDeployments: {},
});

export function deploymentsContract({ fresh, another, check }: ContractContext): void {
  check('an application and its deployment groups read back as stored; names are unique per application', async () => {
    const store = await fresh();
    await store.deployApplications.create({ applicationId: 'a-1', applicationName: 'web', computePlatform: 'Server', createTime: T0 });
    await rejectsWith(store.deployApplications.create({ applicationId: 'a-2', applicationName: 'web', computePlatform: 'Server', createTime: T0 }), 'STORE_CONFLICT');
    for (const name of ['prod', 'beta', 'gamma']) await store.deploymentGroups.create(sampleGroup(name));
    await rejectsWith(store.deploymentGroups.create(sampleGroup('beta')), 'STORE_CONFLICT');
    assert.deepEqual(await store.deploymentGroups.get('web', 'beta'), JSON.parse(JSON.stringify(sampleGroup('beta'))));
    assert.deepEqual(await allPages((nextToken) => store.deploymentGroups.list('web', { limit: 2, nextToken })), ['beta', 'gamma', 'prod']);
    assert.equal((await store.deployApplications.get('web'))?.applicationId, 'a-1');
  });

  check('a deployment group update can rename it; updating a missing group is STORE_NOT_FOUND', async () => {
    const store = await fresh();
    await store.deploymentGroups.create(sampleGroup('beta'));
    await store.deploymentGroups.update('beta', { ...sampleGroup('staging'), deploymentGroupId: 'dg-beta' });
    assert.equal(await store.deploymentGroups.get('web', 'beta'), undefined);
    assert.equal((await store.deploymentGroups.get('web', 'staging'))?.deploymentGroupId, 'dg-beta');
    await rejectsWith(store.deploymentGroups.update('nope', sampleGroup('nope')), 'STORE_NOT_FOUND');
  });

  check('deleting an application deletes its groups and revisions', async () => {
    const store = await fresh();
    await store.deployApplications.create({ applicationId: 'a-1', applicationName: 'web', computePlatform: 'Server', createTime: T0 });
    await store.deploymentGroups.create(sampleGroup('beta'));
    await store.deployRevisions.register({ applicationName: 'web', revision: s3('k'), registerTime: T0, deploymentGroups: [] });
    assert.equal(await store.deployApplications.delete('web'), true);
    assert.equal(await store.deploymentGroups.get('web', 'beta'), undefined);
    assert.equal(await store.deployRevisions.get('web', s3('k')), undefined);
    assert.equal(await store.deployApplications.delete('web'), false);
  });

  check('a revision registered twice is one revision; use records the groups and times', async () => {
    const store = await fresh();
    await store.deployRevisions.register({ applicationName: 'web', revision: s3('v1.zip'), registerTime: T0, description: 'first', deploymentGroups: [] });
    await store.deployRevisions.register({ applicationName: 'web', revision: s3('v1.zip'), registerTime: T0 + 5, description: 'again', deploymentGroups: [] });
    await store.deployRevisions.register({ applicationName: 'web', revision: s3('v2.zip'), registerTime: T0 + 10, deploymentGroups: [] });
    await store.deployRevisions.markUsed('web', s3('v1.zip'), 'beta', T0 + 20);
    await store.deployRevisions.markUsed('web', s3('v1.zip'), 'prod', T0 + 30);
    const v1 = await store.deployRevisions.get('web', s3('v1.zip'));
    assert.equal(v1?.description, 'again');
    assert.equal(v1?.registerTime, T0);
    assert.deepEqual([v1?.firstUsedTime, v1?.lastUsedTime, v1?.deploymentGroups], [T0 + 20, T0 + 30, ['beta', 'prod']]);
    const page = await store.deployRevisions.list('web', { limit: 1 });
    assert.equal(page.items[0]?.revision.revisionType === 'S3' && page.items[0].revision.s3Location.key, 'v2.zip');
    const rest = await store.deployRevisions.list('web', { limit: 5, nextToken: page.nextToken });
    assert.equal(rest.items.length, 1);
  });

  check('custom deployment configurations are stored by name', async () => {
    const store = await fresh();
    const config = { deploymentConfigName: 'Two', deploymentConfigId: 'c-1', minimumHealthyHosts: { type: 'HOST_COUNT' as const, value: 2 }, computePlatform: 'Server' as const, createTime: T0, builtIn: false };
    await store.deploymentConfigs.create(config);
    await rejectsWith(store.deploymentConfigs.create(config), 'STORE_CONFLICT');
    assert.deepEqual(await store.deploymentConfigs.get('Two'), config);
    assert.deepEqual((await store.deploymentConfigs.list()).map((c) => c.deploymentConfigName), ['Two']);
    assert.equal(await store.deploymentConfigs.delete('Two'), true);
  });

  check('a deployment saves only at the revision it was read at, and active deployments are what is not finished', async () => {
    const store = await fresh();
    const deployment = sampleDeployment('d-AAAAAAAA1', T0);
    await store.deployments.insert(deployment);
    await rejectsWith(store.deployments.insert(deployment), 'STORE_CONFLICT');
    const read = await store.deployments.get('d-AAAAAAAA1');
    assert.deepEqual(read, { deployment: JSON.parse(JSON.stringify(deployment)) as unknown, revision: 0 });
    const started = applyRolloutEvent(deployment.rollout, { type: 'START', at: T0 + 1, instances: [{ instanceName: 'i1', health: 'Unhealthy', revisionHealth: 'Unknown' }] }).rollout;
    const second = await another(store);
    assert.equal(await second.deployments.save({ ...deployment, rollout: started }, 0), true);
    assert.equal(await store.deployments.save(deployment, 0), false, 'a stale save is refused');
    const after = await store.deployments.get('d-AAAAAAAA1');
    assert.equal(after?.revision, 1);
    assert.equal(after?.deployment.rollout.instances[0]?.lifecycleEvents.length, 7);
    assert.deepEqual((await store.deployments.active()).map((d) => d.deployment.deploymentId), ['d-AAAAAAAA1']);
    const ended = applyRolloutEvent(started, { type: 'STOP', at: T0 + 2 }).rollout;
    assert.equal(await store.deployments.save({ ...deployment, rollout: ended }, 1), true);
    assert.deepEqual(await store.deployments.active(), []);
  });

  check('a deployment saved with pending effects is found until it is saved without them', async () => {
    const store = await fresh();
    const deployment = sampleDeployment('d-AAAAAAAA1', T0);
    await store.deployments.insert(deployment);
    await store.deployments.insert(sampleDeployment('d-AAAAAAAA2', T0 + 1));
    assert.deepEqual(await store.deployments.withPendingEffects(), []);
    const ended = applyRolloutEvent(deployment.rollout, { type: 'ABORT', at: T0 + 1, code: 'REVISION_MISSING', message: 'gone' });
    const pending = { ...deployment, rollout: ended.rollout, pendingEffects: ended.effects };
    assert.equal(await store.deployments.save(pending, 0), true);
    const found = await store.deployments.withPendingEffects();
    assert.deepEqual(found.map((d) => [d.deployment.deploymentId, d.revision]), [['d-AAAAAAAA1', 1]]);
    assert.deepEqual(found[0]?.deployment.pendingEffects, [{ type: 'DEPLOYMENT_ENDED', status: 'Failed' }]);
    assert.equal(await store.deployments.save({ ...deployment, rollout: ended.rollout }, 1), true);
    assert.deepEqual(await store.deployments.withPendingEffects(), []);
    assert.equal((await store.deployments.get('d-AAAAAAAA1'))?.deployment.pendingEffects, undefined);
  });

  check('deployments list newest first, filtered by group and status, page by page', async () => {
    const store = await fresh();
    for (let i = 0; i < 5; i++) await store.deployments.insert(sampleDeployment(`d-AAAAAAAA${i}`, T0 + i, i % 2 === 0 ? 'beta' : 'prod'));
    assert.deepEqual(await allPages((nextToken) => store.deployments.list({}, { limit: 2, nextToken })), ['d-AAAAAAAA4', 'd-AAAAAAAA3', 'd-AAAAAAAA2', 'd-AAAAAAAA1', 'd-AAAAAAAA0']);
    assert.deepEqual((await store.deployments.list({ applicationName: 'web', deploymentGroupName: 'prod' }, { limit: 10 })).items, ['d-AAAAAAAA3', 'd-AAAAAAAA1']);
    assert.deepEqual((await store.deployments.list({ statuses: ['Succeeded'] }, { limit: 10 })).items, []);
    assert.deepEqual((await store.deployments.list({ createdAfter: T0 + 3 }, { limit: 10 })).items, ['d-AAAAAAAA4', 'd-AAAAAAAA3']);
    assert.deepEqual((await store.deployments.getMany(['d-AAAAAAAA1', 'missing', 'd-AAAAAAAA0'])).map((d) => d.deploymentId), ['d-AAAAAAAA1', 'd-AAAAAAAA0']);
  });

  check('deployments of every application page newest first through their creation time, each once even at equal times, filtered or not', async () => {
    const store = await fresh();
    const ids = Array.from({ length: 11 }, (_, i) => `d-B${String(i).padStart(8, '0')}`);
    for (const [i, id] of ids.entries()) await store.deployments.insert(sampleDeployment(id, T0 + Math.floor(i / 3), i % 2 === 0 ? 'beta' : 'prod'));
    assert.deepEqual(await allPages((nextToken) => store.deployments.list({}, { limit: 3, nextToken })), [...ids].reverse());
    assert.deepEqual(await allPages((nextToken) => store.deployments.list({ statuses: ['Created'] }, { limit: 4, nextToken })), [...ids].reverse());
    assert.deepEqual(await allPages((nextToken) => store.deployments.list({ applicationName: 'web', deploymentGroupName: 'prod' }, { limit: 2, nextToken })), ids.filter((_, i) => i % 2 === 1).reverse());
    await rejectsWith(store.deployments.list({}, { limit: 3, nextToken: Buffer.from('["x"]').toString('base64url') }), 'API_INVALID_INPUT');
  });

  check('registered instances page by name, each once, without the deregistered ones', async () => {
    const store = await fresh();
    const names = Array.from({ length: 9 }, (_, i) => `web-${i}`);
    for (const name of [...names].reverse()) await store.instances.register(sampleInstance(name));
    await store.instances.update({ ...sampleInstance('web-4'), deregisterTime: T0 + 1 });
    const registered = names.filter((name) => name !== 'web-4');
    const pages: string[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await store.instances.listPage({ registrationStatus: 'Registered' }, { limit: 3, nextToken });
      pages.push(page.items.map((i) => i.instanceName));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    assert.deepEqual(pages, [registered.slice(0, 3), registered.slice(3, 6), registered.slice(6)]);
    assert.deepEqual((await store.instances.listPage({ registrationStatus: 'Deregistered' }, { limit: 3 })).items.map((i) => i.instanceName), ['web-4']);
    await rejectsWith(store.instances.listPage({}, { limit: 3, nextToken: 'not-a-token' }), 'API_INVALID_INPUT');
  });

  check('an instance name is registered once until deregistered; deregistered ones are listed apart', async () => {
    const store = await fresh();
    await store.instances.register(sampleInstance('web-1'));
    await rejectsWith(store.instances.register(sampleInstance('web-1')), 'STORE_CONFLICT');
    await store.instances.register(sampleInstance('web-2'));
    await store.instances.update({ ...sampleInstance('web-2'), deregisterTime: T0 + 1 });
    assert.deepEqual((await store.instances.list({ registrationStatus: 'Registered' })).map((i) => i.instanceName), ['web-1']);
    assert.deepEqual((await store.instances.list({ registrationStatus: 'Deregistered' })).map((i) => i.instanceName), ['web-2']);
    await store.instances.register({ ...sampleInstance('web-2'), tags: [{ Key: 'env', Value: 'prod' }] });
    assert.deepEqual((await store.instances.get('web-2'))?.tags, [{ Key: 'env', Value: 'prod' }]);
    await rejectsWith(store.instances.update(sampleInstance('ghost')), 'STORE_NOT_FOUND');
    assert.deepEqual((await store.instances.getMany(['web-2', 'ghost', 'web-1'])).map((i) => i.instanceName), ['web-2', 'web-1']);
  });
}
