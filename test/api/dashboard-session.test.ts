/**
 * The dashboard's server side: its files (content types, caching, no way out of its directory) and
 * its sessions (API token → HttpOnly SameSite=Strict cookie; CSRF token on every change; sign-out).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Hono } from 'hono';
import { createApp } from '../../src/api/app.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let app: Hono;
let now = Date.parse('2026-12-01T00:00:00Z');
let dashboardDir: string;

before(async () => {
  server = await startTestServer({ clock: () => now });
  dashboardDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-web-'));
  await mkdir(path.join(dashboardDir, 'assets'));
  await writeFile(path.join(dashboardDir, 'index.html'), '<!doctype html><title>nagare</title><div id="app"></div>');
  await writeFile(path.join(dashboardDir, 'assets', 'index-abc123.js'), 'console.log("dashboard")');
  await writeFile(path.join(dashboardDir, 'assets', 'index-abc123.css'), 'body{}');
  // A link planted in the served folder, to the server's own secret key.
  await symlink(path.join(server.dataDir, 'secret.key'), path.join(dashboardDir, 'assets', 'key.js'));
  await writeFile(path.join(dashboardDir, 'secret.txt'), 'not for the web');
  app = createApp(server.services, { dashboardDir });
});
after(async () => {
  await server.stop();
});

const PROJECT = { name: 'from-the-dashboard', source: { type: 'NO_SOURCE' as const, buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo]\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' as const } };

async function signIn(headers: Record<string, string> = {}): Promise<{ cookie: string; csrfToken: string; setCookie: string }> {
  const response = await app.request('/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ token: server.token }) });
  assert.equal(response.status, 200);
  const setCookie = response.headers.get('set-cookie') ?? '';
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  return { cookie: setCookie.split(';')[0] ?? '', csrfToken, setCookie };
}

test('GET / and every page deep link serve index.html, revalidated each time, under a strict CSP', async () => {
  for (const page of ['/', '/pipelines', '/pipelines/release/executions/abc', '/builds/x:1', '/repositories/app', '/fleet', '/sign-in']) {
    const response = await app.request(page);
    assert.equal(response.status, 200, page);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8', page);
    assert.equal(response.headers.get('cache-control'), 'no-cache', page);
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'self'.*frame-ancestors 'none'/, page);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.match(await response.text(), /<div id="app">/);
  }
});

test('hashed assets are served with their content type and cached for a year', async () => {
  const script = await app.request('/assets/index-abc123.js');
  assert.equal(script.status, 200);
  assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(script.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(await script.text(), 'console.log("dashboard")');
  const style = await app.request('/assets/index-abc123.css');
  assert.equal(style.headers.get('content-type'), 'text/css; charset=utf-8');
});

test('attack: no asset path leaves the dashboard folder (.., encoded slashes, links to the secret key)', async () => {
  const attempts = [
    '/assets/../secret.txt', '/assets/..%2fsecret.txt', '/assets/..%2Fsecret.txt', '/assets/%2e%2e%2fsecret.txt', '/assets/%2e%2e/secret.txt',
    '/assets/..%5csecret.txt', '/assets/key.js', '/assets/..%2f..%2f..%2f..%2fetc%2fpasswd', '/assets/%00index-abc123.js', '/assets/', '/secret.txt', '/index.html/..%2fsecret.txt',
  ];
  for (const attempt of attempts) {
    const response = await app.request(attempt);
    const text = await response.text();
    assert.ok(!text.includes('not for the web'), `${attempt} leaked a file outside assets/`);
    assert.ok(!text.includes('root:'), `${attempt} leaked /etc/passwd`);
    if (response.status === 200) assert.match(text, /<div id="app">/, `${attempt} answered something other than the app shell`);
  }
  const key = await app.request('/assets/key.js');
  assert.equal(key.status, 404, 'a link in the assets folder is not followed');
});

test('a server without a built dashboard says at / how to build it', async () => {
  const bare = createApp(server.services, { dashboardDir: path.join(dashboardDir, 'missing') });
  const response = await bare.request('/');
  assert.equal(response.status, 200);
  assert.match(await response.text(), /npm run build/);
});

test('sign-in with an API token sets an HttpOnly, SameSite=Strict cookie that is not the token; Secure behind TLS', async () => {
  const { setCookie, cookie, csrfToken } = await signIn();
  assert.match(setCookie, /^nagare_session=/);
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  assert.match(setCookie, /Path=\//);
  assert.doesNotMatch(setCookie, /Secure/, 'plain HTTP: a Secure cookie would never come back');
  assert.ok(!cookie.includes(server.token) && !decodeURIComponent(cookie).includes(server.token), 'the cookie does not carry the token');
  assert.ok(csrfToken.length >= 32);
  const overTls = await signIn({ 'x-forwarded-proto': 'https' });
  assert.match(overTls.setCookie, /; Secure/);
});

test('a wrong or missing token signs nobody in and sets no cookie', async () => {
  for (const body of [{ token: 'ngu_wrong' }, { token: '' }, {}]) {
    const response = await app.request('/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.ok([400, 401].includes(response.status), JSON.stringify(body));
    assert.equal(response.headers.get('set-cookie'), null);
  }
  const agentToken = await server.services.auth.createAgentToken('not-a-user');
  const agent = await app.request('/api/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: agentToken }) });
  assert.equal(agent.status, 401, 'an agent token opens no dashboard session');
});

test('a session cookie reads the native API, and GET /api/v1/session gives the page its CSRF token again', async () => {
  const { cookie, csrfToken } = await signIn();
  const projects = await app.request('/api/v1/projects', { headers: { cookie } });
  assert.equal(projects.status, 200);
  const session = await app.request('/api/v1/session', { headers: { cookie } });
  assert.deepEqual(((await session.json()) as { caller: string; csrfToken: string }).csrfToken, csrfToken);
  assert.equal(session.headers.get('cache-control'), 'no-store');
});

test('CSRF: a change made with the session cookie but without the CSRF token (or with a wrong one) is refused and changes nothing', async () => {
  const { cookie, csrfToken } = await signIn();
  const other = await signIn();
  const attempts: Record<string, string>[] = [{}, { 'x-nagare-csrf': 'guess' }, { 'x-nagare-csrf': other.csrfToken }, { 'x-nagare-csrf': '' }];
  for (const header of attempts) {
    const response = await app.request('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json', cookie, ...header }, body: JSON.stringify(PROJECT) });
    assert.equal(response.status, 403, JSON.stringify(header));
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'AUTH_FORBIDDEN');
    assert.match(body.error.message, /CSRF/);
  }
  for (const route of ['/api/v1/pipelines/x/executions', '/api/v1/repositories']) {
    const response = await app.request(route, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ name: 'csrf-repo' }) });
    assert.equal(response.status, 403, route);
  }
  assert.equal((await server.services.context.store.projects.list({ limit: 100 })).items.length, 0, 'nothing was created');
  const allowed = await app.request('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-nagare-csrf': csrfToken }, body: JSON.stringify(PROJECT) });
  assert.equal(allowed.status, 201);
  assert.equal(((await allowed.json()) as { project: { name: string } }).project.name, PROJECT.name);
  await server.services.projects.delete(PROJECT.name);
});

test('an altered, foreign or expired session cookie is refused with 401', async () => {
  const { cookie } = await signIn();
  const value = decodeURIComponent(cookie.slice('nagare_session='.length));
  // One character of the ciphertext changed at its start: near the end a changed character may
  // be base64 padding bits only, which decode to the same bytes (the test then failed 1 run in ~50).
  const at = value.lastIndexOf(':') + 1;
  const flipped = value.slice(0, at) + (value[at] === 'A' ? 'B' : 'A') + value.slice(at + 1);
  for (const forged of [`nagare_session=${encodeURIComponent(flipped)}`, 'nagare_session=v1:abc:def:ghi', 'nagare_session=%E0%A4%A', `nagare_session=${encodeURIComponent(server.services.context.secrets.seal(JSON.stringify({ h: 'x', c: 'y', e: now + 1e9 }), 'another-context'))}`]) {
    const response = await app.request('/api/v1/projects', { headers: { cookie: forged } });
    assert.equal(response.status, 401, forged);
    assert.ok(!(await response.text()).includes('    at '), 'no stack trace');
  }
  const saved = now;
  now += 13 * 3600_000;
  try {
    const expired = await app.request('/api/v1/projects', { headers: { cookie } });
    assert.equal(expired.status, 401);
    assert.match(((await expired.json()) as { error: { message: string } }).error.message, /expired/);
  } finally {
    now = saved;
  }
});

test('sign-out needs the CSRF token and clears the cookie', async () => {
  const { cookie, csrfToken } = await signIn();
  const forged = await app.request('/api/v1/session', { method: 'DELETE', headers: { cookie } });
  assert.equal(forged.status, 403);
  assert.equal(forged.headers.get('set-cookie'), null);
  const out = await app.request('/api/v1/session', { method: 'DELETE', headers: { cookie, 'x-nagare-csrf': csrfToken } });
  assert.equal(out.status, 204);
  assert.match(out.headers.get('set-cookie') ?? '', /^nagare_session=; Max-Age=0/);
});

test('the live feed names what changed and never carries a build environment', async () => {
  const { cookie } = await signIn();
  const controller = new AbortController();
  const response = await fetch(`${server.url}/api/v1/live`, { headers: { cookie }, signal: controller.signal });
  assert.equal(response.headers.get('content-type'), 'text/event-stream');
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes('event: ready')) text += decoder.decode((await reader.read()).value);
  await server.services.projects.create({ ...PROJECT, name: 'feed-project', environment: { image: 'shell', environmentVariables: [{ name: 'DEPLOY_KEY', value: 'plain-value-in-the-env', type: 'PLAINTEXT' }] } });
  const build = await server.services.builds.startBuild({ projectName: 'feed-project', initiator: 'test' });
  server.services.context.events.publish({ type: 'BuildStateChanged', build });
  server.services.context.events.publish({ type: 'PipelineExecutionChanged', pipelineName: 'release', executionId: 'e-1', previousStatus: 'InProgress', status: 'Succeeded' });
  while (!text.includes('"executionId":"e-1"')) text += decoder.decode((await reader.read()).value);
  controller.abort();
  assert.match(text, /"pipelineName":"release","executionId":"e-1","status":"Succeeded"/);
  assert.match(text, new RegExp(`"buildId":"${build.id}","projectName":"feed-project","status":"IN_PROGRESS"`));
  assert.ok(!text.includes('plain-value-in-the-env') && !text.includes('DEPLOY_KEY'), 'the feed names the build, not its environment');
  const refused = await fetch(`${server.url}/api/v1/live`);
  assert.equal(refused.status, 401);
});
