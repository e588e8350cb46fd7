/**
 * Decisions 3–6 through the real runner: timeouts and stops kill the whole process tree, reports are
 * collected for failed builds too, the cache is restored before install and saved only after a
 * successful BUILD, and artifacts that match nothing fail UPLOAD_ARTIFACTS.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { processesWith } from '../support/processes.js';
import { outputLines, phaseStatuses, runBuildspec } from './run-buildspec.js';

test('a timeout kills the whole process tree, marks the phase and the build TIMED_OUT and still runs FINALIZING', async () => {
  const { record, log } = await runBuildspec(`version: 0.2
phases:
  build:
    commands:
      - (sleep 876501 &) ; sleep 876502 & sleep 876503
  post_build: { commands: [echo never] }
artifacts: { files: ['**/*'] }
`, { timeoutInMinutes: 0.02, files: { 'a.txt': 'a' } });
  assert.equal(record.buildStatus, 'TIMED_OUT');
  assert.equal(phaseStatuses(record).BUILD, 'TIMED_OUT');
  assert.equal(phaseStatuses(record).POST_BUILD, undefined);
  assert.equal(phaseStatuses(record).UPLOAD_ARTIFACTS, undefined);
  assert.equal(phaseStatuses(record).FINALIZING, 'SUCCEEDED');
  assert.equal(record.artifacts, undefined);
  assert.deepEqual(processesWith('87650'), [], 'no process of the build survives');
  assert.ok(!outputLines(log).includes('never'));
  assert.match(record.phases.find((p) => p.phaseType === 'BUILD')?.contexts?.[0]?.statusCode ?? '', /BUILD_TIMED_OUT/);
});

test('a stop ends the build STOPPED with no further phase and no orphan process', async () => {
  const controller = new AbortController();
  const result = runBuildspec(`version: 0.2
phases:
  install:
    commands:
      - nohup sleep 876511 >/dev/null 2>&1 &
      - echo started; sleep 876512
  build: { commands: [echo never] }
`, { signal: controller.signal, onLog: (text) => { if (text.includes('started')) controller.abort(); } });
  const { record, log } = await result;
  assert.equal(record.buildStatus, 'STOPPED');
  assert.equal(phaseStatuses(record).INSTALL, 'STOPPED');
  assert.equal(phaseStatuses(record).BUILD, undefined);
  assert.ok(!outputLines(log).includes('never'));
  assert.deepEqual(processesWith('87651'), []);
});

test('background processes left by a successful build are killed when it ends', async () => {
  const { record } = await runBuildspec(`version: 0.2
phases:
  build: { commands: ['sleep 876521 &', 'echo done'] }
`);
  assert.equal(record.buildStatus, 'SUCCEEDED');
  assert.deepEqual(processesWith('876521'), []);
});

test('artifacts that match nothing fail UPLOAD_ARTIFACTS with CodeBuild\'s CLIENT_ERROR message', async () => {
  const { record } = await runBuildspec(`version: 0.2
phases:
  build: { commands: ['true'] }
artifacts: { files: [does/not/exist.jar] }
`);
  assert.equal(phaseStatuses(record).UPLOAD_ARTIFACTS, 'FAILED');
  assert.deepEqual(record.phases.find((p) => p.phaseType === 'UPLOAD_ARTIFACTS')?.contexts, [{ statusCode: 'CLIENT_ERROR', message: 'no matching artifact paths found' }]);
  assert.equal(record.buildStatus, 'FAILED');
});

test('secondary artifacts without primary files fail with no definition for primary artifacts', async () => {
  const { record } = await runBuildspec(`version: 0.2
phases:
  build: { commands: ['true'] }
artifacts:
  secondary-artifacts:
    extra: { files: [a.txt] }
`, { files: { 'a.txt': 'a' } });
  assert.equal(phaseStatuses(record).UPLOAD_ARTIFACTS, 'FAILED');
  assert.match(record.phases.find((p) => p.phaseType === 'UPLOAD_ARTIFACTS')?.contexts?.[0]?.message ?? '', /no definition for primary artifacts/);
});

test('secondary artifacts are written beside the primary one and listed in the result', async () => {
  const { record } = await runBuildspec(`version: 0.2
