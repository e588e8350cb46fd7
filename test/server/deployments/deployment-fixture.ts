/**
 * A real server (SQLite or PostgreSQL) with the CodeDeploy services, and agents serving instances
 * played through the same service calls the agent protocol routes make (lease, report, complete).
 */
import assert from 'node:assert/strict';
import type { DeploymentGroupInput } from '../../../src/server/deployments/applications-service.js';
import type { LifecycleEventResult } from '../../../src/protocol/deploy-job.js';
import type { RevisionLocation } from '../../../src/core/deployment.js';
import { IN_PLACE_LIFECYCLE_EVENTS } from '../../../src/core/deployment-rollout.js';
import type { TestServer } from '../../support/test-server.js';

export async function registerHost(server: TestServer, instanceName: string, tags: Record<string, string>): Promise<string> {
  const agentId = `agent-${instanceName}`;
  const now = Date.now();
  await server.services.context.store.agents.upsert({ id: agentId, name: instanceName, tags: {}, fleet: undefined, labels: [], kinds: ['deploy'], imageMap: [], registeredAt: now, lastSeenAt: now });
  await server.services.deployments.instances.registerAgentInstance(instanceName, Object.entries(tags).map(([Key, Value]) => ({ Key, Value })), agentId);
  return agentId;
}

export async function pushRevision(server: TestServer, key: string): Promise<RevisionLocation> {
  return server.services.deployments.revisions.push('nagare-revisions', key, 'zip', new TextEncoder().encode(`bundle ${key}`));
}

export async function setUpGroup(server: TestServer, app: string, group: Partial<DeploymentGroupInput> = {}): Promise<void> {
  const { deployments } = server.services;
  if (!(await server.services.context.store.deployApplications.get(app))) await deployments.applications.createApplication(app);
  await deployments.applications.createGroup({ applicationName: app, deploymentGroupName: 'prod', onPremisesInstanceTagFilters: [{ Key: 'env', Value: 'prod', Type: 'KEY_AND_VALUE' }], ...group });
}

/** Lifecycle results: every event succeeds, or `failAt` fails and the rest are skipped. */
export function lifecycle(failAt?: string): LifecycleEventResult[] {
  let failed = false;
  return IN_PLACE_LIFECYCLE_EVENTS.map((name) => {
    if (failed) return { name, status: 'Skipped', startTime: 1, endTime: 1 };
    if (name === failAt) {
      failed = true;
      return { name, status: 'Failed', startTime: 1, endTime: 2, diagnostics: { errorCode: 'ScriptFailed', scriptName: 'scripts/check.sh', message: 'Script at specified location: scripts/check.sh run as user root failed with exit code 1', logTail: 'health check failed\n' } };
    }
    return { name, status: 'Succeeded', startTime: 1, endTime: 2 };
  });
}

/**
 * Plays the agents: leases what each may run and completes it (failing the instances in
 * `failing`), until the deployment ends. Returns the instances in the order they ran and the most
 * that ran at once.
 */
export async function playAgents(server: TestServer, deploymentId: string, agents: readonly string[], failing: Readonly<Record<string, string>> = {}): Promise<{ order: string[]; maxConcurrent: number }> {
  const { deployments, agents: agentService } = server.services;
  const order: string[] = [];
  let maxConcurrent = 0;
  for (let round = 0; round < 50; round++) {
    const deployment = await deployments.get(deploymentId);
    if (deployments.isComplete(deployment)) return { order, maxConcurrent };
    const leased = [];
    for (const agentId of agents) {
      const job = (await agentService.lease(agentId, 0))?.job;
      if (job) {
        assert.equal(job.kind, 'deploy');
        if (job.kind === 'deploy') leased.push({ agentId, job });
      }
    }
    maxConcurrent = Math.max(maxConcurrent, leased.length);
    for (const { agentId, job } of leased) {
      if (job.kind !== 'deploy') continue;
      order.push(job.deploy.instanceName);
      await deployments.effects.eventReported(agentId, job.id, { name: 'ApplicationStop', status: 'InProgress', startTime: 1 });
      await deployments.effects.completed(agentId, job.id, lifecycle(failing[job.deploy.instanceName]));
    }
    if (leased.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`deployment ${deploymentId} did not end`);
}
