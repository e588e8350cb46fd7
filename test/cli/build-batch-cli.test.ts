/**
 * `nagare build` of batch buildspecs as a user runs it (the compiled CLI in a child process): a
 * matrix of 6 and a graph of 4, one table at the end, the batch's status as the exit status,
 * --json, --validate listing the builds and the debug-session warning.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'dist/cli/main.js');
const skip = existsSync(cli) ? false : 'dist/cli/main.js is missing: run npm run build';

async function project(files: Record<string, string>): Promise<{ dir: string; state: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nagare-batch-cli-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
  return { dir, state: await mkdtemp(path.join(os.tmpdir(), 'nagare-batch-cli-state-')) };
}

function nagare(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const MATRIX = `version: 0.2
batch:
  build-matrix:
    dynamic:
      buildspec: [ci/unit.yml, ci/lint.yml]
      env:
        variables:
          NODE: [18, 20, 22]
`;
const CHILD = 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo "$CODEBUILD_BATCH_BUILD_IDENTIFIER runs on node $NODE"\n';

test('nagare build of a 6-build matrix runs each build and prints one table', { skip }, async () => {
  const { dir, state } = await project({ 'buildspec.yml': MATRIX, 'ci/unit.yml': CHILD, 'ci/lint.yml': CHILD });
  const result = nagare(['build', '-s', dir, '--state-dir', state, '--parallel', '3']);
  assert.equal(result.status, 0, result.stderr + result.stdout);
  assert.match(result.stdout, /^\[build4\] build4 runs on node 18$/m);
  assert.match(result.stdout, /^IDENTIFIER\s+STATUS\s+DURATION\s+DEPENDS ON\s+BUILD$/m);
  for (let i = 1; i <= 6; i += 1) assert.match(result.stdout, new RegExp(`^build${i}\\s+SUCCEEDED\\s+\\d+\\.\\d\\ds\\s+\\S+:[0-9a-f-]{36} \\(#\\d+\\)$`, 'm'));
  assert.match(result.stdout, /^Build batch \S+ SUCCEEDED in /m);
});

test('nagare build of a graph of 4 respects depend-on, and a failed prerequisite fails the batch with exit status 1', { skip }, async () => {
  const graph = `version: 0.2
batch:
  build-graph:
    - identifier: compile
    - identifier: unit_tests
      depend-on: [compile]
    - identifier: lint
      debug-session: true
    - identifier: package
      depend-on: [unit_tests, lint]
phases:
  build:
    commands:
      - test "$CODEBUILD_BATCH_BUILD_IDENTIFIER" != "$BREAK"
`;
  const { dir, state } = await project({ 'buildspec.yml': graph });
  const ok = nagare(['build', '-s', dir, '--state-dir', state, '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  const batch = JSON.parse(ok.stdout) as { buildBatchStatus: string; builds: { identifier: string; status: string; record?: { startTime: string; endTime: string } }[] };
  assert.equal(batch.buildBatchStatus, 'SUCCEEDED');
  const at = new Map(batch.builds.map((build) => [build.identifier, build.record]));
  assert.ok(Date.parse(at.get('package')?.startTime ?? '') >= Date.parse(at.get('unit_tests')?.endTime ?? ''));
  assert.ok(Date.parse(at.get('unit_tests')?.startTime ?? '') >= Date.parse(at.get('compile')?.endTime ?? ''));
  assert.match(ok.stderr, /warning: `batch\.build-graph\[2\]\.debug-session` is ignored/);

  const broken = nagare(['build', '-s', dir, '--state-dir', state, '--env-var', 'BREAK=compile']);
  assert.equal(broken.status, 1);
  assert.match(broken.stdout, /^compile\s+FAILED/m);
  assert.match(broken.stdout, /^unit_tests\s+STOPPED\s+compile\s*$/m);
  assert.match(broken.stdout, /^package\s+STOPPED\s+unit_tests,lint\s*$/m);
  assert.match(broken.stdout, /^Build batch \S+ FAILED in /m);
});

test('nagare build --validate of a batch lists its builds; a missing entry buildspec is an error before anything runs', { skip }, async () => {
  const { dir, state } = await project({ 'buildspec.yml': MATRIX, 'ci/unit.yml': CHILD });
  const result = nagare(['build', '-s', dir, '--state-dir', state, '--validate']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /BUILD_BUILDSPEC_NOT_FOUND|ci\/lint\.yml/);
  await writeFile(path.join(dir, 'ci/lint.yml'), CHILD);
  const valid = nagare(['build', '-s', dir, '--state-dir', state, '--validate']);
  assert.equal(valid.status, 0, valid.stderr);
  assert.match(valid.stderr, /Batch of 6 builds: build1, build2, build3, build4, build5, build6/);
});