phases:
  build: { commands: ['true'] }
artifacts:
  files: [a.txt]
  secondary-artifacts:
    docs: { files: [b.txt] }
`, { files: { 'a.txt': 'a', 'b.txt': 'b' } });
  assert.equal(record.buildStatus, 'SUCCEEDED');
  assert.equal(record.secondaryArtifacts.length, 1);
  assert.equal(record.secondaryArtifacts[0]?.artifactIdentifier, 'docs');
  assert.match(record.secondaryArtifacts[0]?.location ?? '', /docs\.zip$/);
});

const JUNIT = `<?xml version="1.0"?>
<testsuites><testsuite name="s" tests="2"><testcase classname="a" name="passes" time="0.1"/><testcase classname="a" name="fails" time="0.2"><failure message="boom">trace</failure></testcase></testsuite></testsuites>`;

test('reports are collected for a failed build too, with a summary in the result', async () => {
  const { record } = await runBuildspec(`version: 0.2
phases:
  build: { commands: ['mkdir -p out && cp junit.xml out/', 'false'] }
reports:
  unit:
    files: [junit.xml]
    base-directory: out
`, { files: { 'junit.xml': JUNIT } });
  assert.equal(record.buildStatus, 'FAILED');
  assert.equal(record.reports.length, 1);
  const report = record.reports[0];
  assert.equal(report?.status, 'FAILED');
  assert.ok(report && 'summary' in report);
  assert.equal((report.summary as { total: number }).total, 2);
});

test('the cache is restored before install and saved after post_build only when BUILD succeeded', async () => {
  const spec = (buildCommand: string): string => `version: 0.2
phases:
  install: { commands: ['cat deps/marker.txt 2>/dev/null || echo "no cache"'] }
  build: { commands: ['mkdir -p deps && echo "$CODEBUILD_BUILD_NUMBER" > deps/marker.txt', '${buildCommand}'] }
cache:
  key: deps-$(codebuild-hash-files lock.txt)
  paths: ['deps/**/*']
`;
  const files = { 'lock.txt': 'v1' };
  const first = await runBuildspec(spec('false'), { files, projectName: 'cached' });
  const second = await runBuildspec(spec('true'), { files, projectName: 'cached', stateDir: first.stateDir });
  const third = await runBuildspec(spec('true'), { files, projectName: 'cached', stateDir: first.stateDir });
  assert.deepEqual(outputLines(first.log), ['no cache'], 'nothing cached yet');
  assert.deepEqual(outputLines(second.log), ['no cache'], 'a failed BUILD saved nothing');
  assert.deepEqual(outputLines(third.log), ['2'], 'restored what build 2 saved');
});

test('codebuild-hash-files is on the PATH and changes with the files\' contents', async () => {
  const { log } = await runBuildspec(`version: 0.2
phases:
  build: { commands: ['codebuild-hash-files a.txt', 'echo changed > a.txt', 'codebuild-hash-files a.txt', 'codebuild-hash-files a.txt'] }
`, { files: { 'a.txt': 'a' } });
  const [first, second, third] = outputLines(log);
  assert.match(first ?? '', /^[0-9a-f]{64}$/);
  assert.notEqual(first, second);
  assert.equal(second, third);
});

test('a failed install phase uploads no artifacts and saves no cache, but reports found so far are collected', async () => {
  const { record, log } = await runBuildspec(`version: 0.2
phases:
  install: { commands: ['mkdir -p deps out && cp junit.xml out/', 'false'] }
reports:
  unit: { files: [out/junit.xml] }
artifacts: { files: ['**/*'] }
cache: { paths: ['deps/**/*'] }
`, { files: { 'junit.xml': JUNIT } });
  assert.equal(record.artifacts, undefined);
  assert.doesNotMatch(log, /Entering phase UPLOAD_ARTIFACTS/);
  assert.equal(record.reports.length, 1);
  assert.equal(record.reports[0]?.summary?.total, 2);
});
