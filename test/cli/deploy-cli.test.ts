/**
 * `nagare app|deployment-group|deploy|instance` as a user runs them (the CLI from its sources in a
 * child process) against a real server: push a directory, deploy it, watch it, list and stop.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCliFromSources } from '../support/cli-server.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { playAgents, registerHost } from '../server/deployments/deployment-fixture.js';

let server: TestServer;
before(async () => {
  server = await startTestServer({ schedulerIntervalMs: 60_000 });
});
after(() => server.stop());

const nagare = (...args: string[]) => runCliFromSources(args, { NAGARE_SERVER: server.url, NAGARE_TOKEN: server.token });

test('app create, deployment-group create, deploy push and create, then status shows each instance\'s lifecycle events', async () => {
  assert.equal((await nagare('app', 'create', 'cli-app')).status, 0);
  const group = await nagare('deployment-group', 'create', '--application-name', 'cli-app', '--deployment-group-name', 'beta', '--on-premises-tag-filters', 'Key=env,Value=cli-beta,Type=KEY_AND_VALUE', '--json');
  assert.equal(group.status, 0, group.stderr);
  assert.ok((JSON.parse(group.stdout) as { deploymentGroupId?: string }).deploymentGroupId);
  const agent = await registerHost(server, 'cli-host', { env: 'cli-beta' });

  const source = await mkdtemp(path.join(os.tmpdir(), 'nagare-push-'));
  await mkdir(path.join(source, 'scripts'));
  await writeFile(path.join(source, 'appspec.yml'), 'version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /tmp/cli-app\n');
  await writeFile(path.join(source, 'scripts', 'start.sh'), '#!/bin/sh\necho started\n');
  const pushed = await nagare('deploy', 'push', '--application-name', 'cli-app', '--source', source);
  assert.equal(pushed.status, 0, pushed.stderr);
  const location = /--s3-location (\S+)/.exec(pushed.stdout)?.[1];
  assert.ok(location, pushed.stdout);
  assert.match(location, /^bucket=nagare-revisions,key=cli-app\/nagare-push-\w+\.zip,bundleType=zip,eTag=[0-9a-f]{32}$/);

  const created = await nagare('deploy', 'create', '--application-name', 'cli-app', '--deployment-group-name', 'beta', '--s3-location', location);
  assert.equal(created.status, 0, created.stderr);
  const deploymentId = created.stdout.trim();
  assert.match(deploymentId, /^d-[A-Z0-9]{9}$/);
  await playAgents(server, deploymentId, [agent], { 'cli-host': 'ValidateService' });

  const status = await nagare('deploy', 'status', deploymentId);
  assert.equal(status.status, 1, 'a failed deployment exits 1');
  assert.match(status.stdout, new RegExp(`${deploymentId}  Failed  cli-app/beta`));
  assert.match(status.stdout, /cli-host {2}Failed/);
  assert.match(status.stdout, /ValidateService +Failed/);
  assert.match(status.stdout, /\| health check failed/);

  const listed = await nagare('deploy', 'list', '--application-name', 'cli-app', '--json');
  assert.equal((JSON.parse(listed.stdout) as { deployments: { deploymentId: string }[] }).deployments[0]?.deploymentId, deploymentId);
  const stop = await nagare('deploy', 'stop', deploymentId);
  assert.notEqual(stop.status, 0);
  assert.match(stop.stderr, /already completed/);
});

test('instance list, tag and untag', async () => {
  await registerHost(server, 'tag-host', { env: 'x' });
  assert.equal((await nagare('instance', 'tag', 'tag-host', '--tags', 'role=web,zone=a')).status, 0);
  assert.equal((await nagare('instance', 'untag', 'tag-host', '--tags', 'zone')).status, 0);
  const listed = await nagare('instance', 'list');
  assert.match(listed.stdout, /tag-host +env=x,role=web\n/);
  const help = await nagare('deploy', '--help');
  assert.match(help.stdout, /push/);
  assert.match(help.stdout, /status/);
});
