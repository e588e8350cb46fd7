/**
 * Issue 13, "sign in once": `nagare login` saves a server and token under a profile in the user's
 * config (0600), later commands need no flag, `whoami` and `logout` work, the credentials error
 * lists where it looked, and `nagare aws-env` prints lines the AWS SDK can use as they are.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CodeBuildClient, ListProjectsCommand } from '@aws-sdk/client-codebuild';
import { compileClientConfig } from '../../src/config/client-config.js';
import { saveProfile, userConfigFile } from '../../src/config/user-config.js';
import { runCliFromSources } from '../support/cli-server.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
let home = '';

before(async () => {
  server = await startTestServer();
  home = await mkdtemp(path.join(os.tmpdir(), 'nagare-session-'));
});
after(() => server.stop());

/** A user with no sign-in, no NAGARE_* variables and an empty data directory. */
function user(name: string): Record<string, string> {
  const dir = path.join(home, name);
  return { XDG_CONFIG_HOME: path.join(dir, 'config'), NAGARE_DATA_DIR: path.join(dir, 'data'), NAGARE_TOKEN: '', NAGARE_SERVER: '', NAGARE_PROFILE: '' };
}

test('without a token, the credentials error lists every source it tried and says how to sign in', async () => {
  const run = await runCliFromSources(['build', 'list', '--server', server.url], user('none'));
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /AUTH_MISSING/);
  assert.match(run.stderr, /--token: not given/);
  assert.match(run.stderr, /\$NAGARE_TOKEN: unset/);
  assert.match(run.stderr, /profile 'default' in .*config\.json: not signed in/);
  assert.match(run.stderr, /initial-credentials\.json: not found/);
  assert.match(run.stderr, /nagare login --server/);
});

test('nagare login saves the server and token (mode 0600); later commands need neither flag; logout forgets them', async () => {
  const env = user('login');
  const login = await runCliFromSources(['login', '--server', server.url, '--token', server.token], env);
  assert.equal(login.status, 0, login.stderr);
  assert.match(login.stdout, /Signed in to .* as admin \(profile 'default'/);
  const file = userConfigFile(env);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { profiles: { default: { server: server.url, token: server.token } } });

  const list = await runCliFromSources(['build', 'list', '--json'], env);
  assert.equal(list.status, 0, list.stderr);
  const whoami = await runCliFromSources(['whoami'], env);
  assert.equal(whoami.status, 0, whoami.stderr);
  assert.match(whoami.stdout, new RegExp(`^admin at ${server.url} \\(token from profile 'default'`));

  const logout = await runCliFromSources(['logout'], env);
  assert.equal(logout.status, 0, logout.stderr);
  assert.match(logout.stdout, /Signed out/);
  assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), { profiles: {} });
  assert.equal((await runCliFromSources(['build', 'list', '--server', server.url], env)).status, 2);
});

test('nagare login --profile keeps several servers; --profile picks one', async () => {
  const env = user('profiles');
  assert.equal((await runCliFromSources(['login', '--server', server.url, '--token', server.token, '--profile', 'staging'], env)).status, 0);
  const without = await runCliFromSources(['whoami'], env);
  assert.notEqual(without.status, 0, 'the default profile is not signed in, so the default local server is tried');
  const withProfile = await runCliFromSources(['whoami', '--profile', 'staging', '--json'], env);
  assert.equal(withProfile.status, 0, withProfile.stderr);
  assert.equal((JSON.parse(withProfile.stdout) as { name: string }).name, 'admin');
});

test('nagare login with a wrong token fails and saves nothing', async () => {
  const env = user('wrong');
  const run = await runCliFromSources(['login', '--server', server.url, '--token', 'ngu_not-a-token'], env);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /AUTH_INVALID_TOKEN/);
  await assert.rejects(stat(userConfigFile(env)), /ENOENT/);
});

test('a profile\'s token is never sent to a server the profile does not name', () => {
  const env = user('elsewhere');
  saveProfile(userConfigFile(env), 'default', { server: server.url, token: server.token });
  const config = compileClientConfig({ server: 'http://other.example:8780' }, env, false);
  assert.equal(config.token, undefined);
  assert.match(config.sourcesTried.join('\n'), /signed in to .*, not http:\/\/other\.example:8780/);
  assert.equal(compileClientConfig({}, env, false).token, server.token);
});

test('nagare aws-env prints export lines the AWS SDK works with as they are', async () => {
  const run = await runCliFromSources(['aws-env', '--server', server.url, '--token', server.token], user('aws'));
  assert.equal(run.status, 0, run.stderr);
  const exported = Object.fromEntries(run.stdout.trim().split('\n').map((line) => {
    const match = /^export (AWS_[A-Z_]+)=(\S+)$/.exec(line);
    assert.ok(match, `an export line: ${line}`);
    return [match[1], match[2]];
  })) as Record<string, string>;
  assert.equal(exported.AWS_ENDPOINT_URL, server.url);
  const client = new CodeBuildClient({
    endpoint: exported.AWS_ENDPOINT_URL,
    region: exported.AWS_DEFAULT_REGION,
    credentials: { accessKeyId: exported.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: exported.AWS_SECRET_ACCESS_KEY ?? '' },
  });
  const answer = await client.send(new ListProjectsCommand({}));
  assert.deepEqual(answer.projects ?? [], []);
});

test('a parameter put over an existing one names the --overwrite flag', async () => {
  const flags = ['--server', server.url, '--token', server.token];
  assert.equal((await runCliFromSources(['parameter', 'put', '/msg/one', 'a', ...flags], user('params'))).status, 0);
  const again = await runCliFromSources(['parameter', 'put', '/msg/one', 'b', ...flags], user('params'));
  assert.equal(again.status, 2);
  assert.match(again.stderr, /already exists; pass --overwrite to replace it/);
});

test('attack: /api/v1/whoami, /access-keys and /metrics-tokens refuse a request without an API token, or with a metrics token', async () => {
  const metrics = await server.services.auth.createMetricsToken('scraper');
  for (const [method, route] of [['GET', 'whoami'], ['POST', 'access-keys'], ['POST', 'metrics-tokens']] as const) {
    assert.equal((await fetch(`${server.url}/api/v1/${route}`, { method })).status, 401, route);
    assert.equal((await fetch(`${server.url}/api/v1/${route}`, { method, headers: { authorization: `Bearer ${metrics}` } })).status, 401, `${route} with a metrics token`);
  }
});
