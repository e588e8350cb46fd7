/**
 * The bundle of a deploy job is untrusted input: the agent streams it into the deployment's
 * directory of its deployment root and refuses it past its bound, failing DownloadBundle with the
 * reason and leaving nothing behind. An agent in this process against a real server over HTTP.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startTestServer } from '../support/test-server.js';
import { agentFor, waitFor } from './agent-harness.js';

test('a bundle larger than the agent accepts fails DownloadBundle with the reason, and no part of it is left in the deployment root', async () => {
  const server = await startTestServer({ schedulerIntervalMs: 60_000 });
  const root = await mkdtemp(path.join(os.tmpdir(), 'nagare-bundle-root-'));
  const agent = await agentFor(server, { name: 'small-host', runBuilds: false, instance: { instanceName: 'small-host', tags: [{ Key: 'env', Value: 'small' }], deploymentRoot: root, maxBundleBytes: 64 } });
  try {
    const { deployments } = server.services;
    await deployments.applications.createApplication('big-app');
    await deployments.applications.createGroup({ applicationName: 'big-app', deploymentGroupName: 'prod', onPremisesInstanceTagFilters: [{ Key: 'env', Value: 'small', Type: 'KEY_AND_VALUE' }] });
    const revision = await deployments.revisions.push('nagare-revisions', 'big-app/big.zip', 'zip', new Uint8Array(4096).fill(7));
    const created = await deployments.create({ applicationName: 'big-app', deploymentGroupName: 'prod', revision });
    await waitFor('the deployment to end', async () => deployments.isComplete(await deployments.get(created.deploymentId)));
    const ended = await deployments.get(created.deploymentId);
    assert.equal(ended.rollout.status, 'Failed');
    const events = new Map(ended.rollout.instances[0]?.lifecycleEvents.map((e) => [e.lifecycleEventName, e]));
    assert.equal(events.get('DownloadBundle')?.status, 'Failed');
    assert.match(events.get('DownloadBundle')?.diagnostics?.message ?? '', /The bundle could not be downloaded: the bundle is more than 64 bytes, the most this agent accepts/);
    assert.equal(events.get('Install')?.status, 'Skipped');
    const deploymentDir = path.join(root, ended.deploymentGroupId, created.deploymentId);
    assert.deepEqual(await readdir(deploymentDir), [], 'neither the partial download nor an archive is left');
    assert.equal(existsSync(path.join(root, 'ongoing-events', `${created.deploymentId}.json`)), false, 'no event is left in progress');
  } finally {
    await agent.stop();
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
});
