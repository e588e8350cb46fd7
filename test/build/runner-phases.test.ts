/**
 * Reference §1.6–1.7 and decisions 1–4, 7 through the real runner and shell executor.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { outputLines, phaseStatuses, runBuildspec } from './run-buildspec.js';

test('a successful build runs every phase and ends SUCCEEDED', async () => {
  const { record } = await runBuildspec(`version: 0.2
phases:
  install: { commands: [echo install] }
  pre_build: { commands: [echo pre] }
  build: { commands: [echo build] }
  post_build: { commands: [echo post] }
`);
  assert.equal(record.buildStatus, 'SUCCEEDED');
  assert.deepEqual(record.phases.map((p) => p.phaseType), ['SUBMITTED', 'QUEUED', 'PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD', 'UPLOAD_ARTIFACTS', 'FINALIZING', 'COMPLETED']);
  assert.equal(record.buildComplete, true);
  assert.equal(record.currentPhase, 'COMPLETED');
});

test('the log has CodeBuild lines: Entering phase, Running command, Phase complete and the phase context', async () => {
  const { log } = await runBuildspec(`version: 0.2
phases:
  build:
    commands:
      - echo hello
      - exit 2
`);
  assert.match(log, /^\[Container\] \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{3} Entering phase BUILD$/m);
  assert.match(log, /Entering phase PROVISIONING$/m, 'issue 13: a local build has no agent to wait for');
  assert.doesNotMatch(log, /Waiting for agent ping/);
  assert.match(log, /\[Container\] \S+ \S+ Running command echo hello\nhello\n/);
  assert.match(log, /Command did not exit successfully exit 2 exit status 2/);
  assert.match(log, /Phase complete: BUILD State: FAILED/);
  assert.match(log, /Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: exit 2\. Reason: exit status 2/);
});

test('post_build runs after a failed build phase with CODEBUILD_BUILD_SUCCEEDING=0', async () => {
  const { record, log } = await runBuildspec(`version: 0.2
phases:
  build: { commands: [echo "build sees $CODEBUILD_BUILD_SUCCEEDING", "false"] }
  post_build: { commands: ['echo "post_build sees $CODEBUILD_BUILD_SUCCEEDING"'] }
`);
  assert.deepEqual(outputLines(log), ['build sees 1', 'post_build sees 0']);
  assert.equal(phaseStatuses(record).POST_BUILD, 'SUCCEEDED');
  assert.equal(phaseStatuses(record).UPLOAD_ARTIFACTS, 'SUCCEEDED');
  assert.equal(record.buildStatus, 'FAILED');
});

test('the failed command context names the command and its exit status', async () => {
  const { record } = await runBuildspec(`version: 0.2
phases:
  build: { commands: ["sh -c 'exit 7'"] }
`);
  const build = record.phases.find((p) => p.phaseType === 'BUILD');
  assert.deepEqual(build?.contexts, [{ statusCode: 'COMMAND_EXECUTION_ERROR', message: "Error while executing command: sh -c 'exit 7'. Reason: exit status 7" }]);
});

test('a failed install phase skips every later buildspec phase and the upload', async () => {
  const { record, log } = await runBuildspec(`version: 0.2
phases:
  install: { commands: ["false"] }
  pre_build: { commands: [echo pre] }
  build: { commands: [echo build] }
  post_build: { commands: [echo post] }
artifacts: { files: ['**/*'] }
`, { files: { 'a.txt': 'a' } });
  assert.deepEqual(outputLines(log), []);
  assert.deepEqual(record.phases.map((p) => p.phaseType), ['SUBMITTED', 'QUEUED', 'PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'FINALIZING', 'COMPLETED']);
  assert.equal(record.artifacts, undefined);
});

test('a failed pre_build phase skips build, post_build and the upload', async () => {
  const { record, log } = await runBuildspec(`version: 0.2
phases:
  pre_build: { commands: ["false"] }
  build: { commands: [echo build] }
  post_build: { commands: [echo post] }
`);
  assert.deepEqual(outputLines(log), []);
  assert.equal(phaseStatuses(record).PRE_BUILD, 'FAILED');
  assert.equal(phaseStatuses(record).BUILD, undefined);
  assert.equal(record.buildStatus, 'FAILED');
});

test('a failed post_build phase still uploads the artifacts and the build ends FAILED', async () => {
  const { record } = await runBuildspec(`version: 0.2
phases:
  post_build: { commands: ["false"] }
