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

test('an agent restarted on an instance reports the event its predecessor was running as Failed; only the agent serving that instance may, and only once', async () => {
  const killed = await register('host-killed', 'restart-host');
  // The group selects this test's instance and the first test's (both env=prod); AllAtOnce runs them together.
  await setUpGroup(server, 'restart-app', { deploymentConfigName: 'CodeDeployDefault.AllAtOnce' });
  const deployment = await server.services.deployments.create({ applicationName: 'restart-app', deploymentGroupName: 'prod', revision: await pushRevision(server, 'restart-app/v1.zip') });
  const leased = await call('/agent/v1/jobs/lease', killed.sessionToken, { waitSeconds: 0 });
  const jobId = ((await leased.json()) as { job: { id: string } }).job.id;
  assert.equal(jobId, `${deployment.deploymentId}.restart-host`);
  await call(`/agent/v1/deploy-jobs/${jobId}/events`, killed.sessionToken, { event: { name: 'ApplicationStop', status: 'Succeeded', startTime: 1, endTime: 2 } });

  const interrupted = { name: 'DownloadBundle', status: 'Failed', startTime: 3, endTime: 4, diagnostics: { errorCode: 'UnknownError', scriptName: '', message: 'Failed: Failing in-progress lifecycle event after an agent restart.', logTail: '' } };
  const stranger = await register('host-stranger');
  assert.equal((await call(`/agent/v1/deploy-jobs/${jobId}/interrupted`, stranger.sessionToken, { event: interrupted })).status, 409, 'an agent not serving the instance');
  const restarted = await register('host-restarted', 'restart-host');
  assert.equal((await call(`/agent/v1/deploy-jobs/${jobId}/interrupted`, restarted.sessionToken, { event: { ...interrupted, status: 'Succeeded' } })).status, 400, 'only a failure');
  const reported = await call(`/agent/v1/deploy-jobs/${jobId}/interrupted`, restarted.sessionToken, { event: interrupted });
  assert.deepEqual(await reported.json(), { stopRequested: false });
  const ended = await server.services.deployments.get(deployment.deploymentId);
  const instance = ended.rollout.instances.find((i) => i.instanceName === 'restart-host');
  assert.deepEqual(instance?.lifecycleEvents.map((e) => `${e.lifecycleEventName} ${e.status}`), ['ApplicationStop Succeeded', 'DownloadBundle Failed', 'BeforeInstall Skipped', 'Install Skipped', 'AfterInstall Skipped', 'ApplicationStart Skipped', 'ValidateService Skipped']);
  assert.equal(instance?.failure, undefined);
  const again = await call(`/agent/v1/deploy-jobs/${jobId}/interrupted`, restarted.sessionToken, { event: interrupted });
  assert.deepEqual(await again.json(), { stopRequested: true }, 'a second report changes nothing');
  assert.equal((await call(`/agent/v1/deploy-jobs/${jobId}/heartbeat`, killed.sessionToken, {})).status, 409, 'the killed agent\'s lease is over');
});

test('an instance agent that joined a fleet is given its instance\'s deploy jobs (the job carries its fleet)', async () => {
  await server.services.fleets.create({ name: 'web-fleet', baseCapacity: 1, environmentType: 'LINUX_CONTAINER', computeType: 'BUILD_GENERAL1_SMALL' });
  const answer = await call('/agent/v1/register', server.token, { name: 'fleet-host', kinds: ['build', 'deploy'], fleet: 'web-fleet', instanceName: 'fleet-host', instanceTags: [{ Key: 'role', Value: 'fleet' }] });
  const agent = (await answer.json()) as { sessionToken: string };
  await setUpGroup(server, 'fleet-app', { onPremisesInstanceTagFilters: [{ Key: 'role', Value: 'fleet', Type: 'KEY_AND_VALUE' }] });
  const deployment = await server.services.deployments.create({ applicationName: 'fleet-app', deploymentGroupName: 'prod', revision: await pushRevision(server, 'fleet-app/v1.zip') });
  const leased = await call('/agent/v1/jobs/lease', agent.sessionToken, { waitSeconds: 0 });
  assert.equal(leased.status, 200);
  assert.equal(((await leased.json()) as { job: { id: string } }).job.id, `${deployment.deploymentId}.fleet-host`);
});
