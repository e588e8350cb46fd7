/**
 * The interval runner and cross-server wake-ups on both databases: components run under their
 * lock and record their last run, a paused component is skipped by every server, operators see
 * and pause components over the API; on PostgreSQL a second server on the same database is woken
 * by a job queued on the first (LISTEN/NOTIFY) and never runs a component the first is running.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestServer, testDatabases, type TestServer } from '../support/test-server.js';

async function api(server: TestServer, method: string, route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

for (const [database, skip] of await testDatabases()) {
  test(`components run under the interval runner, record their last run, and a paused one is skipped until resumed (${database})`, { skip }, async () => {
    // A long interval: only runNow ticks, so what the test sees is what it asked for.
    const server = await startTestServer({ database, schedulerIntervalMs: 3_600_000 });
    try {
      const before = await api(server, 'GET', '/components');
      assert.deepEqual((before.json.components as { name: string }[]).map((c) => c.name), ['build-batches', 'deployments', 'event-rules', 'mirror-poller', 'notification-delivery', 'pipeline-reconciler', 'scheduler']);
      assert.equal(await server.intervalRunner.runNow('scheduler'), true);
      const ran = (await api(server, 'GET', '/components')).json.components as { name: string; lastRanAt?: number; lastRanBy?: string; paused: boolean }[];
      const scheduler = ran.find((c) => c.name === 'scheduler');
      assert.equal(typeof scheduler?.lastRanAt, 'number');
      assert.match(scheduler?.lastRanBy ?? '', /:\d+$/);

      const paused = await api(server, 'PUT', '/components/scheduler', { paused: true });
      assert.equal(paused.status, 200);
      assert.equal((paused.json.component as { paused: boolean }).paused, true);
      assert.equal(await server.intervalRunner.runNow('scheduler'), false, 'a paused component does not run');
      await api(server, 'PUT', '/components/scheduler', { paused: false });
      assert.equal(await server.intervalRunner.runNow('scheduler'), true);

      const unknown = await api(server, 'PUT', '/components/nothing', { paused: true });
      assert.equal(unknown.status, 404);
      assert.equal((unknown.json.error as { code: string }).code, 'API_NOT_FOUND');
      const bad = await api(server, 'PUT', '/components/scheduler', { paused: 'yes' });
      assert.equal(bad.status, 400);
      assert.equal((bad.json.error as { code: string }).code, 'API_INVALID_INPUT');
      assert.deepEqual((await server.services.context.store.components.get('nothing')), undefined, 'bad input changes nothing');
    } finally {
      await server.stop();
    }
  });
}

const [, postgresSkip] = (await testDatabases()).find(([database]) => database === 'postgres') ?? ['postgres', 'PostgreSQL is not configured'];

test('two servers on one PostgreSQL: a job queued on one wakes the waiters of the other, and a component one runs is not run by the other', { skip: postgresSkip, timeout: 120_000 }, async () => {
  const first = await startTestServer({ database: 'postgres', schedulerIntervalMs: 3_600_000 });
  const second = await startTestServer({ databaseUrl: first.databaseUrl, dataDir: first.dataDir, schedulerIntervalMs: 3_600_000 });
  try {
    // An hour-long wait: only a wake-up from the first server ends it within the test's timeout.
    const woken = second.services.context.notifier.wait('jobs', 3_600_000);
    await first.services.projects.create({ name: 'wake', source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo hi]\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
    await first.services.builds.startBuild({ projectName: 'wake', initiator: 'test' });
    await woken;

    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered = (): void => undefined;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const holding = first.services.context.store.components.runExclusive('pipeline-reconciler', async () => {
      entered();
      await held;
    });
    await inside;
    assert.equal(await second.intervalRunner.runNow('pipeline-reconciler'), false, 'the other server skips the tick');
    release();
    await holding;
    assert.equal(await second.intervalRunner.runNow('pipeline-reconciler'), true);
    assert.equal((await first.services.context.store.components.get('pipeline-reconciler'))?.lastRanBy !== undefined, true);
  } finally {
    await second.stop();
    await first.stop();
  }
});