artifacts: { files: [a.txt] }
`, { files: { 'a.txt': 'a' } });
  assert.equal(phaseStatuses(record).UPLOAD_ARTIFACTS, 'SUCCEEDED');
  assert.ok(record.artifacts?.location.endsWith('.zip'));
  assert.equal(record.buildStatus, 'FAILED');
});

test('on-failure ABORT on build stops before post_build', async () => {
  const { record, log } = await runBuildspec(`version: 0.2
phases:
  build: { on-failure: ABORT, commands: ["false"] }
  post_build: { commands: [echo post] }
`);
  assert.deepEqual(outputLines(log), []);
  assert.equal(phaseStatuses(record).POST_BUILD, undefined);
  assert.equal(record.buildStatus, 'FAILED');
});

test('on-failure CONTINUE on pre_build runs build and the build still ends FAILED', async () => {
  const { record, log } = await runBuildspec(`version: 0.2
phases:
  pre_build: { on-failure: CONTINUE, commands: ["false"] }
  build: { commands: ['echo "build sees $CODEBUILD_BUILD_SUCCEEDING"'] }
`);
  assert.deepEqual(outputLines(log), ['build sees 0']);
  assert.equal(record.buildStatus, 'FAILED');
});

test('finally runs after a failed command and the remaining commands are skipped', async () => {
  const { log, record } = await runBuildspec(`version: 0.2
phases:
  build:
    commands: [echo one, "false", echo skipped]
    finally: [echo cleanup]
`);
  assert.deepEqual(outputLines(log), ['one', 'cleanup']);
  assert.equal(phaseStatuses(record).BUILD, 'FAILED');
});

test('a failing finally fails its phase', async () => {
  const { record } = await runBuildspec(`version: 0.2
phases:
  build:
    commands: [echo ok]
    finally: ["false"]
`);
  assert.equal(phaseStatuses(record).BUILD, 'FAILED');
  assert.equal(record.buildStatus, 'FAILED');
});

test('on-failure RETRY re-runs the failed phase, commands and finally, in the same shell', async () => {
  const { record, log } = await runBuildspec(`version: 0.2
phases:
  build:
    on-failure: RETRY-2
    commands:
      - 'TRIES=$((\${TRIES:-0}+1)); echo "try $TRIES"'
      - test "$TRIES" -ge 3
    finally:
      - echo finally
`);
  assert.deepEqual(outputLines(log), ['try 1', 'finally', 'try 2', 'finally', 'try 3', 'finally']);
  assert.equal(record.buildStatus, 'SUCCEEDED');
});

test('on-failure RETRY-<count> gives up after count retries', async () => {
  const { record, log } = await runBuildspec(`version: 0.2
phases:
  build: { on-failure: RETRY-1, commands: ["echo attempt; false"] }
`);
  assert.deepEqual(outputLines(log), ['attempt', 'attempt']);
  assert.equal(record.buildStatus, 'FAILED');
});

test('on-failure RETRY-<regex> retries only when the command output matches', async () => {
  const flaky = await runBuildspec(`version: 0.2
phases:
  build: { on-failure: RETRY-3-ECONNRESET, commands: ['N=$((\${N:-0}+1)); if [ $N -lt 2 ]; then echo "npm ERR! ECONNRESET"; false; fi'] }
`);
  assert.equal(flaky.record.buildStatus, 'SUCCEEDED');
  const broken = await runBuildspec(`version: 0.2
phases:
  build: { on-failure: RETRY-3-ECONNRESET, commands: ['echo "syntax error"; false'] }
`);
  assert.deepEqual(outputLines(broken.log), ['syntax error']);
  assert.equal(broken.record.buildStatus, 'FAILED');
});

test('0.2 keeps one shell: cd, export and shell variables carry over to later commands and phases', async () => {
  const { log } = await runBuildspec(`version: 0.2
phases:
  install: { commands: [mkdir -p sub, cd sub, export EXPORTED=yes, PLAIN=kept] }
  build: { commands: ['echo "$(basename "$PWD") $EXPORTED $PLAIN"'] }
`);
  assert.deepEqual(outputLines(log), ['sub yes kept']);
});

test('0.1 runs each command in a new shell in the source directory', async () => {
  const { log, sourceDir } = await runBuildspec(`version: 0.1
phases:
  install: { commands: [mkdir -p sub, cd sub, export EXPORTED=yes] }
  build: { commands: ['echo "$PWD [$EXPORTED]"'] }
`);
  assert.deepEqual(outputLines(log), [`${sourceDir} []`]);
});

test('a block scalar command has the status of its last statement (no set -e)', async () => {
  const { record, log } = await runBuildspec(`version: 0.2
