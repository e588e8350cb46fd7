/**
 * The dashboard's read-only routes for deployments (`GET /api/v1/deploy/deployments`, `…/:id`,
 * `/api/v1/deploy/fleet`) and build batches (`GET /api/v1/build-batches/:id`): what they answer, read
 * through the typed client, and the attacks: no credentials, a wrong token or a forged cookie are
 * refused; a change made with the session cookie but without the CSRF token is refused; no secret,
 * environment value or server-internal location is ever in an answer.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { NagareClient } from '../../src/client/nagare-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { tellDeploymentStory, type DeploymentStory } from '../support/deployment-story.js';

let server: TestServer;
let story: DeploymentStory;
let client: NagareClient;
let batchId = '';

const SECRET_VALUE = 'sekrit-db-password-4711';
const PLAIN_ENV_VALUE = 'plain-override-value-0815';
const BATCH_BUILDSPEC = 'version: 0.2\nbatch:\n  build-graph:\n    - identifier: linux\n    - identifier: docs\n      depend-on: [linux]\nphases:\n  build:\n    commands: [echo batch]\n';

before(async () => {
  server = await startTestServer({ schedulerIntervalMs: 60_000 });
  client = new NagareClient({ server: server.url, token: server.token });
  await server.services.parameters.put('secret', '/shop/db-password', SECRET_VALUE);
  story = await tellDeploymentStory(server);
  await server.services.projects.create({ name: 'batched', source: { type: 'NO_SOURCE', buildspec: BATCH_BUILDSPEC }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
  const batch = await server.services.buildBatches.start({ projectName: 'batched', initiator: 'test', environmentVariablesOverride: [{ name: 'OVERRIDE', value: PLAIN_ENV_VALUE, type: 'PLAINTEXT' }] });
  batchId = batch.id;
});
after(async () => {
  await server.stop();
});

const NEW_ROUTES = ['/api/v1/deploy/deployments', '/api/v1/deploy/deployments/ID', '/api/v1/deploy/fleet', '/api/v1/build-batches/ID'];
const route = (path: string): string => path.replace('/deployments/ID', `/deployments/${story.bad}`).replace('/build-batches/ID', `/build-batches/${encodeURIComponent(batchId)}`);

async function signIn(): Promise<{ cookie: string; csrfToken: string }> {
  const response = await fetch(`${server.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: server.token }) });
  assert.equal(response.status, 200);
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  return { cookie: (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '', csrfToken };
}

test('the deployments list shows every deployment newest first, with status, revision and rollback links', async () => {
  const { deployments } = await client.listDeployments({ application: 'shop' });
  // Newest first; deployments made in the same millisecond may come in either order.
  assert.deepEqual(deployments.map((d) => d.deploymentId).sort(), [story.rollback, story.bad, story.good].sort());
  assert.deepEqual(deployments.map((d) => d.createTime), deployments.map((d) => d.createTime).sort().reverse());
  const byId = (id: string) => deployments.find((d) => d.deploymentId === id);
  const [rollback, bad, good] = [byId(story.rollback), byId(story.bad), byId(story.good)];
  assert.equal(good?.status, 'Succeeded');
  assert.equal(good?.revision.label, 's3://nagare-revisions/shop/good.zip');
  assert.equal(bad?.status, 'Failed');
  assert.equal(bad?.rollbackInfo?.rollbackDeploymentId, story.rollback);
  assert.equal(rollback?.creator, 'codeDeployRollback');
  assert.equal(rollback?.rollbackInfo?.rollbackTriggeringDeploymentId, story.bad);
  const failedOnly = await client.listDeployments({ application: 'shop', group: 'prod', status: 'Failed' });
  assert.deepEqual(failedOnly.deployments.map((d) => d.deploymentId), [story.bad]);
  const paged = await client.listDeployments({ limit: 2 });
  assert.equal(paged.deployments.length, 2);
  assert.ok(paged.nextToken);
  const rest = (await client.listDeployments({ limit: 2, nextToken: paged.nextToken })).deployments;
  assert.deepEqual([...paged.deployments, ...rest].map((d) => d.deploymentId), deployments.map((d) => d.deploymentId));
});

test('a deployment shows each instance with its lifecycle events, and the end of scripts.log where one failed', async () => {
  const { deployment } = await client.getDeployment(story.bad);
  assert.deepEqual(deployment.instances.map((i) => [i.instanceName, i.status]), [['web-1', 'Failed'], ['web-2', 'Skipped']]);
  const web1 = deployment.instances.find((i) => i.instanceName === 'web-1');
  assert.deepEqual(web1?.lifecycleEvents.map((e) => e.status), ['Succeeded', 'Succeeded', 'Succeeded', 'Succeeded', 'Succeeded', 'Succeeded', 'Failed']);
  const validate = web1?.lifecycleEvents.find((e) => e.lifecycleEventName === 'ValidateService');
  assert.equal(validate?.status, 'Failed');
  assert.equal(validate?.diagnostics?.errorCode, 'ScriptFailed');
  assert.equal(validate?.diagnostics?.logTail, 'health check failed\n');
  assert.ok(validate?.startTime !== undefined && validate.endTime !== undefined, 'times for the duration');
  assert.deepEqual(deployment.overview, { Pending: 0, InProgress: 0, Succeeded: 0, Failed: 1, Skipped: 1 });
  await assert.rejects(client.getDeployment('d-NOSUCH000'), (error: { code?: string }) => error.code === 'API_NOT_FOUND');
});

test('the deployed fleet shows application, deployment group, instances, the revision each serves and its agent', async () => {
  const fleet = await client.deployedFleet();
  const shop = fleet.applications.find((a) => a.applicationName === 'shop');
  const prod = shop?.deploymentGroups.find((g) => g.deploymentGroupName === 'prod');
  assert.equal(prod?.targetRevision?.label, 's3://nagare-revisions/shop/good.zip');
  assert.equal(prod?.lastAttemptedDeployment?.deploymentId, story.rollback);
  assert.deepEqual(prod?.instances.map((i) => [i.instanceName, i.serves?.label, i.lastDeployment?.deploymentId]), [
    ['web-1', 's3://nagare-revisions/shop/good.zip', story.rollback],
    ['web-2', 's3://nagare-revisions/shop/good.zip', story.rollback],
  ]);
  const web1 = prod?.instances[0];
  assert.equal(web1?.agent?.name, 'web-1');
  assert.equal(web1?.agent?.health, 'CONNECTED');
  assert.deepEqual(web1?.tags, { env: 'prod', role: 'web' });
  assert.deepEqual(fleet.instancesInNoGroup.map((i) => i.instanceName), ['beta-1']);
});

test('a build batch lists its build groups with their status, and a build of it names its batch', async () => {
  const { batch } = await client.getBuildBatch(batchId);
  assert.equal(batch.projectName, 'batched');
  assert.deepEqual(batch.groups.map((g) => [g.identifier, g.dependsOn]), [['linux', []], ['docs', ['linux']]]);
  const linux = batch.groups[0];
  assert.equal(linux?.builds.length, 1, 'the first group started');
  const { build } = await client.getBuild(linux?.builds[0]?.id ?? '');
  assert.deepEqual(build.batch, { id: batchId, identifier: 'linux' });
  await assert.rejects(client.getBuildBatch('batched:no-such-batch'), (error: { code?: string }) => error.code === 'API_NOT_FOUND');
});

test('attack: the new routes refuse no credentials, a wrong token and a forged session cookie', async () => {
  for (const path of NEW_ROUTES) {
    for (const headers of [{}, { authorization: 'Bearer ngu_not-a-real-token' }, { cookie: 'nagare_session=v1:forged:cookie:value' }, { authorization: `Bearer ${await server.services.auth.createAgentToken('an-agent')}` }] as Record<string, string>[]) {
      const response = await fetch(`${server.url}${route(path)}`, { headers });
      assert.equal(response.status, 401, `${path} with ${JSON.stringify(Object.keys(headers))}`);
      const text = await response.text();
      assert.ok(!text.includes('web-1') && !text.includes('    at '), `${path}: nothing shown, no stack trace`);
    }
  }
});

test('attack: a deployment change made with the session cookie but without the CSRF token is refused and changes nothing', async () => {
  const { cookie, csrfToken } = await signIn();
  for (const path of NEW_ROUTES) assert.equal((await fetch(`${server.url}${route(path)}`, { headers: { cookie } })).status, 200, `${path} reads with the session`);
  const before = await client.listDeployments();
  const create = (headers: Record<string, string>): Promise<Response> => fetch(`${server.url}/api/v1/deploy/operations/CreateDeployment`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, ...headers },
    body: JSON.stringify({ applicationName: 'shop', deploymentGroupName: 'prod' }),
  });
  for (const headers of [{}, { 'x-nagare-csrf': 'guess' }, { 'x-nagare-csrf': '' }] as Record<string, string>[]) {
    const refused = await create(headers);
    assert.equal(refused.status, 403, JSON.stringify(headers));
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'AUTH_FORBIDDEN');
  }
  const push = await fetch(`${server.url}/api/v1/deploy/revisions/shop?key=shop/csrf.zip`, { method: 'PUT', headers: { cookie, 'content-type': 'application/octet-stream' }, body: 'PK' });
  assert.equal(push.status, 403, 'a revision upload without the CSRF token');
  assert.deepEqual((await client.listDeployments()).deployments.map((d) => d.deploymentId), before.deployments.map((d) => d.deploymentId), 'no deployment was created');
  const allowed = await create({ 'x-nagare-csrf': csrfToken });
  assert.equal(allowed.status, 200, 'with the CSRF token the session may change things');
  const { deploymentId } = (await allowed.json()) as { deploymentId: string };
  await client.codeDeploy('StopDeployment', { deploymentId });
});

test('attack: no secret, environment value or server-internal location is in any of their answers', async () => {
  const { cookie } = await signIn();
  const texts = await Promise.all([...NEW_ROUTES.map(route), `/api/v1/deploy/deployments/${story.rollback}`, `/api/v1/deploy/deployments/${story.good}`].map(async (path) => (await fetch(`${server.url}${path}`, { headers: { cookie } })).text()));
  for (const text of texts) {
    assert.ok(!text.includes(SECRET_VALUE), 'no secret value');
    assert.ok(!text.includes(PLAIN_ENV_VALUE) && !text.includes('OVERRIDE'), 'no environment override of the batch');
    assert.ok(!text.includes('blobKey') && !text.includes('revisions/nagare-revisions/'), 'no place in the blob store');
    assert.ok(!text.includes(server.token) && !text.includes('agentId'), 'no token, no internal agent binding');
  }
});

test('the live feed names a build batch that changed, never its environment overrides', async () => {
  const { cookie } = await signIn();
  const controller = new AbortController();
  const response = await fetch(`${server.url}/api/v1/live`, { headers: { cookie }, signal: controller.signal });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('event: ready')) text += decoder.decode((await reader.read()).value);
  const batch = await server.services.context.store.buildBatches.get(batchId);
  assert.ok(batch);
  server.services.context.events.publish({ type: 'BuildBatchStateChanged', batch, builds: [] });
  while (!text.includes('"batchId"')) text += decoder.decode((await reader.read()).value);
  controller.abort();
  assert.match(text, new RegExp(`"type":"BuildBatchStateChanged","batchId":"${batchId}","projectName":"batched","status":"IN_PROGRESS"`));
  assert.ok(!text.includes(PLAIN_ENV_VALUE) && !text.includes('OVERRIDE'), 'the feed names the batch, not its overrides');
});
