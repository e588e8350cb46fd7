/**
 * Issue 7, finding 2 through a real agent and server: a Docker build's absolute cache path is
 * saved and restored inside its container, through the staging directory in the build's own
 * directory, and the agent host's directory of that name is neither read nor written.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { RunningAgent } from '../../src/agent/agent.js';
import { dockerImageMissing, requirement } from '../support/requirements.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { agentFor, createProject, startBuild, storedLog, waitForBuild } from './agent-harness.js';

const IMAGE = 'nagare/base:test';

const skip = requirement('a Docker engine and nagare/base:test', await dockerImageMissing(IMAGE));

let server: TestServer | undefined;
let agent: RunningAgent | undefined;
let workDir: string;
before(async () => {
  if (skip) return;
  server = await startTestServer();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-agent-'));
  agent = await agentFor(server, { workDir });
});
after(async () => {
  await agent?.stop();
  await server?.stop();
});

void test('finding 2: an agent\'s Docker build caches /root/.m2-style absolute paths inside its container, never on the agent host', { skip }, async () => {
  if (!server) return;
  const m2 = path.join(await mkdtemp(path.join(os.tmpdir(), 'nagare-agent-m2-')), '.m2');
  await mkdir(m2);
  await writeFile(path.join(m2, 'host.txt'), 'agent host file');
  const buildspec = `version: 0.2
phases:
  build:
    commands:
      - cat ${m2}/dep.jar 2>/dev/null || echo no-cache-yet
      - ls ${m2} 2>/dev/null || echo no-dir
      - mkdir -p ${m2} && echo dep-from-container > ${m2}/dep.jar
cache:
  paths:
    - '${m2}/**/*'
`;
  const project = await createProject(server, buildspec, { environment: { image: IMAGE }, cache: { type: 'LOCAL' } });
  const first = await waitForBuild(server, await startBuild(server, project), 120_000);
  assert.equal(first.buildStatus, 'SUCCEEDED');
  const firstLog = await storedLog(server, first.id);
  assert.match(firstLog, /^no-cache-yet$/m);
  assert.match(firstLog, /^no-dir$/m, 'the container does not see the host directory');
  assert.match(firstLog, /Saved 1 path\(s\) to the cache/);

  const second = await waitForBuild(server, await startBuild(server, project), 120_000);
  const secondLog = await storedLog(server, second.id);
  assert.match(secondLog, /Restored .*\.m2 from the cache/);
  assert.match(secondLog, /^dep-from-container$/m);
  assert.doesNotMatch(secondLog, /host\.txt/, 'the host file was never cached');
  assert.deepEqual(await readdir(m2), ['host.txt'], 'nothing was written on the agent host');
  assert.equal(await readFile(path.join(m2, 'host.txt'), 'utf8'), 'agent host file');
  assert.deepEqual((await readdir(workDir)).filter((entry) => entry.startsWith('build-')), [], 'the build directory, staging included, is gone');
});
