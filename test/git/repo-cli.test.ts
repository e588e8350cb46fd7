/**
 * `nagare repo create|list|show|delete` in child processes against a real server, run from the
 * TypeScript sources (the commands are thin: what they print and their exit codes is what is checked).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCliFromSources } from '../support/cli-server.js';
import type { ProcessRun } from '../support/processes.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { gitOk, tempDir } from './git-client.js';

let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(() => server.stop());

function nagare(...args: string[]): Promise<ProcessRun> {
  return runCliFromSources(args, { NAGARE_SERVER: server.url, NAGARE_TOKEN: server.token });
}

test('nagare repo create prints the clone URL, and the URL clones with the token', async () => {
  const created = await nagare('repo', 'create', 'cli-repo', '--description', 'from the CLI');
  assert.equal(created.status, 0, created.stderr);
  assert.equal(created.stdout, `Created repository cli-repo\n${server.url}/git/cli-repo.git\n`);
  const work = await tempDir('cli');
  const url = new URL(`${server.url}/git/cli-repo.git`);
  url.username = 'x';
  url.password = server.token;
  await gitOk(work, ['clone', '--quiet', url.toString(), 'c']);
  assert.equal(await gitOk(path.join(work, 'c'), ['rev-parse', '--is-inside-work-tree']), 'true');
});

test('nagare repo list shows names and clone URLs; --json prints the repositories', async () => {
  assert.equal((await nagare('repo', 'create', 'cli-listed')).status, 0);
  const listed = await nagare('repo', 'list');
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, /^NAME\s+DEFAULT BRANCH\s+CLONE URL$/m);
  assert.match(listed.stdout, new RegExp(`^cli-listed\\s+${server.url.replaceAll('.', '\\.')}/git/cli-listed\\.git$`, 'm'));
  const json = await nagare('repo', 'list', '--json');
  const repositories = JSON.parse(json.stdout) as { name: string; cloneUrlHttp: string }[];
  assert.deepEqual(repositories.find((r) => r.name === 'cli-listed')?.cloneUrlHttp, `${server.url}/git/cli-listed.git`);
  const shown = JSON.parse((await nagare('repo', 'show', 'cli-listed', '--json')).stdout) as { repository: { name: string }; branches: string[] };
  assert.deepEqual(shown, { ...shown, branches: [] });
  assert.equal(shown.repository.name, 'cli-listed');
});

test('nagare repo delete removes it; a second delete and a bad name exit 2 with the code', async () => {
  assert.equal((await nagare('repo', 'create', 'cli-doomed', '--json')).status, 0);
  const deleted = await nagare('repo', 'delete', 'cli-doomed', '--json');
  assert.equal(deleted.status, 0, deleted.stderr);
  assert.deepEqual(JSON.parse(deleted.stdout), { deleted: 'cli-doomed' });
  const again = await nagare('repo', 'delete', 'cli-doomed');
  assert.equal(again.status, 2);
  assert.match(again.stderr, /REPO_NOT_FOUND/);
  const bad = await nagare('repo', 'create', 'bad.git');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /REPO_INVALID_NAME/);
  const taken = await nagare('repo', 'create', 'cli-listed', '--json');
  assert.equal(taken.status, 2);
  assert.match(taken.stderr, /REPO_ALREADY_EXISTS/);
});
