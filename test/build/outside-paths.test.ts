/**
 * Issue 9: absolute artifact and report paths outside the source (`base-directory:
 * /tmp/testArtifacts`, `files: /tmp/build.json` with discard-paths) are collected as CodeBuild
 * collects them, read with the build's own rights: the build copies them itself (as its run-as
 * user for shell builds, inside the container for Docker builds). A file the build could not read
 * is not collected, and a host path is never read on behalf of a Docker build.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { escapesRoot } from '../../src/build/artifacts.js';
import { DockerExecutor } from '../../src/executors/docker-executor.js';
import { buildUserMissing, dockerImageMissing, requirement } from '../support/requirements.js';
import { outputLines, phaseStatuses, runBuildspec } from './run-buildspec.js';
import { readZip, tempDir } from './temp-tree.js';

const IMAGE = 'nagare/base:test';
const BUILD_USER = 'nagare-test';

const dockerSkip = requirement(`a Docker engine and ${IMAGE}`, await dockerImageMissing(IMAGE));
const userSkip = requirement(`root, to run a shell build as ${BUILD_USER}`, buildUserMissing(BUILD_USER));

async function entries(location: string | undefined): Promise<string[]> {
  assert.ok(location, 'an artifact was written');
  return (await readZip(location)).map((entry) => `${entry.name}=${entry.content.trim()}`).sort();
}

test('an absolute base-directory and an absolute file outside the source are collected, for artifacts and reports', async () => {
  const outside = await tempDir('nagare-outside-');
  const { record, log } = await runBuildspec(`version: 0.2
phases:
  build:
    commands:
      - mkdir -p ${outside}/testArtifacts/logs && echo run > ${outside}/testArtifacts/logs/run.log && echo sum > ${outside}/testArtifacts/summary.txt
      - echo '{"ok":true}' > ${outside}/build.json
      - printf '<testsuite name="s"><testcase classname="c" name="t"/></testsuite>' > ${outside}/junit.xml
artifacts:
  base-directory: ${outside}/testArtifacts
  files: ['**/*']
  secondary-artifacts:
    meta:
      files:
        - ${outside}/build.json
      discard-paths: yes
reports:
  outside-tests:
    files: [junit.xml]
    base-directory: ${outside}
`);
  assert.equal(record.buildStatus, 'SUCCEEDED', log);
  assert.deepEqual(await entries(record.artifacts?.location), ['logs/run.log=run', 'summary.txt=sum']);
  assert.deepEqual(await entries(record.secondaryArtifacts[0]?.location), ['build.json={"ok":true}']);
  assert.equal(record.reports[0]?.status, 'SUCCEEDED');
  assert.equal(record.reports[0]?.summary?.total, 1);
});

test('files outside the source keep their path less the leading slash without discard-paths, beside files of the source', async () => {
  const outside = await tempDir('nagare-outside-');
  const { record, log } = await runBuildspec(`version: 0.2
phases:
  build:
    commands:
      - echo in > inside.txt && echo out > ${outside}/far.txt
artifacts:
  files:
    - inside.txt
    - ${outside}/*.txt
`);
  assert.equal(record.buildStatus, 'SUCCEEDED', log);
  assert.deepEqual(await entries(record.artifacts?.location), ['inside.txt=in', `${outside.slice(1)}/far.txt=out`]);
});

test('an outside file the build user cannot read is not collected: the selection fails and nothing of it is written', { skip: userSkip }, async () => {
  const secretDir = await tempDir('nagare-rootonly-');
  await writeFile(path.join(secretDir, 'secret.txt'), 'root only');
  await chmod(secretDir, 0o700);
  const { record, log } = await runBuildspec(`version: 0.2
run-as: ${BUILD_USER}
phases:
  build:
    commands:
      - id -un
artifacts:
  files:
    - ${secretDir}/secret.txt
  discard-paths: yes
`, { sourceDir: await reachableSource() });
  assert.deepEqual(outputLines(log).slice(0, 1), [BUILD_USER]);
  assert.equal(phaseStatuses(record).UPLOAD_ARTIFACTS, 'FAILED');
  assert.equal(record.artifacts, undefined);
  assert.match(log, /no matching artifact paths found/);
});

test('a Docker build collects an absolute path from inside its container, not from the host path of the same name', { skip: dockerSkip }, async () => {
  const hostDir = await tempDir('nagare-hostside-');
  await mkdir(path.join(hostDir, 'testArtifacts'));
  await writeFile(path.join(hostDir, 'testArtifacts', 'host.txt'), 'host file');
  const { record, log } = await runBuildspec(`version: 0.2
phases:
  build:
    commands:
      - mkdir -p ${hostDir}/testArtifacts && echo container > ${hostDir}/testArtifacts/container.txt
artifacts:
  base-directory: ${hostDir}/testArtifacts
  files: ['**/*']
`, { executor: new DockerExecutor({ image: IMAGE }) });
  assert.equal(record.buildStatus, 'SUCCEEDED', log);
  assert.deepEqual(await entries(record.artifacts?.location), ['container.txt=container']);
});

test('zip entries that would escape the archive root are refused', () => {
  assert.equal(escapesRoot('../etc/passwd'), true);
  assert.equal(escapesRoot('a/../../b'), true);
  assert.equal(escapesRoot('/abs/path'), true);
  assert.equal(escapesRoot('tmp/build.json'), false);
  assert.equal(escapesRoot('dir/..name'), false);
});

async function reachableSource(): Promise<string> {
  const dir = await tempDir('nagare-src-');
  await chmod(dir, 0o777);
  return dir;
}
