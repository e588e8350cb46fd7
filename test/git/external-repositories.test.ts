/**
 * External repositories with real git and a real server: a mirror of an upstream bare repository
 * (a plain path or file:// URL), the first fetch and each poll recorded as push events like a
 * push, read-only over /git, and URLs that are refused.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { PushEvent } from '../../src/core/store.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createUpstream } from './external-upstream.js';
import { authedUrl, commitFiles, gitOk, gitRun, tempDir } from './git-client.js';

let server: TestServer;
const heard: PushEvent[] = [];
before(async () => {
  server = await startTestServer({ allowLocalMirrors: true });
  server.services.context.events.subscribe('Pushed', ({ push }) => void heard.push(push));
});
after(async () => {
  await server.stop();
});

async function api(method: string, route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: response.status === 204 ? {} : ((await response.json()) as Record<string, unknown>) };
}

const summary = (events: readonly PushEvent[]): unknown[] => events.map((e) => [e.repositoryName, e.ref, e.oldCommit, e.newCommit, e.changedPaths.join(','), e.pusher]);

test('a mirror fetches its upstream at creation, then on each poll records what changed as push events', async () => {
  const upstream = await createUpstream({ 'README.md': '# up\n', 'src/app.js': '1\n' });
  const first = await upstream.git(['rev-parse', 'HEAD']);
  await upstream.git(['tag', 'v1']);
  await upstream.git(['push', '--quiet', 'origin', 'v1']);
  heard.length = 0;

  const created = await api('POST', '/repositories', { name: 'mirror', description: 'mirrored', mirrorOf: upstream.bare, pollSeconds: 30 });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const repository = created.json.repository as Record<string, unknown>;
  assert.equal(repository.mirrorOf, upstream.bare);
  assert.equal(repository.pollSeconds, 30);
  assert.equal(repository.defaultBranch, 'main');
  assert.equal(repository.webhookUrl, undefined, 'no webhook secret, no webhook URL');
  assert.deepEqual(summary(heard), [
    ['mirror', 'refs/heads/main', undefined, first, 'README.md,src/app.js', 'mirror'],
    ['mirror', 'refs/tags/v1', undefined, first, 'README.md,src/app.js', 'mirror'],
  ]);

  // Clones are served; the default branch is checked out.
  const work = await tempDir('mirror-clone');
  await gitOk(work, ['clone', '--quiet', authedUrl(server.url, 'mirror', server.token), 'clone']);
  const clone = path.join(work, 'clone');
  assert.equal(await readFile(path.join(clone, 'src/app.js'), 'utf8'), '1\n');

  // Pushing to the mirror is refused; nothing changes.
  heard.length = 0;
  await commitFiles(clone, { 'src/app.js': 'pushed to the mirror\n' }, 'not allowed');
  const pushed = await gitRun(clone, ['push', 'origin', 'main']);
  assert.notEqual(pushed.status, 0);
  assert.match(pushed.stderr, /read-only mirror/);
  await gitOk(clone, ['push', 'origin', 'HEAD:refs/heads/other']).then(() => assert.fail('a new branch must be refused too'), () => undefined);
  assert.equal(await server.services.repositories.resolveRef('mirror', 'main'), first);
  assert.deepEqual(heard, []);

  // Upstream changes: a commit on main, a new branch, a deleted tag; one poll sees all of them.
  const second = await upstream.commit({ 'src/app.js': '2\n', 'docs/a.md': 'a\n' }, 'second');
  await upstream.git(['push', '--quiet', 'origin', `${first}:refs/heads/feature`]);
  await upstream.git(['push', '--quiet', 'origin', '--delete', 'v1']);
  const [result, ...others] = await server.mirrorPoller.pollOnce();
  assert.deepEqual(others, []);
  assert.ok(result && 'events' in result, JSON.stringify(result));
  const expected = [
    ['mirror', 'refs/heads/feature', undefined, first, 'README.md,src/app.js', 'poll'],
    ['mirror', 'refs/heads/main', first, second, 'docs/a.md,src/app.js', 'poll'],
    ['mirror', 'refs/tags/v1', first, undefined, '', 'poll'],
  ];
  assert.deepEqual(summary(result.events), expected);
  assert.deepEqual(summary(heard), expected, 'the Pushed subscribers heard the same events');
  assert.deepEqual(summary(await server.services.repositories.pushEventsAfter((result.events[0]?.sequence ?? 1) - 1, 100, { repositoryName: 'mirror' })), expected, 'stored like a push');
  assert.equal(await server.services.repositories.resolveRef('mirror', 'main'), second);

  // Nothing new: nothing recorded. Due-only polling skips a mirror fetched moments ago.
  assert.deepEqual(await server.mirrorPoller.pollOnce(), [{ repositoryName: 'mirror', events: [] }]);
  assert.deepEqual(await server.mirrorPoller.pollOnce({ onlyDue: true }), []);
  // Another server of the cluster (same database) knows the fetch began moments ago and skips it too.
  const other = await startTestServer({ dataDir: server.dataDir, allowLocalMirrors: true });
  try {
    assert.deepEqual(await other.mirrorPoller.pollOnce({ onlyDue: true }), []);
  } finally {
    await other.stop();
  }

  const shown = await api('GET', '/repositories/mirror');
  assert.deepEqual(shown.json.branches, ['feature', 'main']);
  assert.ok(typeof (shown.json.mirrorStatus as { lastFetched?: number }).lastFetched === 'number');
  assert.equal((await api('DELETE', '/repositories/mirror')).status, 204);
  assert.deepEqual(await server.mirrorPoller.pollOnce(), []);
});

test('a file:// URL mirrors too; pollSeconds 0 is never due; the mirror of an empty upstream gets its default branch later', async () => {
  const dir = await tempDir('empty-upstream');
  const bare = path.join(dir, 'empty.git');
  await gitOk(dir, ['init', '--quiet', '--bare', '--initial-branch=trunk', bare]);
  const created = await api('POST', '/repositories', { name: 'empty-mirror', mirrorOf: `file://${bare}`, pollSeconds: 0 });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  assert.equal((created.json.repository as Record<string, unknown>).defaultBranch, undefined);

  const work = path.join(dir, 'work');
  await gitOk(dir, ['clone', '--quiet', bare, work]);
  await gitOk(work, ['switch', '--quiet', '-c', 'trunk']);
  const commit = await commitFiles(work, { 'a.txt': 'a\n' }, 'a');
  await gitOk(work, ['push', '--quiet', 'origin', 'trunk']);
  assert.deepEqual(await server.mirrorPoller.pollOnce({ onlyDue: true }), [], 'pollSeconds 0: webhooks only');
  const polled = await server.mirrorPoller.pollOnce();
  const events = polled.flatMap((r) => ('events' in r ? r.events : []));
  assert.deepEqual(summary(events), [['empty-mirror', 'refs/heads/trunk', undefined, commit, 'a.txt', 'poll']]);
  assert.equal((await server.services.repositories.get('empty-mirror')).defaultBranch, 'trunk');
  await server.services.repositories.delete('empty-mirror');
});

test('URLs that are not plain git transports, unreachable upstreams and misplaced options are refused; nothing is created', async () => {
  const dir = await tempDir('bad-upstream');
  for (const [mirrorOf, message] of [
    ['ext::sh -c touch% /tmp/pwned', /allowed|remote helper|must be/],
    ['fd::3', /remote helper|must be/],
    ['--upload-pack=touch /tmp/pwned', /must not start with -/],
    ['relative/path', /must be/],
    [path.join(dir, 'missing.git'), /Could not fetch/],
    ['https://user:hunter2@127.0.0.1:1/nothing.git', /Could not fetch https:\/\/user:\*\*\*@/],
  ] as const) {
    const response = await api('POST', '/repositories', { name: 'bad', mirrorOf });
    assert.equal(response.status, 400, `${mirrorOf}: ${JSON.stringify(response.json)}`);
    const error = response.json.error as { code: string; message: string };
    assert.equal(error.code, 'API_INVALID_INPUT');
    assert.match(error.message, message);
    assert.ok(!error.message.includes('hunter2'), 'no password in messages');
    assert.equal((await api('GET', '/repositories/bad')).status, 404, `${mirrorOf}: nothing left behind`);
  }
  const misplaced = await api('POST', '/repositories', { name: 'hosted', webhookSecret: 'a-secret-value' });
  assert.equal(misplaced.status, 400);
  assert.equal((await api('POST', '/repositories', { name: 'x', mirrorOf: dir, pollSeconds: -1 })).status, 400);
});
