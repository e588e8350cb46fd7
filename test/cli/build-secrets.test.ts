/**
 * Issue 7, findings 9 and 11 through the compiled `nagare build --json`, with the shell executor
 * and in a Docker container: a secret written into a JUnit report, an exported variable, an
 * artifact name and across the 64 KiB partial-line flush appears nowhere in the log or the record;
 * a build printing far more than its log limit keeps about the limit, says so once and succeeds.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { compileAgentConfig } from '../../src/config/agent-config.js';
import { compileServerConfig } from '../../src/config/server-config.js';
import { CLI, childEnvironment } from '../support/cli-server.js';
import { runProcess } from '../support/processes.js';
import { LEAKING_BUILDSPEC } from '../support/leaking-buildspec.js';
import { requirement } from '../support/requirements.js';

const IMAGE = 'nagare/base:test';
const built = existsSync(CLI) ? false : 'dist/cli/main.js is missing: run npm run build';

function dockerMissing(): string | false {
  const image = spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' });
  const missing = !existsSync('/var/run/docker.sock') ? 'no Docker engine at /var/run/docker.sock (CI starts dockerd)'
    : image.status !== 0 ? `image ${IMAGE} is missing (bash scripts/build-base-image.sh)` : undefined;
  return requirement(`a Docker engine and ${IMAGE}`, missing);
}

const EXECUTORS: readonly [string, readonly string[], string | false][] = [
  ['shell', [], built],
  ['docker', ['--image', IMAGE], built || dockerMissing()],
];

const SECRET = 's3cr3t-Value-0f-th3-Build';


async function localBuild(buildspec: string, extra: readonly string[], parameters: Record<string, string> = {}): Promise<{ status: number | null; record: Record<string, unknown>; stdout: string; log: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nagare-secrets-'));
  await writeFile(path.join(dir, 'buildspec.yml'), buildspec);
  await writeFile(path.join(dir, 'parameters.json'), JSON.stringify(parameters));
  const run = await runProcess(process.execPath, [CLI, 'build', '-s', dir, '--parameters', path.join(dir, 'parameters.json'), '--state-dir', path.join(dir, '.state'), '--json', ...extra], { env: childEnvironment() });
  return { status: run.status, record: JSON.parse(run.stdout) as Record<string, unknown>, stdout: run.stdout, log: run.stderr };
}

for (const [executor, flags, skip] of EXECUTORS) {
  test(`finding 9: a secret in a report, an exported variable, an artifact name and across the 64 KiB flush never leaves a local build (${executor})`, { skip }, async () => {
    const { record, stdout, log } = await localBuild(LEAKING_BUILDSPEC, flags, { 'ci/token': SECRET });
    assert.equal(record.buildStatus, 'SUCCEEDED', log);
    assert.ok(!log.includes(SECRET), 'the log holds no secret');
    assert.ok(!stdout.includes(SECRET), 'the --json record holds no secret');
    assert.ok(!log.includes(SECRET.slice(0, 10)) && !log.includes(SECRET.slice(-10)), 'nor a piece of one cut at the flush');
    assert.deepEqual(record.exportedEnvironmentVariables, [{ name: 'LEAKED', value: '***' }]);
    const report = (record.reports as { name: string; testCases: { name: string; prefix: string; message: string }[] }[])[0];
    assert.equal(report?.name, 'unit-***');
    assert.equal(report.testCases[0]?.name, 'test-***');
    assert.match(report.testCases[0]?.message ?? '', /\*\*\*/);
    assert.match((record.artifacts as { location: string }).location, /art-\*\*\*\.zip$/);
    assert.match(log, /a{1000}/, 'the output around the secret is kept');
  });

  test(`finding 11: a build printing far past --max-log-mib keeps about that much, says so once and succeeds (${executor})`, { skip }, async () => {
    const buildspec = `version: 0.2
phases:
  build:
    commands:
      - yes | head -c 50000000
      - echo after-the-flood
`;
    const { status, record, log } = await localBuild(buildspec, [...flags, '--max-log-mib', '1']);
    assert.equal(status, 0);
    assert.equal(record.buildStatus, 'SUCCEEDED');
    const bytes = Buffer.byteLength(log);
    assert.ok(bytes > 900 * 1024 && bytes < 1024 * 1024 + 64 * 1024, `${bytes} bytes of log`);
    assert.equal(log.split("[nagare] log truncated: the build's log passed 1 MiB; later output is not kept").length - 1, 1);
    assert.doesNotMatch(log, /^after-the-flood$/m, 'output after the limit is dropped');
    assert.match(log, /Phase complete: BUILD State: SUCCEEDED/);
  });
}

test('finding 11: --max-log-mib takes whole MiB from 1 on build, server and agent; anything else is CONFIG_INVALID', { skip: built }, async () => {
  const run = await runProcess(process.execPath, [CLI, 'build', '--max-log-mib', '0.5', '-b', 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n'], { env: childEnvironment() });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /CONFIG_INVALID.*--max-log-mib must be a whole number of MiB from 1, not '0.5'/);
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(compileServerConfig({ maxLogMib: '2' }, {}).maxLogBytes, 2 * 1024 * 1024);
  assert.equal(compileServerConfig({}, {}).maxLogBytes, 256 * 1024 * 1024);
  assert.equal(compileAgentConfig({ server: 'http://x', token: 't' }, { NAGARE_MAX_LOG_MIB: '3' }).logLimitBytes, 3 * 1024 * 1024);
  assert.throws(() => compileAgentConfig({ server: 'http://x', token: 't', maxLogMib: 'lots' }, {}), /--max-log-mib/);
});
