/**
 * The AWS CLI (`aws codebuild … --endpoint-url`) against a real nagare server, with credentials in
 * the environment only. Skipped where `aws` is not on PATH; CI installs it (`apt-get install awscli`).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { requirement } from '../../support/requirements.js';
import type { TestServer } from '../../support/test-server.js';
import { projectInput, useCodeBuildServer } from './codebuild-server.js';

const run = promisify(execFile);

async function missingCli(): Promise<string | undefined> {
  try {
    await run('aws', ['--version'], { timeout: 30_000 });
    return undefined;
  } catch {
    return 'the AWS CLI (`aws`) is not on PATH; install it with apt-get install awscli';
  }
}

const skip = requirement('the AWS CLI', await missingCli());
const api = useCodeBuildServer();

/** Runs `aws codebuild <args>` against the server; resolves with exit code, parsed stdout and stderr. */
async function awsCodeBuild(server: TestServer, args: readonly string[]): Promise<{ code: number; output: Record<string, unknown>; stderr: string }> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    AWS_ACCESS_KEY_ID: server.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_REGION: 'us-east-1',
    // Nothing from the machine's own AWS setup may leak into the test.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
  try {
    const { stdout, stderr } = await run('aws', ['codebuild', ...args, '--endpoint-url', server.url, '--output', 'json'], { env, timeout: 60_000 });
    return { code: 0, output: stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>), stderr };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: failed.code ?? -1, output: {}, stderr: failed.stderr ?? '' };
  }
}

test('aws codebuild create-project, list-projects and start-build work with --endpoint-url and env credentials', { skip }, async () => {
  const { server } = api();
  const created = await awsCodeBuild(server, ['create-project', '--cli-input-json', JSON.stringify(projectInput('from-the-cli'))]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal((created.output.project as { name?: string }).name, 'from-the-cli');

  const listed = await awsCodeBuild(server, ['list-projects']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(listed.output.projects, ['from-the-cli']);

  const started = await awsCodeBuild(server, ['start-build', '--project-name', 'from-the-cli', '--environment-variables-override', 'name=STAGE,value=cli,type=PLAINTEXT']);
  assert.equal(started.code, 0, started.stderr);
  const build = started.output.build as { buildNumber?: number; currentPhase?: string; id?: string };
  assert.equal(build.buildNumber, 1);
  assert.equal(build.currentPhase, 'QUEUED');

  const fetched = await awsCodeBuild(server, ['batch-get-builds', '--ids', build.id ?? '']);
  assert.equal(fetched.code, 0, fetched.stderr);
  assert.deepEqual((fetched.output.builds as { id?: string }[]).map((b) => b.id), [build.id]);
});

test('aws codebuild reports ResourceNotFoundException for an unknown project and exits non-zero', { skip }, async () => {
  const result = await awsCodeBuild(api().server, ['delete-project', '--name', 'not-there']);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /ResourceNotFoundException/);
  assert.match(result.stderr, /not-there/);
});
