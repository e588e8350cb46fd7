/**
 * Every route refuses a request without valid credentials: the test lists the app's routes from
 * Hono itself, so a new route cannot be added without being checked here.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApp } from '../../src/api/app.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.stop();
});

/** Open on purpose: a load balancer's health check says nothing but "ok". */
const OPEN = new Set(['GET /healthz']);

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
