/**
 * Artifacts and reports are read on the host with the agent's rights after the build, with the
 * shell and with the Docker executor: a path that leads out of the source through a symlinked
 * directory the build made is refused and nothing outside is read, a file swapped for a link
 * after it was selected is not followed (the confined real path is opened with O_NOFOLLOW), and
 * only regular files are opened.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { resolveArtifactFiles, writeArtifactZip } from '../../src/build/artifacts.js';
import { collectReportGroup } from '../../src/build/reports.js';
import type { Executor } from '../../src/core/executor.js';
import { DockerExecutor } from '../../src/executors/docker-executor.js';
import { dockerImageMissing, requirement } from '../support/requirements.js';
import { runBuildspec } from './run-buildspec.js';
import { makeTree, readZip, tempDir } from './temp-tree.js';

const SECRET = `host-secret-${randomUUID()}`;
const JUNIT = `<testsuite name="s"><testcase name="${SECRET}" classname="c"/></testsuite>`;

async function outsideDir(): Promise<string> {
  return makeTree({ 'secret.txt': SECRET, 'report.xml': JUNIT });
}

/** Everything the build wrote where a user (or the server) reads it back. */
async function everythingWritten(dir: string): Promise<string> {
  if (!existsSync(dir)) return '';
  const names = await readdir(dir, { recursive: true });
  const parts = await Promise.all(names.map(async (name) => {
    const file = path.join(dir, name);
    if (name.endsWith('.zip')) return (await readZip(file)).map((entry) => entry.content).join('\n');
    return readFile(file, 'utf8').catch(() => '');
  }));
  return parts.join('\n');
}

const BUILDSPEC = (outside: string): string => `version: 0.2
phases:
  build:
    commands:
      - mkdir -p dist && echo inside > dist/ok.txt && ln -s ${outside} dist/sub
artifacts:
  files: [dist/sub/secret.txt, dist/ok.txt]
`;

async function escapingArtifact(executor?: Executor): Promise<void> {
  const outside = await outsideDir();
  const result = await runBuildspec(BUILDSPEC(outside), executor ? { executor } : {});
  const upload = result.record.phases.find((phase) => phase.phaseType === 'UPLOAD_ARTIFACTS');
  assert.equal(upload?.phaseStatus, 'FAILED', result.log);
  assert.equal(upload?.contexts?.[0]?.statusCode, 'CLIENT_ERROR');
  assert.match(upload?.contexts?.[0]?.message ?? '', /dist\/sub resolves outside the source directory/);
  assert.ok(!(await everythingWritten(result.artifactsDir)).includes(SECRET));
  assert.ok(!result.log.includes(SECRET));
}

test('an artifact path through a symlinked directory the build points out of the source is refused (shell)', async () => {
  await escapingArtifact();
});

const SOCKET = '/var/run/docker.sock';
const IMAGE = 'nagare/base:test';
const noDocker = requirement('a Docker engine and nagare/base:test', await dockerImageMissing(IMAGE, SOCKET));

test('an artifact path through a symlinked directory the build points out of the source is refused (Docker)', { skip: noDocker }, async () => {
  await escapingArtifact(new DockerExecutor({ image: IMAGE, socketPath: SOCKET }));
});

test('a report path through a symlinked directory pointing out of the source reads nothing outside', async () => {
  const outside = await outsideDir();
  const src = await makeTree({ 'dist/ok.xml': '<testsuite name="ok"/>', 'dist/sub': { symlink: outside } });
  const reportsDir = await tempDir();
  const report = await collectReportGroup('unit', { files: ['sub/report.xml'], baseDirectory: 'dist', discardPaths: false, fileFormat: 'JUNITXML' }, src, reportsDir);
  assert.equal(report.status, 'FAILED');
  assert.match(report.message ?? '', /sub resolves outside the source directory/);
  assert.deepEqual(report.testCases, []);
  assert.ok(!JSON.stringify(report).includes(SECRET));
  assert.ok(!(await everythingWritten(reportsDir)).includes(SECRET));
});

test('a selected artifact file swapped for a link out before it is zipped is not followed', async () => {
  const outside = await outsideDir();
  const src = await makeTree({ 'dist/a.txt': 'inside' });
  const selection = await resolveArtifactFiles({ files: ['dist/a.txt'], baseDirectory: undefined, excludePaths: [], discardPaths: false, enableSymlinks: false, name: undefined, s3Prefix: undefined }, src);
  assert.ok(selection.ok);
  await rm(path.join(src, 'dist/a.txt'));
  await symlink(path.join(outside, 'secret.txt'), path.join(src, 'dist/a.txt'));
  const zip = path.join(await tempDir(), 'a.zip');
  await assert.rejects(writeArtifactZip(selection.entries, zip), { code: 'BUILD_PATH_ESCAPES' });
  const partial = await readFile(zip).catch(() => Buffer.alloc(0));
  assert.ok(!partial.includes(SECRET), 'the zip, however far it got, holds nothing from outside');
});

test('a report file that is a link to a FIFO inside the source fails the report instead of hanging the agent', { timeout: 60_000 }, async () => {
  const src = await makeTree({ 'reports/ok.xml': '<testsuite name="ok"/>' });
  execFileSync('mkfifo', [path.join(src, 'pipe')]);
  await symlink('../pipe', path.join(src, 'reports/r.xml'));
  const report = await collectReportGroup('unit', { files: ['r.xml'], baseDirectory: 'reports', discardPaths: false, fileFormat: 'JUNITXML' }, src, await tempDir());
  assert.equal(report.status, 'FAILED');
  assert.match(report.message ?? '', /reports\/r\.xml is not a valid JUNITXML report: The path reports\/r\.xml is not a regular file/);
});
