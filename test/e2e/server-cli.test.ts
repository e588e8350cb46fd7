/**
 * The README's server journey with the compiled CLI in child processes: `nagare up`, a project,
 * `nagare build start --follow`, list/show/logs, parameters and secrets, and the AWS CLI with
 * --endpoint-url (CI installs it; elsewhere that test skips saying so).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { childEnvironment, CLI as cli, initialCredentials, startCliServer, stopCliServer, type CliServer } from '../support/cli-server.js';
import { requirement } from '../support/requirements.js';


let up: CliServer;
let url = '';
let dataDir = '';
let env: NodeJS.ProcessEnv = {};

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-up-'));
  up = await startCliServer('up', dataDir);
  url = up.url;
  const credentials = initialCredentials(dataDir);
  assert.match(up.stderr(), /First start: admin credentials/);
  env = childEnvironment({ NAGARE_SERVER: url, NAGARE_TOKEN: credentials.token, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' });
});

after(() => stopCliServer(up));

function nagare(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env, timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const BUILDSPEC = `version: 0.2
env:
  parameter-store:
    DB_PASSWORD: /ci/db-password
  exported-variables: [GREETING]
phases:
  build:
    commands:
      - echo "building on the server"
      - echo "password $DB_PASSWORD"
      - export GREETING=hello
`;

test('nagare build start --follow streams the log and exits with the build status', () => {
  assert.equal(nagare('parameter', 'put', '/ci/db-password', 'pa55-w0rd-value', '--secure').status, 0);
  const created = nagare('project', 'create', 'server-journey', '--buildspec', BUILDSPEC);
  assert.equal(created.status, 0, created.stderr);
  const started = nagare('build', 'start', 'server-journey', '--follow');
  assert.equal(started.status, 0, started.stderr);
  assert.match(started.stdout, /^building on the server$/m);
  assert.match(started.stdout, /^password \*\*\*$/m, 'the parameter is masked');
  assert.ok(!started.stdout.includes('pa55-w0rd-value'));
  assert.match(started.stdout, /SUCCEEDED/);
});

const asRoot = process.getuid?.() === 0 ? false : 'needs root: nagare up switches shell builds to a build user only as root';

test('finding 6: nagare up as root says builds run as nagare-build, and a build cannot read the data directory, sees no NAGARE_ variable but its trace id and no token', { skip: asRoot }, () => {
  assert.match(up.stderr(), /^Builds: shell builds run as user nagare-build \(uid \d+\)/m);
  const spec = ['version: 0.2', 'phases:', '  build:', '    commands:',
    `      - cat ${dataDir}/secret.key || echo "secret.key refused"`,
    `      - cat ${dataDir}/initial-credentials.json || echo "credentials refused"`,
    '      - env | grep NAGARE_ | grep -v ^NAGARE_TRACE_ID= || echo "no NAGARE_ variables"',
    '      - env',
    '      - echo "user=$(id -un)"', ''].join('\n');
  assert.equal(nagare('project', 'create', 'host-isolation', '--buildspec', spec).status, 0);
  const started = nagare('build', 'start', 'host-isolation', '--follow');
  assert.equal(started.status, 0, started.stderr);
  assert.match(started.stdout, /secret\.key: Permission denied/);
  assert.match(started.stdout, /^credentials refused$/m);
  assert.match(started.stdout, /^no NAGARE_ variables$/m);
  assert.match(started.stdout, /^user=nagare-build$/m);
  const credentials = initialCredentials(dataDir);
  for (const secret of [credentials.token, credentials.secretAccessKey]) assert.ok(!started.stdout.includes(secret), 'a credential reached the build');
});

test('a failing build makes build start --follow exit 1', () => {
  nagare('project', 'create', 'server-fails', '--buildspec', 'version: 0.2\nphases:\n  build:\n    commands: ["false"]\n');
  assert.equal(nagare('build', 'start', 'server-fails', '--follow').status, 1);
});

test('build list, show and logs read what the server kept', () => {
  const listed = nagare('build', 'list', '--project', 'server-journey', '--json');
  assert.equal(listed.status, 0, listed.stderr);
  const builds = JSON.parse(listed.stdout) as { id: string; buildStatus: string; exportedEnvironmentVariables: unknown }[];
  const id = builds[0]?.id ?? '';
  assert.equal(builds[0]?.buildStatus, 'SUCCEEDED');
  assert.deepEqual(builds[0]?.exportedEnvironmentVariables, [{ name: 'GREETING', value: 'hello' }]);
  assert.match(nagare('build', 'show', id).stdout, /^BUILD\s+SUCCEEDED/m);
  const logs = nagare('build', 'logs', id);
  assert.match(logs.stdout, /Entering phase BUILD/);
  assert.ok(!logs.stdout.includes('pa55-w0rd-value'));
});

test('secrets are listed without values', () => {
  assert.equal(nagare('secret', 'put', 'ci/api-key', 'k3y-material-123').status, 0);
  const listed = nagare('secret', 'list', '--json');
  assert.match(listed.stdout, /ci\/api-key/);
  assert.ok(!listed.stdout.includes('k3y-material-123'));
  assert.equal(nagare('secret', 'get', 'ci/api-key').stdout.trim(), 'k3y-material-123');
});

test('client commands without a token are refused with exit 2', () => {
  const result = spawnSync(process.execPath, [cli, 'project', 'list', '--server', url], { encoding: 'utf8', env: { ...env, NAGARE_TOKEN: '', HOME: dataDir, NAGARE_DATA_DIR: dataDir + '-none' } });
  assert.equal(result.status, 2);
  assert.match(result.stderr, /AUTH_MISSING|AUTH_INVALID_TOKEN/);
});

const hasAws = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;

test('the AWS CLI starts a build and reads it back with --endpoint-url', { skip: requirement('the AWS CLI (apt-get install awscli)', hasAws ? undefined : 'aws is not on PATH') }, async () => {
  const aws = (...args: string[]): string => {
    const result = spawnSync('aws', [...args, '--endpoint-url', url, '--output', 'json'], { encoding: 'utf8', env });
    assert.equal(result.status, 0, result.stderr);
    return result.stdout;
  };
  assert.match(aws('codebuild', 'list-projects'), /server-journey/);
  const id = (JSON.parse(aws('codebuild', 'start-build', '--project-name', 'server-journey')) as { build: { id: string } }).build.id;
  let build: { buildStatus: string; buildComplete: boolean; phases: { phaseType: string }[] } | undefined;
  for (let i = 0; i < 100 && !build?.buildComplete; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    build = (JSON.parse(aws('codebuild', 'batch-get-builds', '--ids', id)) as { builds: typeof build[] }).builds[0];
  }
  assert.equal(build?.buildStatus, 'SUCCEEDED');
  assert.equal(build?.phases.at(-1)?.phaseType, 'COMPLETED');
});
