/**
 * Bad input changes nothing: clones and pushes without credentials, with a wrong token or with an
 * agent's token are refused with 401 and a Basic challenge; repository names that would leave the
 * repositories directory are refused; only git's smart protocol is served.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { authedUrl, commitFiles, gitOk, gitRun, tempDir } from './git-client.js';

let server: TestServer;
let pushed: string;

before(async () => {
  server = await startTestServer();
  await server.services.repositories.create({ repositoryName: 'guarded' });
  const work = await tempDir('guarded');
  await gitOk(work, ['init', '--quiet', '--initial-branch=main', '.']);
  pushed = await commitFiles(work, { 'secret-plan.txt': 'plan\n' }, 'plan');
  await gitOk(work, ['push', '--quiet', authedUrl(server.url, 'guarded', server.token), 'main']);
});
after(() => server.stop());

/** A request sent exactly as written (fetch would normalise `..` out of the path). */
function rawGet(pathAndQuery: string, token?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, path: pathAndQuery, method: 'GET', headers: token ? { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` } : {} }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

test('a clone without credentials is refused with 401 and a Basic challenge', async () => {
  const answer = await rawGet('/git/guarded.git/info/refs?service=git-upload-pack');
  assert.equal(answer.status, 401);
  assert.match(String(answer.headers['www-authenticate']), /^Basic realm="nagare"/);
  const work = await tempDir('anonymous');
  const clone = await gitRun(work, ['clone', `${server.url}/git/guarded.git`, 'c']);
  assert.notEqual(clone.status, 0);
  assert.match(clone.stderr, /Authentication failed|could not read Username|401/);
  assert.deepEqual(await readdir(work), [], 'nothing was cloned');
});

test('a clone or push with a wrong token is refused with 401 and changes nothing', async () => {
  const work = await tempDir('wrong');
  const clone = await gitRun(work, ['clone', authedUrl(server.url, 'guarded', 'not-a-token'), 'c']);
  assert.notEqual(clone.status, 0);
  assert.match(clone.stderr, /Authentication failed|401/);

  const local = path.join(work, 'local');
  await gitOk(work, ['init', '--quiet', '--initial-branch=main', 'local']);
  await commitFiles(local, { 'evil.txt': 'overwrite\n' }, 'evil');
  const before = await server.services.repositories.pushEventsAfter(0);
  for (const token of ['not-a-token', '', await server.services.auth.createAgentToken('an-agent')]) {
    const push = await gitRun(local, ['push', '--force', authedUrl(server.url, 'guarded', token), 'main', 'main:refs/heads/other']);
    assert.notEqual(push.status, 0, `push with token ${JSON.stringify(token)} must fail`);
  }
  assert.equal(await server.services.repositories.resolveRef('guarded', 'main'), pushed);
  assert.deepEqual(await server.services.repositories.listBranches('guarded'), ['main']);
  assert.deepEqual(await server.services.repositories.pushEventsAfter(0), before);
});

test('repository names that could leave the repositories directory are refused', async () => {
  for (const name of ['..', '.', '../escape', 'a/b', 'a\\b', 'evil.git', 'EVIL.GIT', '', 'x'.repeat(101), 'sp ace', 'semi;colon', '%2e%2e']) {
    await assert.rejects(server.services.repositories.create({ repositoryName: name }), { code: 'REPO_INVALID_NAME' }, `name ${JSON.stringify(name)}`);
  }
  for (const name of ['a', 'My_Repo-1.0', 'x'.repeat(100), '.hidden', 'git']) {
    await server.services.repositories.create({ repositoryName: name });
  }
  const entries = await readdir(server.services.repositories.root);
  assert.ok(entries.every((entry) => entry.endsWith('.git')), `only <name>.git directories: ${entries.join(', ')}`);
  assert.deepEqual(await readdir(path.dirname(server.services.repositories.root)).then((e) => e.filter((n) => n.endsWith('.git'))), []);
});

test('smart HTTP paths outside a known repository are refused', async () => {
  const cases: [string, number][] = [
    ['/git/../../etc/passwd', 404],
    ['/git/..%2F..%2Fetc.git/info/refs?service=git-upload-pack', 400],
    ['/git/%2e%2e.git/info/refs?service=git-upload-pack', 400],
    ['/git/guarded.git/../../../etc/passwd', 404],
    ['/git/guarded.git/HEAD', 404],
    ['/git/guarded.git/objects/info/packs', 404],
    ['/git/guarded.git/config', 404],
    ['/git/guarded.git/info/refs?service=git-upload-archive', 404],
    ['/git/missing.git/info/refs?service=git-upload-pack', 404],
  ];
  for (const [target, status] of cases) {
    const answer = await rawGet(target, server.token);
    assert.equal(answer.status, status, `${target}: ${answer.body}`);
    assert.doesNotMatch(answer.body, /root:|\[core\]/, 'no file content leaks');
  }
  const ok = await rawGet('/git/guarded.git/info/refs?service=git-upload-pack', server.token);
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['content-type'], 'application/x-git-upload-pack-advertisement');
  assert.ok(ok.body.includes(pushed));
});
