/**
 * Every route refuses a request without valid credentials: the test lists the app's routes from
 * Hono itself, so a new route cannot be added without being checked here.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApp } from '../../src/api/app.js';
import { DASHBOARD_PAGES } from '../../src/api/dashboard-routes.js';
import { streamingRequest } from '../support/streaming-request.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.stop();
});

/**
 * Open on purpose: a load balancer's health check says nothing but "ok"; the dashboard's files and
 * pages hold no data (the page asks the API with its session).
 */
const OPEN = new Set(['GET /healthz', 'GET /', 'GET /assets/:name', ...DASHBOARD_PAGES.map((page) => `GET ${page}`)]);

/** A dashboard page or file: the same app shell for everyone. */
function isDashboardFile(method: string, path: string): boolean {
  if (method !== 'GET') return false;
  return path === '/' || path.startsWith('/assets/') || DASHBOARD_PAGES.some((page) => (page.endsWith('/*') ? path.startsWith(page.slice(0, -1)) : path === page));
}

function concrete(path: string): string {
  return path.replace(/:([A-Za-z]+)/g, 'x').replace(/\*/g, 'x');
}

test('every route refuses a request without credentials, and with a wrong token', async () => {
  const app = createApp(server.services);
  const routes = app.routes.filter((r) => r.method !== 'ALL');
  assert.ok(routes.length >= 25, `expected the whole API, found ${routes.length} routes`);
  const projectsBefore = await server.services.context.store.projects.list({ limit: 100 });
  for (const route of routes) {
    const key = `${route.method} ${route.path}`;
    if (OPEN.has(key)) continue;
    for (const authorization of [undefined, 'Bearer ngu_not-a-real-token', 'Basic Zm9vOmJhcg==']) {
      const response = await fetch(`${server.url}${concrete(route.path)}`, {
        method: route.method,
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        ...(route.method === 'GET' || route.method === 'HEAD' ? {} : { body: JSON.stringify({ name: 'sneaky', value: 'x', source: { type: 'NO_SOURCE', buildspec: 'version: 0.2' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } }) }),
      });
      assert.ok([400, 401, 403].includes(response.status), `${key} with ${authorization ?? 'no credentials'} answered ${response.status}`);
      const body = (await response.json()) as Record<string, unknown>;
      assert.ok(!JSON.stringify(body).includes('    at '), `${key}: no stack trace`);
    }
  }
  assert.deepEqual(await server.services.context.store.projects.list({ limit: 100 }), projectsBefore, 'nothing was created');
});

test('GET /healthz is open and says only ok', async () => {
  const response = await fetch(`${server.url}/healthz`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: 'ok' });
});

/**
 * Finding 4's suffix trick and its cousins, for every route and every kind of credential: a path
 * is sent exactly as written (no client normalisation), and no protected route may answer 2xx
 * unless the credential is the right one for what the path names, before or after normalising it.
 */
type Credential = 'none' | 'api token' | "another agent's session" | 'agent registration token';

function pathVariants(path: string): string[] {
  const cut = path.lastIndexOf('/');
  const second = path.indexOf('/', 1);
  return [
    `${path}/register`,
    // A parameter named `register`: the finding's own `…/artifacts/register`.
    cut > 0 ? `${path.slice(0, cut)}/register` : path,
    `${path}/`,
    cut > 0 ? `${path.slice(0, cut)}%2F${path.slice(cut + 1)}` : `%2F${path.slice(1)}`,
    cut > 0 ? `${path.slice(0, cut)}%2f${path.slice(cut + 1)}` : path,
    second > 0 ? `${path.slice(0, second)}/${path.slice(second)}` : `/${path}`,
    `/${path}`,
    path.toUpperCase(),
    `/healthz/..${path}`,
    `/healthz/%2E%2E${path}`,
  ];
}

