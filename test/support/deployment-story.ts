/**
 * A deployment history for the dashboard's tests, on a real server: application `shop`, group
 * `prod` (two hosts tagged env=prod, automatic rollback on failure), a good revision deployed, a
 * bad one failing ValidateService on web-2 and rolled back automatically, the rollback played to
 * its end; and a host tagged env=beta that no group selects. Agents are played through the
 * service calls the agent protocol routes make (test/server/deployments/deployment-fixture.ts).
 */
import assert from 'node:assert/strict';
import { playAgents, pushRevision, registerHost, setUpGroup } from '../server/deployments/deployment-fixture.js';
import type { TestServer } from './test-server.js';

export interface DeploymentStory {
  readonly good: string;
  readonly bad: string;
  readonly rollback: string;
}

export async function tellDeploymentStory(server: TestServer): Promise<DeploymentStory> {
  const agents = [await registerHost(server, 'web-1', { env: 'prod', role: 'web' }), await registerHost(server, 'web-2', { env: 'prod', role: 'web' })];
  await registerHost(server, 'beta-1', { env: 'beta' });
  await setUpGroup(server, 'shop', { autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] } });
  const { deployments } = server.services;
  const good = await deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: await pushRevision(server, 'shop/good.zip'), description: 'the good one' });
  await playAgents(server, good.deploymentId, agents);
  const bad = await deployments.create({ applicationName: 'shop', deploymentGroupName: 'prod', revision: await pushRevision(server, 'shop/bad.zip'), description: 'the bad one' });
  await playAgents(server, bad.deploymentId, agents, { 'web-1': 'ValidateService' });
  const rollback = (await deployments.get(bad.deploymentId)).rollbackInfo?.rollbackDeploymentId;
  assert.ok(rollback, 'the failed deployment was rolled back');
  await playAgents(server, rollback, agents);
  return { good: good.deploymentId, bad: bad.deploymentId, rollback };
}