phases:
  build:
    commands:
      - |
        false
        echo "still running"
`);
  assert.deepEqual(outputLines(log), ['still running']);
  assert.equal(record.buildStatus, 'SUCCEEDED');
});

test('a command that exits the shell fails its phase and the next phase gets a fresh shell with the last good state', async () => {
  const { record, log } = await runBuildspec(`version: 0.2
phases:
  build:
    commands: [mkdir -p kept, cd kept, export KEPT=1, "exit 3"]
  post_build:
    commands: ['echo "$(basename "$PWD") $KEPT"']
`);
  assert.equal(phaseStatuses(record).BUILD, 'FAILED');
  assert.match(log, /exit status 3/);
  assert.deepEqual(outputLines(log), ['kept 1']);
});

test('a command that ends the shell with exit keeps the state it leaves, plain unexported variables included', async () => {
  const { record, log } = await runBuildspec(`version: 0.2
phases:
  build:
    commands:
      - mkdir -p out && cd out
      - TARBALL=app-1.tgz; MULTI="two
        lines"; export EXPORTED=yes
      - if [ -n "$TARBALL" ]; then exit 0; fi
      - 'echo "$(basename "$PWD") $TARBALL $EXPORTED"'
      - printf '%s\\n' "$MULTI"
      - SECOND=after-failure; exit 1
  post_build:
    commands: ['echo "post $SECOND $TARBALL"']
`);
  assert.equal(phaseStatuses(record).BUILD, 'FAILED');
  assert.deepEqual(outputLines(log), ['out app-1.tgz yes', 'two lines', 'post after-failure app-1.tgz']);
});

test('the default shell is sh, so bash-only syntax fails without env.shell', async () => {
  const plain = await runBuildspec(`version: 0.2
phases:
  build: { commands: ['[[ 1 == 1 ]] && echo bash'] }
`);
  assert.equal(plain.record.buildStatus, 'FAILED');
  const bash = await runBuildspec(`version: 0.2
env: { shell: bash }
phases:
  build: { commands: ['[[ 1 == 1 ]] && echo bash'] }
`);
  assert.deepEqual(outputLines(bash.log), ['bash']);
  assert.equal(bash.record.buildStatus, 'SUCCEEDED');
});

test('commands start in CODEBUILD_SRC_DIR', async () => {
  const { log, sourceDir } = await runBuildspec(`version: 0.2
phases:
  build: { commands: ['pwd', 'echo "$CODEBUILD_SRC_DIR"'] }
`);
  assert.deepEqual(outputLines(log), [sourceDir, sourceDir]);
});

test('runtime-versions prints CodeBuild\'s skip warning and the build goes on', async () => {
  const { log, record } = await runBuildspec(`version: 0.2
phases:
  install:
    runtime-versions: { nodejs: 20 }
    commands: [echo ok]
`);
  assert.match(log, /Skipping install of runtimes\. Runtime version selection is not supported by this build image\./);
  assert.equal(record.buildStatus, 'SUCCEEDED');
});

const isRoot = process.getuid?.() === 0;

test('run-as runs commands as that user, and a phase run-as overrides the top-level one', { skip: isRoot ? false : 'run-as needs root to switch users' }, async () => {
  const { log } = await runBuildspec(`version: 0.2
run-as: nobody
phases:
  install: { commands: [id -un] }
  build: { run-as: root, commands: [id -un] }
  post_build: { commands: [id -un] }
`);
  assert.deepEqual(outputLines(log), ['nobody', 'root', 'nobody']);
});

test('the build ends with the phase records carrying times and durations', async () => {
  const { record } = await runBuildspec(`version: 0.2
phases:
  build: { commands: ['sleep 1'] }
`);
  const build = record.phases.find((p) => p.phaseType === 'BUILD');
  assert.ok(build?.endTime && Date.parse(build.endTime) - Date.parse(build.startTime) >= 900);
  assert.equal(build.durationInSeconds, 1);
});

test('artifacts are written as zip files into the artifacts directory', async () => {
  const { record, artifactsDir } = await runBuildspec(`version: 0.2
phases:
  build: { commands: [mkdir -p out, echo built > out/app.txt] }
artifacts:
  files: ['**/*']
  base-directory: out
  name: app-$CODEBUILD_BUILD_NUMBER
`);
  assert.equal(record.artifacts?.location, path.join(artifactsDir, 'app-1.zip'));
  const zip = await readFile(record.artifacts.location);
  assert.equal(zip.subarray(0, 2).toString(), 'PK');
  assert.match(record.artifacts.sha256sum, /^[0-9a-f]{64}$/);
});
