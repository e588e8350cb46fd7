/**
 * The deploy-job routes of the agent protocol over real HTTP: an agent registering with an
 * instance name makes the instance; only the agent holding a deploy job may read its bundle or
 * report on it; a report's events reach the deployment.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { lifecycle, pushRevision, setUpGroup } from '../server/deployments/deployment-fixture.js';

let server: TestServer;
before(async () => {
  server = await startTestServer({ schedulerIntervalMs: 60_000 });
});
after(() => server.stop());

async function call(path: string, token: string | undefined, body?: unknown): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function register(name: string, instanceName?: string): Promise<{ agentId: string; sessionToken: string }> {
  const answer = await call('/agent/v1/register', server.token, { name, kinds: ['deploy'], ...(instanceName ? { instanceName, instanceTags: [{ Key: 'env', Value: 'prod' }] } : {}) });
  assert.equal(answer.status, 200);
  return (await answer.json()) as { agentId: string; sessionToken: string };
}

test('an agent registering with --instance-name serves that instance; only it may read the bundle and report on its deploy job', async () => {
  const holder = await register('host-a', 'route-host');
  const other = await register('host-b');
  const instance = await server.services.deployments.instances.get('route-host');
  assert.equal(instance.agentId, holder.agentId);
  assert.deepEqual(instance.tags, [{ Key: 'env', Value: 'prod' }]);

  await setUpGroup(server, 'routes-app');
  const deployment = await server.services.deployments.create({ applicationName: 'routes-app', deploymentGroupName: 'prod', revision: await pushRevision(server, 'routes-app/v1.zip') });
  assert.equal((await call('/agent/v1/jobs/lease', other.sessionToken, { waitSeconds: 0 })).status, 204, 'a job targeted at another agent is not offered');
  const leased = await call('/agent/v1/jobs/lease', holder.sessionToken, { waitSeconds: 0 });
  const { job } = (await leased.json()) as { job: { kind: string; id: string; deploy: { instanceName: string; bundleType: string } } };
  assert.equal(job.kind, 'deploy');
  assert.equal(job.deploy.instanceName, 'route-host');

  assert.equal((await call(`/agent/v1/deploy-jobs/${job.id}/bundle`, undefined)).status, 401);
  const stolen = await call(`/agent/v1/deploy-jobs/${job.id}/bundle`, other.sessionToken);
  assert.equal(stolen.status, 409);
  assert.equal((await call(`/agent/v1/deploy-jobs/${job.id}/complete`, other.sessionToken, { events: lifecycle() })).status, 200);
  assert.equal((await server.services.deployments.get(deployment.deploymentId)).rollout.status, 'InProgress', 'another agent cannot end it');
  const bundle = await call(`/agent/v1/deploy-jobs/${job.id}/bundle`, holder.sessionToken);
  assert.equal(bundle.status, 200);
  assert.equal(await bundle.text(), 'bundle routes-app/v1.zip');
  assert.equal(bundle.headers.get('x-nagare-bundle-type'), 'zip');

  const beat = await call(`/agent/v1/deploy-jobs/${job.id}/heartbeat`, holder.sessionToken, {});
  assert.deepEqual(await beat.json(), { stopRequested: false });
  const event = await call(`/agent/v1/deploy-jobs/${job.id}/events`, holder.sessionToken, { event: { name: 'DownloadBundle', status: 'Succeeded', startTime: 1, endTime: 2 } });
  assert.deepEqual(await event.json(), { stopRequested: false });
  const malformed = await call(`/agent/v1/deploy-jobs/${job.id}/complete`, holder.sessionToken, { events: [{ name: 'Install', status: 'Exploded', startTime: 1 }] });
  assert.equal(malformed.status, 400);
  const done = await call(`/agent/v1/deploy-jobs/${job.id}/complete`, holder.sessionToken, { events: lifecycle() });
  assert.deepEqual(await done.json(), { stopRequested: false });
  assert.equal((await server.services.deployments.get(deployment.deploymentId)).rollout.status, 'Succeeded');
});
