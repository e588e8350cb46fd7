/**
 * Issue 13, metrics: `nagare_builds{status}` is set for every status on every sweep, so a status
 * whose count drops to zero says 0 (it kept its last value before); `/metrics` needs an API token
 * unless the server runs with `--metrics-public`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestServer } from '../support/test-server.js';

function gauge(metrics: string, status: string): number | undefined {
  const match = new RegExp(`^nagare_builds\\{status="${status}"\\} (\\d+)$`, 'm').exec(metrics);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

test('nagare_builds{status="IN_PROGRESS"} drops to 0 once the last build ends, and every status is reported', async () => {
  const server = await startTestServer();
  try {
    await server.services.projects.create({ name: 'gauge', source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo hi]\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
    const build = await server.services.builds.startBuild({ projectName: 'gauge', initiator: 'test' });
    await server.scheduler.sweep();
    const during = await server.services.context.metrics.registry.metrics();
    assert.equal(gauge(during, 'IN_PROGRESS'), 1);
    assert.equal(gauge(during, 'SUCCEEDED'), 0, 'a status with no builds says 0');

    await server.services.builds.stopBuild(build.id);
    await server.scheduler.sweep();
    const after = await server.services.context.metrics.registry.metrics();
    assert.equal(gauge(after, 'IN_PROGRESS'), 0);
    assert.equal(gauge(after, 'STOPPED'), 1);
  } finally {
    await server.stop();
  }
});

test('/metrics refuses a request without a token, and answers one with --metrics-public', async () => {
  const closed = await startTestServer();
  const open = await startTestServer({ metricsPublic: true });
  try {
    assert.equal((await fetch(`${closed.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${closed.url}/metrics`, { headers: { authorization: `Bearer ${closed.token}` } })).status, 200);
    const answer = await fetch(`${open.url}/metrics`);
    assert.equal(answer.status, 200);
    assert.match(await answer.text(), /^nagare_queue_depth /m);
    assert.equal((await fetch(`${open.url}/api/v1/builds`)).status, 401, 'only /metrics is opened');
  } finally {
    await closed.stop();
    await open.stop();
  }
});

test('a metrics token reads /metrics and nothing else', async () => {
  const server = await startTestServer();
  try {
    const made = await fetch(`${server.url}/api/v1/metrics-tokens`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(made.status, 201);
    const { token } = (await made.json()) as { token: string };
    assert.match(token, /^ngm_/);
    const auth = { headers: { authorization: `Bearer ${token}` } };
    assert.equal((await fetch(`${server.url}/metrics`, auth)).status, 200);
    assert.equal((await fetch(`${server.url}/api/v1/builds`, auth)).status, 401);
    assert.equal((await fetch(`${server.url}/api/v1/metrics-tokens`, { method: 'POST', ...auth })).status, 401, 'it cannot make more tokens');
  } finally {
    await server.stop();
  }
});
