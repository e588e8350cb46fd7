/**
 * The AWS CLI (`aws deploy … --endpoint-url`) against a real nagare server, as the DevOps
 * Essentials workshop drives CodeDeploy. Skipped where `aws` is not on PATH.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { requirement } from '../../support/requirements.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';

const run = promisify(execFile);

async function missingCli(): Promise<string | undefined> {
  try {
    await run('aws', ['--version'], { timeout: 30_000 });
    return undefined;
  } catch {
    return 'the AWS CLI (`aws`) is not on PATH; install awscli';
  }
}

const skip = requirement('the AWS CLI', await missingCli());
let server: TestServer;
before(async () => {
  server = await startTestServer({ schedulerIntervalMs: 60_000 });
});
after(() => server.stop());

async function awsDeploy(args: readonly string[]): Promise<{ code: number; output: Record<string, unknown>; stderr: string }> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    AWS_ACCESS_KEY_ID: server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
  try {
    const { stdout, stderr } = await run('aws', ['deploy', ...args, '--endpoint-url', server.url, '--output', 'json'], { env, timeout: 60_000 });
    return { code: 0, output: stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>), stderr };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: failed.code ?? -1, output: {}, stderr: failed.stderr ?? '' };
  }
}

test('aws deploy create-application and create-deployment-group as in the workshop, then get-deployment-group', { skip }, async () => {
  const app = await awsDeploy(['create-application', '--application-name', 'WordPress_App']);
  assert.equal(app.code, 0, app.stderr);
  assert.ok(app.output.applicationId);
  const group = await awsDeploy([
    'create-deployment-group',
    '--application-name', 'WordPress_App',
    '--deployment-group-name', 'WordPress_DepGroup',
    '--deployment-config-name', 'CodeDeployDefault.OneAtATime',
    '--ec2-tag-filters', 'Key=Name,Value=DevWebApp01,Type=KEY_AND_VALUE',
    '--service-role-arn', 'arn:aws:iam::000000000000:role/CodeDeployRole',
  ]);
  assert.equal(group.code, 0, group.stderr);
  const got = await awsDeploy(['get-deployment-group', '--application-name', 'WordPress_App', '--deployment-group-name', 'WordPress_DepGroup']);
  assert.equal(got.code, 0, got.stderr);
  assert.deepEqual((got.output.deploymentGroupInfo as { ec2TagFilters: unknown }).ec2TagFilters, [{ Key: 'Name', Value: 'DevWebApp01', Type: 'KEY_AND_VALUE' }]);
});

test('aws deploy register-on-premises-instance, add-tags-to-on-premises-instances and list-on-premises-instances', { skip }, async () => {
  const registered = await awsDeploy(['register-on-premises-instance', '--instance-name', 'cli-host', '--iam-session-arn', 'arn:aws:sts::000000000000:assumed-role/r/s']);
  assert.equal(registered.code, 0, registered.stderr);
  const tagged = await awsDeploy(['add-tags-to-on-premises-instances', '--instance-names', 'cli-host', '--tags', 'Key=env,Value=cli']);
  assert.equal(tagged.code, 0, tagged.stderr);
  const listed = await awsDeploy(['list-on-premises-instances', '--tag-filters', 'Key=env,Value=cli,Type=KEY_AND_VALUE']);
  assert.deepEqual(listed.output.instanceNames, ['cli-host']);
});

test('aws deploy get-application of an unknown application exits non-zero naming ApplicationDoesNotExistException', { skip }, async () => {
  const missing = await awsDeploy(['get-application', '--application-name', 'nope']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /ApplicationDoesNotExistException/);
});
