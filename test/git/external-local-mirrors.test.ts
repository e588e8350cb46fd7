/**
 * Finding 12 of issue 7: a mirror is fetched with the server's rights, so mirrors of the server's
 * own file system and of hosts on this machine are refused unless the operator passes
 * --allow-local-mirrors. Each form is tried against a real server started without it.
 */
import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { access } from 'node:fs/promises';
import os from 'node:os';
import { after, before, test } from 'node:test';
import { isLocalAddress } from '../../src/git/mirror-host.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createUpstream, type Upstream } from './external-upstream.js';

let server: TestServer;
let upstream: Upstream;
before(async () => {
  server = await startTestServer();
  upstream = await createUpstream();
});
after(async () => {
  await server.stop();
});

async function create(name: string, mirrorOf: string): Promise<{ status: number; error: { code: string; message: string } }> {
  const response = await fetch(`${server.url}/api/v1/repositories`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, mirrorOf, pollSeconds: 0 }),
  });
  return { status: response.status, error: ((await response.json()) as { error: { code: string; message: string } }).error };
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

/** This machine's own name, when it resolves to a loopback address (it does on most hosts). */
async function hostnameResolvingToLoopback(): Promise<string[]> {
  const addresses = await lookup(os.hostname(), { all: true }).catch(() => []);
  return addresses.some((a) => isLocalAddress(a.address)) ? [`https://${os.hostname()}/some/repo.git`] : [];
}

test('finding 12: without --allow-local-mirrors, file://, local paths and hosts on this machine are refused and nothing is created', async () => {
  const own = new URL(server.url);
  const refused = [
    upstream.bare,
    upstream.fileUrl,
    `${server.url}/git/anything.git`,
    `http://localhost:${own.port}/git/anything.git`,
    'https://127.0.0.2/repo.git',
    'http://[::1]/repo.git',
    'http://[::ffff:127.0.0.1]/repo.git',
    'http://0.0.0.0/repo.git',
    'http://169.254.169.254/latest/meta-data/',
    'ssh://git@127.0.0.1/repo.git',
    'git://localhost/repo.git',
    'git@localhost:repo.git',
    ...(await hostnameResolvingToLoopback()),
  ];
  for (const [index, mirrorOf] of refused.entries()) {
    const name = `local-${index}`;
    const answer = await create(name, mirrorOf);
    assert.equal(answer.status, 400, `${mirrorOf}: ${JSON.stringify(answer)}`);
    assert.equal(answer.error.code, 'REPO_MIRROR_URL_REFUSED', mirrorOf);
    assert.match(answer.error.message, /--allow-local-mirrors/);
    assert.equal(await server.services.repositories.get(name).then(() => true, () => false), false, `${mirrorOf}: no repository`);
    assert.equal(await exists(server.services.repositories.gitDir(name)), false, `${mirrorOf}: no git directory`);
  }
});

test('finding 12: remote-helper transports stay refused whatever the setting', async () => {
  for (const mirrorOf of ['ext::sh -c touch% /tmp/pwned', 'fd::3']) {
    const answer = await create('helper', mirrorOf);
    assert.equal(answer.status, 400);
    assert.equal(answer.error.code, 'API_INVALID_INPUT');
  }
});

test('finding 12: a mirror made while local mirrors were allowed is not fetched once they are not', async () => {
  const allowing = await startTestServer({ allowLocalMirrors: true });
  const dataDir = allowing.dataDir;
  await allowing.services.externalRepositories.create({ repositoryName: 'was-allowed', mirrorOf: upstream.bare, pollSeconds: 0 });
  const mirrored = await allowing.services.repositories.resolveRef('was-allowed', 'main');
  await allowing.stop();
  const strict = await startTestServer({ dataDir });
  try {
    const ahead = await upstream.commit({ 'later.txt': 'not fetched\n' }, 'later');
    await assert.rejects(strict.services.externalRepositories.fetch('was-allowed', 'poll'), (error: Error & { code?: string }) => error.code === 'REPO_MIRROR_URL_REFUSED');
    const now = await strict.services.repositories.resolveRef('was-allowed', 'main');
    assert.equal(now, mirrored);
    assert.notEqual(now, ahead);
  } finally {
    await strict.stop();
  }
});
