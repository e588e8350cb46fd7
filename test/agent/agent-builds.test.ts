/**
 * An agent in this process against a real server (SQLite): builds leased over HTTP run through the
 * same runner as `nagare build`, and the server ends up with their phases, logs, exported variables
 * and results; stops, spec errors and git sources behave as in CodeBuild.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { RunningAgent } from '../../src/agent/agent.js';
import { runBuildspec } from '../build/run-buildspec.js';
import { processesWith } from '../support/processes.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { agentFor, createProject, phasesOf, recordData, startBuild, storedLog, waitFor, waitForBuild } from './agent-harness.js';

let server: TestServer;
let agent: RunningAgent;
let workDir: string;
before(async () => {
  server = await startTestServer();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-agent-'));
  agent = await agentFor(server, { workDir });
});
after(async () => {
  await agent.stop();
  await server.stop();
});

const BUILDSPEC = `version: 0.2
env:
  exported-variables: [OUT]
phases:
  install:
    commands: [echo install-line]
  pre_build:
    commands: [echo pre-build-line]
  build:
    commands:
      - for i in $(seq 1 200); do echo "line $i"; done
      - export OUT=exported-value
  post_build:
    commands: [echo post-build-line]
`;

test('a leased build completes SUCCEEDED with the same phases as nagare build', async () => {
  const id = await startBuild(server, await createProject(server, BUILDSPEC));
  const build = await waitForBuild(server, id);
  assert.equal(build.buildStatus, 'SUCCEEDED');
  const local = await runBuildspec(BUILDSPEC);
  const shape = (phases: readonly { phaseType: string; phaseStatus?: string | undefined }[]): string[] => phases.map((p) => `${p.phaseType}:${p.phaseStatus ?? ''}`);
  assert.deepEqual(shape(phasesOf(build)), shape(local.record.phases));
  const phases = phasesOf(build);
  for (const [i, phase] of phases.entries()) {
    const next = phases[i + 1];
    if (next && phase.endTime !== undefined) assert.ok(phase.endTime <= next.startTime, `${phase.phaseType} ends before ${next.phaseType} starts`);
  }
  assert.equal(recordData(build).agentId, agent.agentId);
});

test('the stored log holds the command output in order', async () => {
  const id = await startBuild(server, await createProject(server, BUILDSPEC));
  await waitForBuild(server, id);
  const log = await storedLog(server, id);
  const lines = log.split('\n').filter((line) => /^(line \d+|install-line|pre-build-line|post-build-line)$/.test(line));
  assert.deepEqual(lines, ['install-line', 'pre-build-line', ...Array.from({ length: 200 }, (_, i) => `line ${i + 1}`), 'post-build-line']);
  assert.match(log, /Entering phase BUILD/);
  assert.match(log, /Phase complete: POST_BUILD State: SUCCEEDED/);
});

test('exported variables arrive at the server', async () => {
  const id = await startBuild(server, await createProject(server, BUILDSPEC));
  const build = await waitForBuild(server, id);
  assert.deepEqual(recordData(build).exportedEnvironmentVariables, [{ name: 'OUT', value: 'exported-value' }]);
});

test('parameter-store values, from the buildspec and from the project, are resolved and masked in the stored log', async () => {
  await server.services.parameters.put('parameter', '/agent-test/db-password', 'hunter2-from-buildspec');
  await server.services.parameters.put('parameter', '/agent-test/api-key', 'key-from-project');
  await server.services.parameters.put('secret', 'agent-test-secret', '{"token":"secret-json-value"}');
  const buildspec = `version: 0.2
env:
  parameter-store:
    DB_PASSWORD: /agent-test/db-password
phases:
  build:
    commands:
      - echo "pw=$DB_PASSWORD key=$API_KEY token=$TOKEN plain=$PLAIN"
      - test "$DB_PASSWORD" = hunter2-from-buildspec && test "$API_KEY" = key-from-project && test "$TOKEN" = secret-json-value
`;
  const name = await createProject(server, buildspec, {
    environment: {
      image: 'shell',
      environmentVariables: [
        { name: 'API_KEY', value: '/agent-test/api-key', type: 'PARAMETER_STORE' },
        { name: 'TOKEN', value: 'agent-test-secret:token', type: 'SECRETS_MANAGER' },
        { name: 'PLAIN', value: 'plain-value', type: 'PLAINTEXT' },
      ],
    },
  });
  const id = await startBuild(server, name);
  const build = await waitForBuild(server, id);
  const log = await storedLog(server, id);
  assert.equal(build.buildStatus, 'SUCCEEDED', log);
  assert.match(log, /^pw=\*\*\* key=\*\*\* token=\*\*\* plain=plain-value$/m);
  for (const secret of ['hunter2-from-buildspec', 'key-from-project', 'secret-json-value']) assert.ok(!log.includes(secret), `${secret} is masked`);
});

test('an unknown parameter fails the build in DOWNLOAD_SOURCE', async () => {
  const id = await startBuild(server, await createProject(server, 'version: 0.2\nenv:\n  parameter-store:\n    X: /agent-test/missing\nphases:\n  build:\n    commands: [echo never]\n'));
  const build = await waitForBuild(server, id);
  assert.equal(build.buildStatus, 'FAILED');
  const download = phasesOf(build).find((p) => p.phaseType === 'DOWNLOAD_SOURCE');
  assert.equal(download?.phaseStatus, 'FAILED');
  assert.match(download?.contexts[0]?.message ?? '', /\/agent-test\/missing/);
});

test('an artifact the server refuses fails UPLOAD_ARTIFACTS with the reason, through the phase machine', async () => {
  const buildspec = 'version: 0.2\nphases:\n  build:\n    commands: [echo x > a.txt]\nartifacts:\n  files: [a.txt]\n  name: "has space"\n';
  const id = await startBuild(server, await createProject(server, buildspec));
  const build = await waitForBuild(server, id);
  assert.equal(build.buildStatus, 'FAILED');
  const upload = phasesOf(build).find((p) => p.phaseType === 'UPLOAD_ARTIFACTS');
  assert.equal(upload?.phaseStatus, 'FAILED');
  assert.deepEqual(upload?.contexts.map((c) => c.statusCode), ['CLIENT_ERROR']);
  assert.match(upload?.contexts[0]?.message ?? '', /Could not upload has space\.zip/);
  assert.deepEqual(phasesOf(build).slice(-2).map((p) => `${p.phaseType}:${p.phaseStatus ?? ''}`), ['FINALIZING:SUCCEEDED', 'COMPLETED:']);
  assert.match(await storedLog(server, id), /Phase complete: UPLOAD_ARTIFACTS State: FAILED/);
});

test('a failing command ends the build FAILED', async () => {
  const id = await startBuild(server, await createProject(server, 'version: 0.2\nphases:\n  build:\n    commands: ["echo about to fail", "exit 3"]\n'));
  const build = await waitForBuild(server, id);
  assert.equal(build.buildStatus, 'FAILED');
  assert.equal(phasesOf(build).find((p) => p.phaseType === 'BUILD')?.phaseStatus, 'FAILED');
  assert.match(await storedLog(server, id), /about to fail/);
});

test('an invalid buildspec completes the build FAILED with a DOWNLOAD_SOURCE context naming file:line:column', async () => {
  const id = await startBuild(server, await createProject(server, 'version: 0.2\nphases:\n  build:\n    comands: [echo typo]\n'));
  const build = await waitForBuild(server, id);
  assert.equal(build.buildStatus, 'FAILED');
  const download = phasesOf(build).find((p) => p.phaseType === 'DOWNLOAD_SOURCE');
  assert.equal(download?.phaseStatus, 'FAILED');
  assert.equal(download?.contexts[0]?.statusCode, 'YAML_FILE_ERROR');
  assert.match(download?.contexts[0]?.message ?? '', /^<inline>:\d+:\d+: SPEC_\w+ /);
  assert.equal(phasesOf(build).at(-1)?.phaseType, 'COMPLETED');
});

test('StopBuild while a command runs ends the build STOPPED within seconds, with no process left', async () => {
  const marker = String(800_000 + (process.pid % 100_000));
  const id = await startBuild(server, await createProject(server, `version: 0.2\nphases:\n  build:\n    commands:\n      - (sleep ${marker} &) ; sleep ${marker}1 & sleep ${marker}2\n`));
  await waitFor('the commands to start', () => processesWith(`sleep\0${marker}`).length === 3);
  const stoppedAt = Date.now();
  await server.services.builds.stopBuild(id);
  const build = await waitForBuild(server, id, 15_000);
  assert.equal(build.buildStatus, 'STOPPED');
  assert.ok(Date.now() - stoppedAt < 10_000, 'stopped within seconds');
  assert.deepEqual(processesWith(`sleep\0${marker}`), [], 'no process of the build survives');
  assert.equal(phasesOf(build).find((p) => p.phaseType === 'BUILD')?.contexts.at(-1)?.statusCode, 'BUILD_STOPPED');
  assert.match(await storedLog(server, id), /Stop requested/);
});

test('a GIT project from a local repository builds at the given commit', async () => {
  const repo = await mkdtemp(path.join(os.tmpdir(), 'nagare-agent-repo-'));
  const git = (...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } }).trim();
  git('init', '--quiet', '--initial-branch=main');
  await writeFile(path.join(repo, 'buildspec.yml'), 'version: 0.2\nphases:\n  build:\n    commands: ["echo content=$(cat version.txt) rev=$CODEBUILD_RESOLVED_SOURCE_VERSION"]\n');
  await writeFile(path.join(repo, 'version.txt'), 'first');
  git('add', '.');
  git('commit', '--quiet', '-m', 'first');
  const first = git('rev-parse', 'HEAD');
  await writeFile(path.join(repo, 'version.txt'), 'second');
  git('commit', '--quiet', '-am', 'second');

  const name = await createProject(server, '', { source: { type: 'GIT', location: repo } });
  const id = await startBuild(server, name, first);
  const build = await waitForBuild(server, id);
  const log = await storedLog(server, id);
  assert.equal(build.buildStatus, 'SUCCEEDED', log);
  assert.equal(recordData(build).resolvedSourceVersion, first);
  assert.match(log, new RegExp(`^content=first rev=${first}$`, 'm'));

  const latest = await waitForBuild(server, await startBuild(server, name));
  assert.equal(recordData(latest).resolvedSourceVersion, git('rev-parse', 'HEAD'));
  assert.match(await storedLog(server, latest.id), /^content=second /m);
});

test('primary and secondary artifacts are uploaded to the server as zip blobs', async () => {
  const buildspec = `version: 0.2
phases:
  build:
    commands: [mkdir -p out, echo primary > out/a.txt, echo secondary > out/b.txt]
artifacts:
  files: [out/a.txt]
  name: bundle-$CODEBUILD_BUILD_NUMBER
  secondary-artifacts:
    extra:
      files: [out/b.txt]
`;
  const id = await startBuild(server, await createProject(server, buildspec));
  const build = await waitForBuild(server, id);
  assert.equal(build.buildStatus, 'SUCCEEDED', await storedLog(server, id));
  const data = recordData(build);
  assert.equal(data.artifacts?.name, `bundle-${build.buildNumber}.zip`);
  assert.equal(data.artifacts?.artifactIdentifier, undefined);
  assert.deepEqual(data.secondaryArtifacts.map((a) => [a.artifactIdentifier, a.name]), [['extra', 'extra.zip']]);
  for (const artifact of [data.artifacts, ...data.secondaryArtifacts]) {
    const parts: Buffer[] = [];
    for await (const part of await server.services.context.blobs.read(artifact?.blobKey ?? '')) parts.push(Buffer.from(part));
    const zip = Buffer.concat(parts);
    assert.equal(zip.subarray(0, 4).toString('binary'), 'PK\u0003\u0004', 'a zip file');
    assert.equal(zip.length, artifact?.bytes);
  }
});

test('a lost lease stops the build on the agent, which does not complete it and goes on with the next build', async () => {
  const marker = String(600_000 + (process.pid % 100_000));
  const name = await createProject(server, `version: 0.2\nphases:\n  build:\n    commands: ["sleep ${marker}"]\n`);
  const id = await startBuild(server, name);
  await waitFor('the command to start', () => processesWith(`sleep\0${marker}`).length === 1);
  // What the scheduler does when a lease expires: the build ends FAULT and its job is closed with it.
  await server.services.builds.finish(await server.services.builds.get(id), 'FAULT', { statusCode: 'AGENT_LOST', message: 'test' }, Date.now(), { state: 'LEASED' });
  await waitFor('the command to be stopped', () => processesWith(`sleep\0${marker}`).length === 0, 15_000);
  const next = await waitForBuild(server, await startBuild(server, await createProject(server, 'version: 0.2\nphases:\n  build:\n    commands: [echo next]\n')));
  assert.equal(next.buildStatus, 'SUCCEEDED');
  const lost = await server.services.builds.get(id);
  assert.equal(lost.buildStatus, 'FAULT', 'the agent did not overwrite the server\'s ending');
});

test('build work directories are removed before the build is reported COMPLETED', async () => {
  await waitForBuild(server, await startBuild(server, await createProject(server, BUILDSPEC)));
  // Removed right after the result is reported, so just after the server sees it.
  await waitFor('the build directory to go', async () => (await readdir(workDir)).filter((entry) => entry.startsWith('build-')).length === 0);
});
