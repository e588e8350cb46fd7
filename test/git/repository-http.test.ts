/**
 * The native repositories API, and smart HTTP under load: a push larger than git's post buffer
 * (sent chunked, streamed through), and concurrent pushes to one repository each recorded once.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { authedUrl, commitFiles, gitOk, tempDir } from './git-client.js';

let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(() => server.stop());

function api(method: string, route: string, body?: unknown, token = server.token): Promise<Response> {
  return fetch(`${server.url}/api/v1${route}`, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
}

test('the native API creates, lists, shows and deletes repositories, with push events and commit archives', async () => {
  const created = await api('POST', '/repositories', { name: 'native', description: 'via REST' });
  assert.equal(created.status, 201);
  const { repository } = (await created.json()) as { repository: Record<string, unknown> };
  assert.equal(repository.cloneUrlHttp, `${server.url}/git/native.git`);
  assert.equal(repository.description, 'via REST');
  assert.equal((await api('POST', '/repositories', { name: 'native' })).status, 409);
  assert.equal((await api('POST', '/repositories', { name: '../native' })).status, 400);
  assert.equal((await api('GET', '/repositories', undefined, '')).status, 401);

  const work = await tempDir('native');
  await gitOk(work, ['init', '--quiet', '--initial-branch=main', '.']);
  const commit = await commitFiles(work, { 'app/index.js': 'ok\n' }, 'one');
  await gitOk(work, ['push', '--quiet', authedUrl(server.url, 'native', server.token), 'main']);

  const shown = (await (await api('GET', '/repositories/native')).json()) as { repository: Record<string, unknown>; branches: string[] };
  assert.deepEqual(shown.branches, ['main']);
  assert.equal(shown.repository.defaultBranch, 'main');
  const listed = (await (await api('GET', '/repositories')).json()) as { repositories: { name: string }[] };
  assert.ok(listed.repositories.some((r) => r.name === 'native'));
  const events = (await (await api('GET', '/repositories/native/push-events?after=0')).json()) as { pushEvents: { ref: string; newCommit: string; changedPaths: string[] }[] };
  assert.deepEqual(events.pushEvents.map((e) => [e.ref, e.newCommit, e.changedPaths]), [['refs/heads/main', commit, ['app/index.js']]]);

  const zip = await api('GET', `/repositories/native/archive/${commit}`);
  assert.equal(zip.status, 200);
  assert.equal(zip.headers.get('content-type'), 'application/zip');
  const bytes = Buffer.from(await zip.arrayBuffer());
  assert.equal(bytes.subarray(0, 2).toString('latin1'), 'PK');
  assert.ok(bytes.includes(Buffer.from('app/index.js')));
  assert.ok(!bytes.includes(Buffer.from('.git/')));
  assert.equal((await api('GET', `/repositories/native/archive/${'0'.repeat(40)}`)).status, 404);

  assert.equal((await api('DELETE', '/repositories/native')).status, 204);
  assert.equal((await api('DELETE', '/repositories/native')).status, 404);
  assert.equal((await api('GET', '/repositories/native')).status, 404);
  assert.equal((await api('POST', '/repositories', { name: 'native' })).status, 201, 'the name is free again, and the new one is empty');
  assert.deepEqual(((await (await api('GET', '/repositories/native')).json()) as { branches: string[] }).branches, []);
});

test('a push larger than git\'s post buffer streams through, and clones back byte for byte', async () => {
  await server.services.repositories.create({ repositoryName: 'large' });
  const work = await tempDir('large');
  await gitOk(work, ['init', '--quiet', '--initial-branch=main', '.']);
  const blob = randomBytes(3 * 1024 * 1024);
  await writeFile(path.join(work, 'random.bin'), blob);
  await commitFiles(work, { 'README.md': 'large\n' }, 'large');
  await gitOk(work, ['push', '--quiet', authedUrl(server.url, 'large', server.token), 'main']);
  const back = await tempDir('large-back');
  await gitOk(back, ['clone', '--quiet', authedUrl(server.url, 'large', server.token), 'c']);
  assert.ok((await readFile(path.join(back, 'c', 'random.bin'))).equals(blob));
});

test('concurrent pushes to one repository are each recorded once, with the right old and new commits', async () => {
  await server.services.repositories.create({ repositoryName: 'busy' });
  const url = authedUrl(server.url, 'busy', server.token);
  const clients = await Promise.all(['a', 'b', 'c', 'd'].map(async (name) => {
    const dir = await tempDir(`busy-${name}`);
    await gitOk(dir, ['init', '--quiet', `--initial-branch=${name}`, '.']);
    return { name, dir, commit: await commitFiles(dir, { [`${name}.txt`]: name }, name) };
  }));
  await Promise.all(clients.map((c) => gitOk(c.dir, ['push', '--quiet', url, c.name])));
  const events = await server.services.repositories.pushEventsAfter(0, 100, { repositoryName: 'busy' });
  assert.deepEqual(events.map((e) => [e.ref, e.oldCommit, e.newCommit, e.changedPaths]).sort(), clients.map((c) => [`refs/heads/${c.name}`, undefined, c.commit, [`${c.name}.txt`]]).sort());
});
