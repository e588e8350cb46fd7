/** `nagare repo create NAME --mirror URL` and `repo show` for an external repository, in a child process. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runCliFromSources } from '../support/cli-server.js';
import type { ProcessRun } from '../support/processes.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createUpstream } from './external-upstream.js';

let server: TestServer;
before(async () => {
  server = await startTestServer({ allowLocalMirrors: true });
});
after(() => server.stop());

function nagare(...args: string[]): Promise<ProcessRun> {
  return runCliFromSources(args, { NAGARE_SERVER: server.url, NAGARE_TOKEN: server.token });
}

test('nagare repo create --mirror prints the clone and webhook URLs; repo show tells it is a mirror', async () => {
  const upstream = await createUpstream();
  const created = await nagare('repo', 'create', 'cli-mirror', '--mirror', upstream.bare, '--poll-seconds', '120', '--webhook-secret', 'a cli secret');
  assert.equal(created.status, 0, created.stderr);
  assert.equal(created.stdout, `Created repository cli-mirror\n${server.url}/git/cli-mirror.git\nWebhook URL: ${server.url}/webhooks/repositories/cli-mirror\n`);
  const shown = await nagare('repo', 'show', 'cli-mirror');
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /Branches: +main\n/);
  assert.ok(shown.stdout.includes(`Mirror of:      ${upstream.bare} (read-only; polled every 120 s)\n`), shown.stdout);
  assert.ok(!shown.stdout.includes('a cli secret'));

  const misplaced = await nagare('repo', 'create', 'not-a-mirror', '--webhook-secret', 'a cli secret');
  assert.notEqual(misplaced.status, 0);
  assert.match(misplaced.stderr, /--mirror/);
  const unreachable = await nagare('repo', 'create', 'gone', '--mirror', `${upstream.bare}-missing`);
  assert.notEqual(unreachable.status, 0);
  assert.match(unreachable.stderr, /Could not fetch/);
});
