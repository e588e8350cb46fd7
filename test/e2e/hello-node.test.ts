/**
 * The README's main job: examples/hello-node built by the compiled `nagare build`, once with the
 * shell executor and once in a Docker container (CI provides the engine and nagare/base:test).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readZip } from '../build/temp-tree.js';
import { requirement } from '../support/requirements.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'dist/cli/main.js');

function dockerSkipReason(): string | false {
  const image = spawnSync('docker', ['image', 'inspect', 'nagare/base:test'], { stdio: 'ignore' });
  const missing = !existsSync('/var/run/docker.sock') ? 'no Docker engine at /var/run/docker.sock (CI starts dockerd)'
    : image.status !== 0 ? 'image nagare/base:test is missing (bash scripts/build-base-image.sh)' : undefined;
  return requirement('a Docker engine and nagare/base:test', missing);
}

async function zipEntries(file: string): Promise<string[]> {
  return (await readZip(file)).map((entry) => entry.name).sort();
}

function withoutTestContext(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_TEST_CONTEXT: _ignored, ...rest } = env;
  return rest;
}

interface BuildOutput {
  readonly status: number | null;
  readonly record: Record<string, unknown>;
  readonly log: string;
}

async function buildHelloNode(extra: string[]): Promise<BuildOutput & { artifacts: string; reports: string }> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'nagare-hello-'));
  const source = path.join(work, 'hello-node');
  cpSync(path.join(root, 'examples/hello-node'), source, { recursive: true, filter: (src) => !/node_modules|\/dist|\/reports/.test(src.slice(root.length)) });
  const artifacts = path.join(work, 'artifacts');
  const reports = path.join(work, 'reports');
  const result = spawnSync(process.execPath, [cli, 'build', '-s', source, '-a', artifacts, '-r', reports, '--state-dir', path.join(work, 'state'), '--json', ...extra], {
    encoding: 'utf8',
    timeout: 180_000,
    // NODE_TEST_CONTEXT would make the app's own `node --test` report to this test runner.
    env: { ...withoutTestContext(process.env), NO_COLOR: '1' },
  });
  return { status: result.status, record: JSON.parse(result.stdout) as Record<string, unknown>, log: result.stderr, artifacts, reports };
}

async function assertHelloNodeBuilt(output: Awaited<ReturnType<typeof buildHelloNode>>): Promise<void> {
  assert.equal(output.status, 0, output.log);
  assert.equal(output.record.buildStatus, 'SUCCEEDED');
  assert.match(output.log, /greets by name/, 'the app\'s tests ran');
  const reports = output.record.reports as { name: string; status: string; summary: { total: number } }[];
  assert.equal(reports[0]?.name, 'unit-tests');
  assert.equal(reports[0]?.summary.total, 2);
  assert.ok(existsSync(path.join(output.reports, 'unit-tests')), 'raw report copied to the -r directory');
  const artifact = output.record.artifacts as { location: string };
  assert.equal(path.basename(artifact.location), 'hello-node-1.0.1.zip');
  assert.deepEqual(await zipEntries(artifact.location), ['VERSION', 'package.json', 'src/greet.js', 'src/server.js']);
  assert.deepEqual(output.record.exportedEnvironmentVariables, [{ name: 'APP_VERSION', value: '1.0.1' }]);
}

test('examples/hello-node builds with the shell executor: tests, JUnit report, artifact zip', async () => {
  await assertHelloNodeBuilt(await buildHelloNode([]));
});

test('examples/hello-node builds in a Docker container with the same result', { skip: dockerSkipReason() }, async () => {
  const output = await buildHelloNode(['--image', 'nagare/base:test']);
  await assertHelloNodeBuilt(output);
  assert.match(output.log, /image nagare\/base:test/);
});

test('Ctrl-C stops the build: STOPPED, exit 130, and no process of the build is left', async () => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'nagare-sigint-'));
  const spec = 'version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 876599 & echo started; sleep 876598\n  post_build:\n    commands: [echo never]\n';
  const child = spawn(process.execPath, [cli, 'build', '-s', work, '-b', spec, '--state-dir', work, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('started\n')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the build ended (${code}) before its command started:\n${stderr}`)));
  });
  child.kill('SIGINT');
  const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(status, 130);
  const record = JSON.parse(stdout) as { buildStatus: string };
  assert.equal(record.buildStatus, 'STOPPED');
  assert.doesNotMatch(stderr, /^never$/m);
  const leftovers = spawnSync('pgrep', ['-f', 'sleep 87659'], { encoding: 'utf8' }).stdout.trim();
  assert.equal(leftovers, '', 'no orphan processes');
  rmSync(work, { recursive: true, force: true });
});

test('the compiled CLI reads its own package files (helpers are in dist/)', () => {
  assert.ok(readFileSync(path.join(root, 'dist/cli/helpers/codebuild-hash-files'), 'utf8').startsWith('#!'));
});
