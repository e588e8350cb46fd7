/**
 * `nagare build` as a user runs it: the compiled CLI in a child process (`npm test` builds dist/
 * first). Exit codes, --json on stdout only, --validate, errors with file:line:column, --help.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, 'dist/cli/main.js');
const built = existsSync(cli);

async function project(buildspec: string): Promise<{ dir: string; state: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nagare-cli-'));
  await writeFile(path.join(dir, 'buildspec.yml'), buildspec);
  return { dir, state: await mkdtemp(path.join(os.tmpdir(), 'nagare-cli-state-')) };
}

function nagare(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const skip = built ? false : 'dist/cli/main.js is missing: run npm run build';

test('nagare build exits 0 on SUCCEEDED and prints the log and a phase table', { skip }, async () => {
  const { dir, state } = await project('version: 0.2\nphases:\n  build:\n    commands: [echo hello from the build]\n');
  const result = nagare(['build', '-s', dir, '--state-dir', state]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /Entering phase BUILD/);
  assert.match(result.stdout, /^hello from the build$/m);
  assert.match(result.stdout, /^PHASE\s+STATUS\s+DURATION$/m);
  assert.match(result.stdout, /^BUILD\s+SUCCEEDED\s+\d+\.\d\ds$/m);
  assert.ok(!result.stdout.includes('\u001b['), 'NO_COLOR: no escape codes');
});

test('nagare build exits 1 on FAILED', { skip }, async () => {
  const { dir, state } = await project('version: 0.2\nphases:\n  build:\n    commands: ["false"]\n');
  assert.equal(nagare(['build', '-s', dir, '--state-dir', state]).status, 1);
});

test('nagare build --json prints only the build record on stdout and the log on stderr', { skip }, async () => {
  const { dir, state } = await project('version: 0.2\nenv:\n  exported-variables: [OUT]\nphases:\n  build:\n    commands: [echo to-the-log, export OUT=value]\n');
  const result = nagare(['build', '-s', dir, '--state-dir', state, '--json', '--project-name', 'json-test']);
  assert.equal(result.status, 0);
  const record = JSON.parse(result.stdout) as Record<string, unknown>;
  assert.equal(record.buildStatus, 'SUCCEEDED');
  assert.match(String(record.id), /^json-test:/);
  assert.equal(record.buildNumber, 1);
  assert.deepEqual(record.exportedEnvironmentVariables, [{ name: 'OUT', value: 'value' }]);
  assert.ok(Array.isArray(record.phases));
  for (const key of ['phaseType', 'phaseStatus', 'startTime', 'endTime', 'durationInSeconds']) {
    assert.ok(key in ((record.phases as Record<string, unknown>[])[4] ?? {}), `phases[] have ${key}`);
  }
  assert.match(result.stderr, /to-the-log/);
  assert.doesNotMatch(result.stdout, /to-the-log/);
});

test('nagare build --validate reports an invalid buildspec with file, line and column and exits 2', { skip }, async () => {
  const { dir } = await project('version: 0.2\nphases:\n  biuld:\n    commands: [echo]\n');
  const result = nagare(['build', '-s', dir, '--validate']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /buildspec\.yml:3:3: SPEC_INVALID_PHASE/);
  assert.doesNotMatch(result.stderr, /at .*\.js:\d+/, 'no stack trace for bad input');
});

test('nagare build --validate --json gives the errors as JSON', { skip }, async () => {
  const { dir } = await project('version: 0.2\nphases:\n  build:\n    commands: [echo]\n    on-failure: KEEP_GOING\n');
  const result = nagare(['build', '-s', dir, '--validate', '--json']);
  assert.equal(result.status, 2);
  const body = JSON.parse(result.stderr) as { error: { code: string; line: number } };
  assert.equal(body.error.code, 'SPEC_INVALID_ON_FAILURE');
  assert.equal(body.error.line, 5);
});

test('nagare build --validate exits 0 for a valid buildspec and runs nothing', { skip }, async () => {
  const { dir } = await project('version: 0.2\nphases:\n  build:\n    commands: [touch ran]\n');
  const result = nagare(['build', '-s', dir, '--validate']);
  assert.equal(result.status, 0);
  assert.match(result.stdout, /valid/);
  assert.equal(existsSync(path.join(dir, 'ran')), false);
});

test('a missing source directory is a clear error with exit 2', { skip }, () => {
  const result = nagare(['build', '-s', '/nonexistent/dir/for/nagare']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /BUILD_(SOURCE|BUILDSPEC)_NOT_FOUND/);
});

test('an env file sets variables and may not set CODEBUILD_ names', { skip }, async () => {
  const { dir, state } = await project('version: 0.2\nphases:\n  build:\n    commands: [\'echo "[$FROM_FILE]"\']\n');
  const good = path.join(dir, 'vars.env');
  await writeFile(good, '# comment\n\nFROM_FILE="quoted stays"\n');
  const result = nagare(['build', '-s', dir, '--state-dir', state, '-e', good]);
  assert.match(result.stdout, /^\["quoted stays"\]$/m);
  const bad = path.join(dir, 'bad.env');
  await writeFile(bad, 'CODEBUILD_BUILD_ID=x\n');
  const refused = nagare(['build', '-s', dir, '--state-dir', state, '-e', bad]);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /CONFIG_INVALID .*reserved/);
});

test('an inline buildspec given with -b runs', { skip }, async () => {
  const { dir, state } = await project('version: 0.2\nphases:\n  build:\n    commands: [echo from-file]\n');
  const result = nagare(['build', '-s', dir, '--state-dir', state, '-b', 'version: 0.2\nphases:\n  build:\n    commands: [echo from-inline]\n']);
  assert.match(result.stdout, /^from-inline$/m);
});

test('nagare --help and nagare build --help describe the flags', { skip }, () => {
  const top = nagare(['--help']);
  assert.equal(top.status, 0);
  assert.match(top.stdout, /build/);
  const build = nagare(['build', '--help']);
  assert.equal(build.status, 0);
  for (const flag of ['--source', '--buildspec', '--artifacts', '--reports', '--env-file', '--parameters', '--image', '--project-name', '--timeout', '--json', '--validate']) {
    assert.match(build.stdout, new RegExp(flag));
  }
});

test('an unknown flag is a usage error with exit 2', { skip }, () => {
  const result = nagare(['build', '--no-such-flag']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /unknown option/);
});

test('nagare build --cache-limit skips a larger cache save with a warning and the build still succeeds', { skip }, async () => {
  const { dir, state } = await project('version: 0.2\nphases:\n  build:\n    commands: ["mkdir -p deps && head -c 50000 /dev/zero > deps/big"]\ncache:\n  paths: [deps]\n');
  const result = nagare(['build', '-s', dir, '--state-dir', state, '--cache-limit', '10K']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /Warning: unable to save the cache: the cache is larger than the limit/);
  const bad = nagare(['build', '-s', dir, '--state-dir', state, '--cache-limit', 'lots']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--cache-limit must be a size such as 500M or 5G, not 'lots'/);
});
