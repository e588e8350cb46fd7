/**
 * Reference §1.4 and §1.8 and decision 10: variables, their precedence, parameters and secrets with
 * masking, exported variables and the CODEBUILD_* variables, through the real runner.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { makeSource, outputLines, phaseStatuses, runBuildspec } from './run-buildspec.js';

test('variable values are literal: $HOME in a buildspec value is not expanded', async () => {
  const { log } = await runBuildspec(`version: 0.2
env:
  variables:
    LITERAL: "$HOME/x"
phases:
  build: { commands: ['printf "%s\\n" "$LITERAL"'] }
`);
  assert.deepEqual(outputLines(log), ['$HOME/x']);
});

test('flags and the env file override buildspec variables', async () => {
  const { log } = await runBuildspec(`version: 0.2
env:
  variables: { STAGE: buildspec, KEEP: buildspec }
phases:
  build: { commands: ['echo "$STAGE $KEEP"'] }
`, { overrides: { STAGE: 'override' } });
  assert.deepEqual(outputLines(log), ['override buildspec']);
});

test('CODEBUILD_ variables cannot be overridden', async () => {
  const { log } = await runBuildspec(`version: 0.2
phases:
  build: { commands: ['echo "$CODEBUILD_BUILD_NUMBER"'] }
`, { overrides: { CODEBUILD_BUILD_NUMBER: '999' } });
  assert.deepEqual(outputLines(log), ['1']);
});

test('parameter-store values come from the parameters file and are masked in the log', async () => {
  const { log, record } = await runBuildspec(`version: 0.2
env:
  parameter-store:
    DB_PASSWORD: /prod/db/password
phases:
  build: { commands: ['echo "password is $DB_PASSWORD"', 'test "$DB_PASSWORD" = "s3cr3t-value"'] }
`, { parameters: { '/prod/db/password': 's3cr3t-value' } });
  assert.equal(record.buildStatus, 'SUCCEEDED');
  assert.deepEqual(outputLines(log), ['password is ***']);
  assert.ok(!log.includes('s3cr3t-value'));
});

test('secrets-manager secret-id:json-key reads one key of a JSON secret, masked', async () => {
  const { log, record } = await runBuildspec(`version: 0.2
env:
  secrets-manager:
    TOKEN: "ci/credentials:token"
    WHOLE: "ci/plain"
phases:
  build: { commands: ['echo "$TOKEN $WHOLE"', 'test "$TOKEN" = "tok-123456"'] }
`, { parameters: { 'ci/credentials': { token: 'tok-123456', user: 'bot' }, 'ci/plain': 'plain-secret-value' } });
  assert.equal(record.buildStatus, 'SUCCEEDED');
  assert.deepEqual(outputLines(log), ['*** ***']);
});

test('a secret printed in pieces across output chunks is still masked', async () => {
  const { log } = await runBuildspec(`version: 0.2
env:
  parameter-store: { KEY: key }
phases:
  build: { commands: ['printf "%s" "$(echo "$KEY" | cut -c1-4)"; sleep 0.2; printf "%s\\n" "$(echo "$KEY" | cut -c5-)"'] }
`, { parameters: { key: 'abcdefgh12345' } });
  assert.ok(!log.includes('abcdefgh12345'));
  assert.deepEqual(outputLines(log), ['***']);
});

test('a missing parameter fails the build in DOWNLOAD_SOURCE naming it', async () => {
  const { record, log } = await runBuildspec(`version: 0.2
env:
  parameter-store: { DB: /missing/param }
phases:
  build: { commands: [echo never] }
`);
  assert.equal(phaseStatuses(record).DOWNLOAD_SOURCE, 'FAILED');
  assert.equal(phaseStatuses(record).BUILD, undefined);
  const context = record.phases.find((p) => p.phaseType === 'DOWNLOAD_SOURCE')?.contexts?.[0];
  assert.match(context?.message ?? '', /\/missing\/param/);
  assert.deepEqual(outputLines(log), []);
});

test('exported-variables appear in the result with their value at the end of the last phase that ran, finally included', async () => {
  const { record } = await runBuildspec(`version: 0.2
env:
  variables: { FROM_BUILDSPEC: initial }
  exported-variables: [VERSION, FROM_BUILDSPEC, NEVER_SET]
phases:
  build:
    commands: [export VERSION=1.2.3]
    finally: [export FROM_BUILDSPEC=changed-in-finally]
`);
  assert.deepEqual(record.exportedEnvironmentVariables, [
    { name: 'VERSION', value: '1.2.3' },
    { name: 'FROM_BUILDSPEC', value: 'changed-in-finally' },
    { name: 'NEVER_SET', value: '' },
  ]);
});

test('an exported variable holding a secret is masked in the result', async () => {
  const { record } = await runBuildspec(`version: 0.2
env:
  parameter-store: { SECRET: s }
  exported-variables: [LEAK]
phases:
  build: { commands: ['export LEAK="$SECRET"'] }
`, { parameters: { s: 'very-secret-thing' } });
  assert.deepEqual(record.exportedEnvironmentVariables, [{ name: 'LEAK', value: '***' }]);
});

test('CODEBUILD_BUILD_ID is <project>:<uuid> and the ARN carries it', async () => {
  const { log, record } = await runBuildspec(`version: 0.2
phases:
  build: { commands: ['echo "$CODEBUILD_BUILD_ID"', 'echo "$CODEBUILD_BUILD_ARN"', 'echo "$CODEBUILD_INITIATOR"', 'echo "$CODEBUILD_START_TIME"', 'echo "$AWS_REGION"'] }
`, { projectName: 'my-app' });
  const [id, arn, initiator, start, region] = outputLines(log);
  assert.match(id ?? '', /^my-app:[0-9a-f-]{36}$/);
  assert.equal(record.id, id);
  assert.equal(arn, `arn:aws:codebuild:us-east-1:000000000000:build/${id}`);
  assert.equal(initiator, 'tester');
  assert.equal(String(Date.parse(record.startTime)), start);
  assert.equal(region, 'us-east-1');
});

test('CODEBUILD_BUILD_URL of a local build is the file URL of its log, which holds the whole log', async () => {
  const { log, stateDir } = await runBuildspec(`version: 0.2
phases:
  build: { commands: ['echo "$CODEBUILD_BUILD_URL"'] }
`, { projectName: 'logged' });
  const [url] = outputLines(log);
  assert.equal(url, pathToFileURL(path.join(stateDir, 'logs', 'logged', '1.log')).href);
  assert.equal(await readFile(fileURLToPath(url ?? ''), 'utf8'), log);
});

test('CODEBUILD_BUILD_NUMBER counts up per project in the state directory', async () => {
  const first = await runBuildspec('version: 0.2\nphases:\n  build: { commands: [\'echo "$CODEBUILD_BUILD_NUMBER"\'] }\n', { projectName: 'counted' });
  const second = await runBuildspec('version: 0.2\nphases:\n  build: { commands: [\'echo "$CODEBUILD_BUILD_NUMBER"\'] }\n', { projectName: 'counted', stateDir: first.stateDir });
  const other = await runBuildspec('version: 0.2\nphases:\n  build: { commands: [\'echo "$CODEBUILD_BUILD_NUMBER"\'] }\n', { projectName: 'other', stateDir: first.stateDir });
  assert.deepEqual([outputLines(first.log), outputLines(second.log), outputLines(other.log)], [['1'], ['2'], ['1']]);
  assert.equal(second.record.buildNumber, 2);
});

test('CODEBUILD_RESOLVED_SOURCE_VERSION is HEAD when the source is a git work tree, and unset otherwise', async () => {
  const dir = await makeSource({ 'a.txt': 'a' });
  const git = (...args: string[]): string => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
  git('init', '-q');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'first');
  const head = git('rev-parse', 'HEAD');
  const spec = 'version: 0.2\nphases:\n  build: { commands: [\'echo "[${CODEBUILD_RESOLVED_SOURCE_VERSION-unset}]"\'] }\n';
  const inGit = await runBuildspec(spec, { sourceDir: dir });
  assert.deepEqual(outputLines(inGit.log), [`[${head}]`]);
  assert.equal(inGit.record.resolvedSourceVersion, head);
  // A source that is a folder inside a work tree (no .git of its own) is in git too.
  await mkdir(path.join(dir, 'service'));
  const inFolder = await runBuildspec(spec, { sourceDir: path.join(dir, 'service') });
  assert.deepEqual(outputLines(inFolder.log), [`[${head}]`]);
  const plain = await runBuildspec(spec);
  assert.deepEqual(outputLines(plain.log), ['[unset]']);
});

test('nagare build runs in a fresh copy of the source with .git, so the tree is unchanged and a second run starts from the same state', async () => {
  const sourceDir = await makeSource({ 'counter.txt': '1\n', 'src/app.js': 'x' });
  execFileSync('git', ['init', '--quiet'], { cwd: sourceDir });
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '--quiet', '--allow-empty', '-m', 'init'], { cwd: sourceDir });
  const yaml = `version: 0.2
phases:
  build:
    commands:
      - echo 2 >> counter.txt
      - 'echo "$(wc -l < counter.txt) $(git rev-parse --is-inside-work-tree) $(pwd)"'
      - rm -r src
`;
  const first = await runBuildspec(yaml, { sourceDir, inPlace: false });
  const second = await runBuildspec(yaml, { sourceDir, inPlace: false, stateDir: first.stateDir });
  const [firstLine, secondLine] = [outputLines(first.log)[0] ?? '', outputLines(second.log)[0] ?? ''];
  assert.match(firstLine, /^2 true \//);
  assert.equal(secondLine.split(' ').slice(0, 2).join(' '), '2 true');
  assert.ok(!firstLine.endsWith(sourceDir), 'the build ran somewhere else than the source directory');
  assert.equal(await readFile(path.join(sourceDir, 'counter.txt'), 'utf8'), '1\n');
  assert.equal(await readFile(path.join(sourceDir, 'src', 'app.js'), 'utf8'), 'x');
  assert.deepEqual(await readdir(path.join(first.stateDir, 'sources')), [], 'the copies are removed');
});

test('nagare build --in-place builds in the source directory itself', async () => {
  const sourceDir = await makeSource({ 'counter.txt': '1\n' });
  const { record } = await runBuildspec('version: 0.2\nphases:\n  build: { commands: [echo 2 >> counter.txt] }\n', { sourceDir, inPlace: true });
  assert.equal(record.buildStatus, 'SUCCEEDED');
  assert.equal(await readFile(path.join(sourceDir, 'counter.txt'), 'utf8'), '1\n2\n');
});