/** What a path names once `%2F`, `//`, `..` and case are undone: the most a lenient server could read. */
function normalised(path: string): string {
  const segments: string[] = [];
  for (const segment of decodeURIComponent(path).toLowerCase().split('/')) {
    if (segment === '..') segments.pop();
    else if (segment !== '' && segment !== '.') segments.push(segment);
  }
  return `/${segments.join('/')}`;
}

/** The credentials that rightly open a route: a 2xx with one of them is not a finding. */
function rightCredentials(method: string, path: string): Credential[] {
  if (path === '/healthz' || isDashboardFile(method, path)) return ['none', 'api token', "another agent's session", 'agent registration token'];
  if (path.startsWith('/api/v1') || path.startsWith('/git/') || path === '/metrics') return ['api token'];
  if (method === 'POST' && path === '/agent/v1/register') return ['api token', 'agent registration token'];
  if (path === '/agent/v1/jobs/lease') return ["another agent's session"];
  // Agent build calls: only the lease holder (none here); AWS `/`: SigV4; webhooks: a signature.
  return [];
}

test('finding 4: no route answers 2xx to /register suffixes, trailing slashes, %2F, double slashes, case changes or /healthz/.. without the right credential', async () => {
  const { services } = server;
  await services.projects.create({ name: 'routes-auth-queued', source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo]\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
  const buildId = (await services.builds.startBuild({ projectName: 'routes-auth-queued', initiator: 'test' })).id;
  const tokens: Record<Credential, string | undefined> = {
    none: undefined,
    'api token': server.token,
    "another agent's session": (await services.auth.registerAgent(server.token, 'another', {})).sessionToken,
    'agent registration token': await services.auth.createAgentToken('routes-auth'),
  };
  const agentsBefore = (await services.context.store.agents.list()).length;
  const projectsBefore = await services.context.store.projects.list({ limit: 100 });
  const app = createApp(services);
  const routes = [
    ...app.routes.filter((r) => r.method !== 'ALL').map((r) => ({ method: r.method, path: r.path.replace(':id', buildId).replace(/:([A-Za-z]+)/g, 'x').replace(/\*/g, 'x') })),
    { method: 'GET', path: '/git/x.git/info/refs' },
    { method: 'POST', path: '/git/x.git/git-receive-pack' },
  ];
  const body = Buffer.from(JSON.stringify({ name: 'sneaky', value: 'x', waitSeconds: 0, source: { type: 'NO_SOURCE', buildspec: 'version: 0.2' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } }));
  const leaks: string[] = [];
  for (const route of routes) {
    for (const path of pathVariants(route.path)) {
      for (const [credential, token] of Object.entries(tokens) as [Credential, string | undefined][]) {
        const right = [...rightCredentials(route.method, route.path), ...rightCredentials(route.method, normalised(path))];
        // The stranger's lease call is a real long poll that may claim the queued build: its own rules are tested elsewhere.
        if (right.includes(credential) || normalised(path) === '/agent/v1/jobs/lease') continue;
        const hasBody = route.method !== 'GET' && route.method !== 'HEAD';
        const answer = await streamingRequest({ url: server.url, method: route.method, path, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, bodyBytes: hasBody ? body.byteLength : 0, declareLength: true, chunk: body }).catch((error: unknown) => {
          throw new Error(`${route.method} ${path} with ${credential}: ${String(error)}`);
        });
        if (answer.status >= 200 && answer.status < 300) leaks.push(`${route.method} ${path} with ${credential}: ${answer.status}`);
        assert.ok(!answer.text.includes('    at '), `${route.method} ${path}: no stack trace`);
      }
    }
  }
  assert.deepEqual(leaks, []);
  assert.equal((await services.context.store.agents.list()).length, agentsBefore, 'no agent registered');
  assert.deepEqual(await services.context.store.projects.list({ limit: 100 }), projectsBefore, 'nothing was created');
  assert.equal((await services.builds.get(buildId)).currentPhase, 'QUEUED');
});
