/**
 * `nagare agent` as a user runs it (the CLI from source in a child process): it joins the server
 * given by flags or NAGARE_SERVER / NAGARE_AGENT_TOKEN, runs builds, and SIGTERM stops the running
 * build (STOPPED) before it exits 0. Bad flags are refused with CONFIG_INVALID.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compileServerConfig } from '../../src/config/server-config.js';
import { compileAgentConfig } from '../../src/config/agent-config.js';
import { startTestServer } from '../support/test-server.js';
import { createProject, startBuild, waitFor, waitForBuild } from './agent-harness.js';

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

test('nagare agent runs builds and SIGTERM stops the running one (STOPPED) before exiting 0', async () => {
  const server = await startTestServer();
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-agent-cli-'));
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'agent', '--name', 'cli-agent', '--tag', 'env=test', '--work-dir', workDir, '--poll-seconds', '1'], {
    env: { ...process.env, NAGARE_SERVER: server.url, NAGARE_AGENT_TOKEN: server.token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const quick = await waitForBuild(server, await startBuild(server, await createProject(server, 'version: 0.2\nphases:\n  build:\n    commands: [echo quick]\n')));
    assert.equal(quick.buildStatus, 'SUCCEEDED', stderr);
    const id = await startBuild(server, await createProject(server, 'version: 0.2\nphases:\n  build:\n    commands: [sleep 120]\n'));
    await waitFor('the build to run', async () => (await server.services.builds.get(id)).currentPhase === 'BUILD');
    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    const build = await waitForBuild(server, id, 5000);
    assert.equal(build.buildStatus, 'STOPPED');
  } finally {
    child.kill('SIGKILL');
    await server.stop();
  }
});

test('nagare agent flags: server and token are required, tags are KEY=VALUE', () => {
  const env = { HOME: '/home/someone' };
  assert.throws(() => compileAgentConfig({ token: 't' }, env), /--server URL/);
  assert.throws(() => compileAgentConfig({ server: 'ftp://x', token: 't' }, env), /http:\/\//);
  assert.throws(() => compileAgentConfig({ server: 'http://x' }, env), /--token/);
  assert.throws(() => compileAgentConfig({ server: 'http://x', token: 't', tag: ['novalue'] }, env), /KEY=VALUE/);
  assert.throws(() => compileAgentConfig({ server: 'http://x', token: 't', executor: 'podman' }, env), /shell or docker/);
  const config = compileAgentConfig({ tag: ['env=prod', 'role=web=1'] }, { ...env, NAGARE_SERVER: 'http://ci:8780', NAGARE_AGENT_TOKEN: 'tok' });
  assert.equal(config.serverUrl, 'http://ci:8780');
  assert.equal(config.token, 'tok');
  assert.deepEqual(config.tags, { env: 'prod', role: 'web=1' });
  // Root's build user could not pass through /root, so a root agent works under /var/lib.
  assert.equal(config.workDir, process.getuid?.() === 0 ? '/var/lib/nagare/agent' : '/home/someone/.local/state/nagare/agent');
});

test('nagare agent flags: --build-user and --allow-run-as take user names, and root only through --allow-root-builds', () => {
  const base = { server: 'http://x', token: 't' };
  assert.throws(() => compileAgentConfig({ ...base, buildUser: 'a b;rm' }, {}), /--build-user must be a user name/);
  assert.throws(() => compileAgentConfig({ ...base, allowRunAs: 'ok,-bad' }, {}), /--allow-run-as takes user names/);
  assert.throws(() => compileAgentConfig({ ...base, allowRunAs: 'deploy,root' }, {}), /--allow-root-builds/);
  const config = compileAgentConfig({ ...base, buildUser: 'ci-builds', allowRunAs: 'deploy, web', allowRootBuilds: true }, {});
  assert.deepEqual([config.buildUser, config.allowRunAs, config.allowRootBuilds], ['ci-builds', ['deploy', 'web'], true]);
  assert.deepEqual([compileAgentConfig(base, {}).buildUser, compileAgentConfig(base, {}).allowRootBuilds], [undefined, false]);
});

test('nagare up: the embedded agent works outside the data directory, which it may not be given', () => {
  const config = compileServerConfig({ dataDir: '/srv/nagare/data' }, { HOME: '/home/someone' });
  assert.ok(!config.agentWorkDir.startsWith('/srv/nagare/data'), config.agentWorkDir);
  assert.notEqual(compileServerConfig({ dataDir: '/srv/other' }, { HOME: '/home/someone' }).agentWorkDir, config.agentWorkDir, 'two data directories get two work directories');
  assert.throws(() => compileServerConfig({ dataDir: '/srv/nagare/data', workDir: '/srv/nagare/data/work' }, {}), /--work-dir must be outside the data directory/);
});

test('nagare agent --fleet --labels --image-map joins the fleet, and nagare agent list shows its fleet, labels, image map, health and current job', async () => {
  const server = await startTestServer();
  await server.services.fleets.create({ name: 'cli-fleet', baseCapacity: 1, environmentType: 'LINUX_CONTAINER', computeType: 'BUILD_GENERAL1_SMALL' });
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-agent-cli-'));
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'agent', '--name', 'fleet-agent', '--fleet', 'cli-fleet', '--labels', 'large,GPU', '--image-map', 'aws/codebuild/*=nagare/base:latest', '--executor', 'shell', '--work-dir', workDir, '--poll-seconds', '1'], {
    env: { ...process.env, NAGARE_SERVER: server.url, NAGARE_AGENT_TOKEN: server.token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await waitFor('the agent to register', async () => (await server.services.agents.list()).length === 1);
    const project = await createProject(server, 'version: 0.2\nphases:\n  build:\n    commands: [sleep 120]\n');
    await server.services.projects.update(project, { environment: { image: 'shell', fleet: { fleetArn: 'cli-fleet' } } });
    const id = await startBuild(server, project);
    await waitFor('the build to run', async () => (await server.services.builds.get(id)).currentPhase === 'BUILD');
    const listed = await run(['agent', 'list', '--server', server.url, '--token', server.token, '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const [agent] = JSON.parse(listed.stdout) as { name: string; fleet: string; labels: string[]; imageMap: string[]; health: string; currentJobs: string[] }[];
    assert.deepEqual(agent && { name: agent.name, fleet: agent.fleet, labels: agent.labels, imageMap: agent.imageMap, health: agent.health, currentJobs: agent.currentJobs }, { name: 'fleet-agent', fleet: 'cli-fleet', labels: ['gpu', 'large'], imageMap: ['aws/codebuild/*=nagare/base:latest'], health: 'CONNECTED', currentJobs: [id] }, stderr);
    const table = await run(['agent', 'list', '--server', server.url, '--token', server.token]);
    assert.match(table.stdout, /fleet-agent\s+cli-fleet\s+gpu,large\s+aws\/codebuild\/\*=nagare\/base:latest\s+CONNECTED/);
  } finally {
    child.kill('SIGKILL');
    await server.stop();
  }
});

test('nagare agent flags: --labels are label names and --fleet a fleet name', () => {
  const base = { server: 'http://x', token: 't' };
  assert.throws(() => compileAgentConfig({ ...base, labels: 'ok,not ok' }, {}), /--labels/);
  assert.throws(() => compileAgentConfig({ ...base, fleet: 'no/slash' }, {}), /--fleet/);
  assert.deepEqual(compileAgentConfig({ ...base, labels: ' Large, ssd ,large' }, {}).labels, ['large', 'ssd']);
  assert.equal(compileAgentConfig(base, { NAGARE_AGENT_FLEET: 'linux' }).fleet, 'linux');
});

test('nagare agent --image-map takes PATTERN=IMAGE rules in order, or NAGARE_IMAGE_MAP separated by commas; anything else is CONFIG_INVALID', () => {
  const base = { server: 'http://x', token: 't' };
  assert.deepEqual(compileAgentConfig({ ...base, imageMap: ['aws/codebuild/*=nagare/base:latest', 'node:*=node:20'] }, {}).imageMap.map((m) => m.pattern), ['aws/codebuild/*', 'node:*']);
  assert.deepEqual(compileAgentConfig(base, { NAGARE_IMAGE_MAP: 'a/*=b:1, c=d' }).imageMap, [{ pattern: 'a/*', image: 'b:1' }, { pattern: 'c', image: 'd' }]);
  assert.throws(() => compileAgentConfig({ ...base, imageMap: ['no-equals-sign'] }, {}), /--image-map takes PATTERN=IMAGE/);
});

function run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}
