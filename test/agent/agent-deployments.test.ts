/**
 * CodeDeploy deployments through real `nagare agent --instance-name` processes (the CLI from its
 * sources) against a real server over HTTP: the agents register as on-premises instances with
 * their tags, a deployment group selects them, revisions whose hooks write files roll out
 * OneAtATime and AllAtOnce, a failing ValidateService rolls back, an agent killed in a hook
 * reports that event Failed (the CodeDeploy agent's code 7) when it comes back, an agent started
 * with --no-builds is never given a build, and bad flags exit 2.
 *
 * The instances share this host, so each agent's hooks write under their own directory, named by
 * HOOK_OUT in the agent's environment (hooks inherit the agent's environment, as CodeDeploy's do).
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { Deployment, RevisionLocation } from '../../src/core/deployment.js';
import { compileAgentConfig } from '../../src/config/agent-config.js';
import { compileServerConfig } from '../../src/config/server-config.js';
import { CLI_SOURCE, childEnvironment, runCliFromSources } from '../support/cli-server.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createProject, startBuild, waitFor } from './agent-harness.js';

const APP = 'web-app';
/** Bound on waiting for a deployment, so that a broken agent fails the test instead of hanging it. */
const DEPLOYMENT_WAIT_MS = 50_000;

interface InstanceAgent {
  child: ChildProcess;
  stderr: string;
  readonly name: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Where this instance's hooks write (HOOK_OUT). */
  readonly out: string;
  readonly deploymentRoot: string;
}

let server: TestServer;
let base: string;
const agents = new Map<string, InstanceAgent>();

function spawnAgent(agent: Omit<InstanceAgent, 'child' | 'stderr'>): InstanceAgent {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_SOURCE, 'agent', ...agent.args], { env: agent.env, stdio: ['ignore', 'ignore', 'pipe'] });
  const running: InstanceAgent = { ...agent, child, stderr: '' };
  child.stderr?.on('data', (chunk: Buffer) => (running.stderr += chunk.toString()));
  return running;
}

async function startInstanceAgent(name: string, extra: readonly string[] = [], env: Record<string, string> = {}): Promise<InstanceAgent> {
  const out = path.join(base, 'out', name);
  const deploymentRoot = path.join(base, 'roots', name);
  await mkdir(out, { recursive: true });
  const args = ['--name', name, '--instance-name', name, '--tags', `env=e2e,name=${name}`, '--deployment-root', deploymentRoot, '--work-dir', path.join(base, 'work', name), '--executor', 'shell', '--poll-seconds', '1', ...extra];
  const agent = spawnAgent({ name, args, env: childEnvironment({ NAGARE_SERVER: server.url, NAGARE_AGENT_TOKEN: server.token, HOOK_OUT: out, ...env }), out, deploymentRoot });
  agents.set(name, agent);
  return agent;
}

async function stopAgent(agent: InstanceAgent, signal: NodeJS.Signals): Promise<void> {
  if (agent.child.exitCode !== null || agent.child.signalCode !== null) return;
  const exited = new Promise((resolve) => agent.child.once('exit', resolve));
  agent.child.kill(signal);
  await exited;
}

/** One hook script for every event: it records what it was told, and ApplicationStart "installs" version.txt for this instance. */
const HOOK = `#!/bin/sh
set -e
echo "$LIFECYCLE_EVENT $DEPLOYMENT_ID $APPLICATION_NAME $DEPLOYMENT_GROUP_NAME $(cat version.txt)" >> "$HOOK_OUT/hooks.log"
echo "hook $LIFECYCLE_EVENT ran"
if [ "$LIFECYCLE_EVENT" = ApplicationStart ]; then cp version.txt "$HOOK_OUT/version.txt"; fi
if [ "$LIFECYCLE_EVENT" = ValidateService ] && [ "$(cat version.txt)" = "\${FAIL_VALIDATE:-}" ]; then echo "health check failed" >&2; exit 1; fi
exit 0
`;

function appSpec(options: { files?: string; applicationStart?: string } = {}): string {
  const hook = (event: string, location = 'scripts/hook.sh') => `  ${event}:\n    - location: ${location}\n      timeout: 60\n`;
  return `version: 0.0\nos: linux\n${options.files ?? ''}hooks:\n${['ApplicationStop', 'BeforeInstall', 'AfterInstall'].map((e) => hook(e)).join('')}${hook('ApplicationStart', options.applicationStart)}${hook('ValidateService')}`;
}

/** A revision directory: appspec.yml, version.txt, scripts/, app/index.html. */
async function revisionDir(version: string, spec: string, extraScripts: Record<string, string> = {}): Promise<string> {
  const dir = path.join(base, 'revisions', version);
  await mkdir(path.join(dir, 'scripts'), { recursive: true });
  await mkdir(path.join(dir, 'app'), { recursive: true });
  await writeFile(path.join(dir, 'appspec.yml'), spec);
  await writeFile(path.join(dir, 'version.txt'), `${version}\n`);
  await writeFile(path.join(dir, 'app', 'index.html'), `<p>${version}</p>\n`);
  for (const [name, text] of Object.entries({ 'hook.sh': HOOK, ...extraScripts })) {
    await writeFile(path.join(dir, 'scripts', name), text);
    await chmod(path.join(dir, 'scripts', name), 0o755);
  }
  return dir;
}

/** A tgz revision pushed to the server's revision store (what `aws deploy push` leaves in S3). */
async function pushTgz(dir: string, key: string): Promise<RevisionLocation> {
  const file = `${dir}.tgz`;
  await promisify(execFile)('tar', ['-czf', file, '-C', dir, '.']);
  return server.services.deployments.revisions.push('nagare-revisions', key, 'tgz', await readFile(file));
}

async function deploymentEnded(deploymentId: string): Promise<Deployment> {
  let deployment: Deployment | undefined;
  await waitFor(`deployment ${deploymentId} to end`, async () => {
    deployment = await server.services.deployments.get(deploymentId);
    return server.services.deployments.isComplete(deployment);
  }, DEPLOYMENT_WAIT_MS);
  assert.ok(deployment);
  return deployment;
}

function agentLogs(): string {
  return [...agents.values()].map((agent) => `--- ${agent.name}\n${agent.stderr}`).join('\n');
}

async function hookLines(instance: string, deploymentId: string): Promise<string[]> {
  const text = await readFile(path.join(base, 'out', instance, 'hooks.log'), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.includes(deploymentId));
}

before(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), 'nagare-agent-deploy-'));
  // As root, the agents' build user must pass through to their work directories.
  await chmod(base, 0o711);
  server = await startTestServer({ schedulerIntervalMs: 500, leaseMs: 60_000 });
  await startInstanceAgent('web-1', [], { FAIL_VALIDATE: 'v3' });
  await startInstanceAgent('web-2');
  await startInstanceAgent('web-3', ['--no-builds']);
  await waitFor('three instances to register', async () => (await server.services.deployments.instances.list('Registered')).length === 3, 60_000)
    .catch((error: unknown) => assert.fail(`${String(error)}\n${agentLogs()}`));
  await server.services.deployments.applications.createApplication(APP);
  await server.services.deployments.applications.createGroup({ applicationName: APP, deploymentGroupName: 'prod', onPremisesInstanceTagFilters: [{ Key: 'env', Value: 'e2e', Type: 'KEY_AND_VALUE' }] });
});

after(async () => {
  for (const agent of agents.values()) await stopAgent(agent, 'SIGKILL');
  await server?.stop();
  await rm(base, { recursive: true, force: true });
});

test('agents started with --instance-name and --tags register as on-premises instances with those tags, and --no-builds ones for deploy jobs only', async () => {
  const web3 = await server.services.deployments.instances.get('web-3');
  assert.deepEqual(web3.tags, [{ Key: 'env', Value: 'e2e' }, { Key: 'name', Value: 'web-3' }]);
  const kinds = new Map((await server.services.context.store.agents.list()).map((agent) => [agent.name, [...agent.kinds].sort()]));
  assert.deepEqual(kinds.get('web-1'), ['build', 'deploy']);
  assert.deepEqual(kinds.get('web-3'), ['deploy']);
});

test('a revision rolls out OneAtATime then AllAtOnce to the instances the group selects by tag; hooks see APPLICATION_NAME, DEPLOYMENT_GROUP_NAME, DEPLOYMENT_ID and LIFECYCLE_EVENT; scripts.log is kept in the deployment root', async () => {
  const www = path.join(base, 'www');
  const v1 = await revisionDir('v1', appSpec({ files: `files:\n  - source: app\n    destination: ${www}\nfile_exists_behavior: OVERWRITE\n` }));
  const pushed = await runCliFromSources(['deploy', 'push', '--application-name', APP, '--source', v1], { NAGARE_SERVER: server.url, NAGARE_TOKEN: server.token });
  assert.equal(pushed.status, 0, pushed.stderr);
  const location = /--s3-location bucket=([^,]+),key=([^,]+),bundleType=zip/.exec(pushed.stdout);
  assert.ok(location?.[1] && location[2], pushed.stdout);
  const first = await server.services.deployments.create({ applicationName: APP, deploymentGroupName: 'prod', deploymentConfigName: 'CodeDeployDefault.OneAtATime', revision: { revisionType: 'S3', s3Location: { bucket: location[1], key: location[2], bundleType: 'zip' } } });
  const one = await deploymentEnded(first.deploymentId);
  assert.equal(one.rollout.status, 'Succeeded', `${JSON.stringify(one.rollout, null, 1)}\n${agentLogs()}`);
  const group = await server.services.deployments.applications.group(APP, 'prod');
  const ran = [...one.rollout.instances].sort((a, b) => (a.startTime ?? 0) - (b.startTime ?? 0));
  assert.deepEqual(ran.map((i) => i.status), ['Succeeded', 'Succeeded', 'Succeeded']);
  for (let i = 1; i < ran.length; i++) assert.ok((ran[i]?.startTime ?? 0) >= (ran[i - 1]?.endTime ?? Infinity), 'OneAtATime: each instance starts after the one before ended');
  assert.equal(await readFile(path.join(www, 'index.html'), 'utf8'), '<p>v1</p>\n');
  for (const name of ['web-1', 'web-2', 'web-3']) {
    const agent = agents.get(name);
    assert.ok(agent);
    const lines = await hookLines(name, first.deploymentId);
    assert.deepEqual(lines, ['BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService'].map((event) => `${event} ${first.deploymentId} ${APP} prod v1`), 'ApplicationStop is skipped on a first deployment');
    assert.equal(await readFile(path.join(agent.out, 'version.txt'), 'utf8'), 'v1\n');
    const cleanup = await readFile(path.join(agent.deploymentRoot, 'deployment-instructions', `${group.deploymentGroupId}-cleanup`), 'utf8');
    assert.match(cleanup, new RegExp(`${path.join(www, 'index.html').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), `${name} installed the revision's files`);
    const scriptsLog = await readFile(path.join(agent.deploymentRoot, group.deploymentGroupId, first.deploymentId, 'logs', 'scripts.log'), 'utf8');
    assert.match(scriptsLog, /LifecycleEvent - ApplicationStart/);
    assert.match(scriptsLog, /\[stdout\]hook ApplicationStart ran/);
    assert.equal(existsSync(path.join(agent.deploymentRoot, group.deploymentGroupId, first.deploymentId, 'bundle-download')), false, 'the downloaded bundle is removed once unpacked');
  }

  // v2 has no files: its Install removes what v1 installed, on the three instances at once.
  const second = await server.services.deployments.create({ applicationName: APP, deploymentGroupName: 'prod', deploymentConfigName: 'CodeDeployDefault.AllAtOnce', revision: await pushTgz(await revisionDir('v2', appSpec()), `${APP}/v2.tgz`) });
  const all = await deploymentEnded(second.deploymentId);
  assert.equal(all.rollout.status, 'Succeeded', `${JSON.stringify(all.rollout, null, 1)}\n${agentLogs()}`);
  for (const name of ['web-1', 'web-2', 'web-3']) {
    assert.equal(await readFile(path.join(base, 'out', name, 'version.txt'), 'utf8'), 'v2\n');
    // ApplicationStop runs the last successful revision's script: v1's.
    assert.deepEqual(await hookLines(name, second.deploymentId), [`ApplicationStop ${second.deploymentId} ${APP} prod v1`, ...['BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService'].map((event) => `${event} ${second.deploymentId} ${APP} prod v2`)]);
  }
  assert.equal(existsSync(path.join(www, 'index.html')), false, 'the files v1 installed are removed by the next Install');
});

test('a ValidateService that fails on one instance fails a OneAtATime deployment, and DEPLOYMENT_FAILURE rolls back to the previous revision', async () => {
  // web-1 fails ValidateService for v3 (FAIL_VALIDATE=v3); it deploys first, its name coming first among equals.
  const created = await server.services.deployments.create({
    applicationName: APP,
    deploymentGroupName: 'prod',
    deploymentConfigName: 'CodeDeployDefault.OneAtATime',
    autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] },
    revision: await pushTgz(await revisionDir('v3', appSpec()), `${APP}/v3.tgz`),
  });
  const failed = await deploymentEnded(created.deploymentId);
  assert.equal(failed.rollout.status, 'Failed', agentLogs());
  assert.equal(failed.rollout.errorInformation?.code, 'HEALTH_CONSTRAINTS');
  const web1 = failed.rollout.instances.find((i) => i.instanceName === 'web-1');
  const validate = web1?.lifecycleEvents.find((e) => e.lifecycleEventName === 'ValidateService');
  assert.equal(validate?.status, 'Failed');
  assert.equal(validate?.diagnostics?.errorCode, 'ScriptFailed');
  assert.match(validate?.diagnostics?.message ?? '', /scripts\/hook\.sh failed with exit code 1/);
  assert.match(validate?.diagnostics?.logTail ?? '', /health check failed/);
  assert.deepEqual(failed.rollout.instances.filter((i) => i.instanceName !== 'web-1').map((i) => i.status), ['Skipped', 'Skipped']);

  const rollbackId = failed.rollbackInfo?.rollbackDeploymentId;
  assert.ok(rollbackId, JSON.stringify(failed.rollbackInfo));
  const rollback = await deploymentEnded(rollbackId);
  assert.equal(rollback.rollout.status, 'Succeeded', `${JSON.stringify(rollback.rollout, null, 1)}\n${agentLogs()}`);
  assert.equal(rollback.creator, 'codeDeployRollback');
  assert.equal(rollback.rollbackInfo?.rollbackTriggeringDeploymentId, created.deploymentId);
  for (const name of ['web-1', 'web-2', 'web-3']) assert.equal(await readFile(path.join(base, 'out', name, 'version.txt'), 'utf8'), 'v2\n', `${name} is back on v2`);
  assert.deepEqual((await hookLines('web-2', created.deploymentId)), [], 'web-2 never ran v3');
});

test('an agent killed during a hook reports that event Failed with the CodeDeploy agent\'s code 7 when it restarts on the same deployment root, and nothing runs twice', async () => {
  await server.services.deployments.applications.createGroup({ applicationName: APP, deploymentGroupName: 'solo', onPremisesInstanceTagFilters: [{ Key: 'name', Value: 'web-2', Type: 'KEY_AND_VALUE' }] });
  const sleeper = '#!/bin/sh\necho started >> "$HOOK_OUT/sleep-starts"\necho $$ > "$HOOK_OUT/sleeping.pid"\nexec sleep 300\n';
  const revision = await pushTgz(await revisionDir('v-sleep', appSpec({ applicationStart: 'scripts/sleep.sh' }), { 'sleep.sh': sleeper }), `${APP}/v-sleep.tgz`);
  const created = await server.services.deployments.create({ applicationName: APP, deploymentGroupName: 'solo', revision });
  const web2 = agents.get('web-2');
  assert.ok(web2);
  const pidFile = path.join(web2.out, 'sleeping.pid');
  let sleeping: number | undefined;
  try {
    await waitFor('the hook to sleep', () => existsSync(pidFile) && /^\d+\n$/.test(readFileSyncSafe(pidFile)), DEPLOYMENT_WAIT_MS);
    sleeping = Number(readFileSyncSafe(pidFile).trim());
    await stopAgent(web2, 'SIGKILL');
    const restarted = spawnAgent({ name: web2.name, args: web2.args, env: web2.env, out: web2.out, deploymentRoot: web2.deploymentRoot });
    agents.set(web2.name, restarted);

    const ended = await deploymentEnded(created.deploymentId);
    assert.equal(ended.rollout.status, 'Failed', `${JSON.stringify(ended.rollout, null, 1)}\n${agentLogs()}`);
    const [instance] = ended.rollout.instances;
    assert.equal(instance?.failure, undefined, 'failed by the restarted agent\'s report, not by a lost lease');
    const events = new Map(instance?.lifecycleEvents.map((e) => [e.lifecycleEventName, e]));
    assert.equal(events.get('ApplicationStart')?.status, 'Failed');
    assert.equal(events.get('ApplicationStart')?.diagnostics?.errorCode, 'UnknownError');
    assert.match(events.get('ApplicationStart')?.diagnostics?.message ?? '', /^Failed: Failing in-progress lifecycle event after an agent restart\..*error code 7/);
    assert.equal(events.get('ValidateService')?.status, 'Skipped');
    assert.equal(events.get('AfterInstall')?.status, 'Succeeded');
    assert.equal(await readFile(path.join(web2.out, 'sleep-starts'), 'utf8'), 'started\n', 'the interrupted hook ran once');
    assert.deepEqual(await hookLines('web-2', created.deploymentId), ['BeforeInstall', 'AfterInstall'].map((event) => `${event} ${created.deploymentId} ${APP} solo v-sleep`), 'no event ran twice, none after the interrupted one');
    await waitFor('the restarted agent to say it reported the event', () => restarted.stderr.includes('reported Failed'));
  } finally {
    // A script the killed agent left running is not the new agent's to kill (as with CodeDeploy's agent).
    if (sleeping !== undefined) {
      try {
        process.kill(-sleeping, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});

test('StopDeployment stops the hook an instance is running: its process group is killed and the agent takes the next job', async () => {
  const web2 = agents.get('web-2');
  assert.ok(web2);
  const pidFile = path.join(web2.out, 'sleeping.pid');
  await rm(pidFile, { force: true });
  const revision = await pushTgz(path.join(base, 'revisions', 'v-sleep'), `${APP}/v-sleep-again.tgz`);
  const created = await server.services.deployments.create({ applicationName: APP, deploymentGroupName: 'solo', revision });
  await waitFor('the hook to sleep', () => /^\d+\n$/.test(readFileSyncSafe(pidFile)), DEPLOYMENT_WAIT_MS);
  const sleeping = Number(readFileSyncSafe(pidFile).trim());
  const answer = await server.services.deployments.stop(created.deploymentId);
  assert.equal(answer.status, 'Pending', 'an instance was still running its events');
  await waitFor('the agent to kill the hook\'s process group', () => !alive(sleeping), DEPLOYMENT_WAIT_MS);
  const stopped = await server.services.deployments.get(created.deploymentId);
  assert.equal(stopped.rollout.status, 'Stopped');
  // The agent is free again: the next deployment to its instance runs.
  const next = await server.services.deployments.create({ applicationName: APP, deploymentGroupName: 'solo', revision: await pushTgz(path.join(base, 'revisions', 'v2'), `${APP}/v2-solo.tgz`) });
  const ended = await deploymentEnded(next.deploymentId);
  assert.equal(ended.rollout.status, 'Succeeded', `${JSON.stringify(ended.rollout, null, 1)}\n${agentLogs()}`);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readFileSyncSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

test('an agent started with --no-builds registers for deploy jobs only and is never given a build', async () => {
  const alone = await startTestServer({ schedulerIntervalMs: 60_000 });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nagare-no-builds-'));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_SOURCE, 'agent', '--name', 'deploy-only', '--instance-name', 'deploy-only', '--no-builds', '--deployment-root', path.join(dir, 'root'), '--poll-seconds', '1'], {
    env: childEnvironment({ NAGARE_SERVER: alone.url, NAGARE_AGENT_TOKEN: alone.token }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await waitFor('the agent to register', async () => (await alone.services.context.store.agents.list()).length === 1, 60_000);
    const [agent] = await alone.services.context.store.agents.list();
    assert.deepEqual(agent?.kinds, ['deploy'], stderr);
    const id = await startBuild(alone, await createProject(alone, 'version: 0.2\nphases:\n  build:\n    commands: [echo never]\n'));
    // The server's own reading of its queue: no connected agent runs builds.
    const build = await alone.services.builds.get(id);
    assert.equal(build.currentPhase, 'QUEUED');
    const context = build.record.phases.find((p) => p.phaseType === 'QUEUED')?.contexts.find((c) => c.statusCode === 'NO_MATCHING_AGENT');
    assert.match(context?.message ?? '', /No agent outside any fleet that runs build jobs is connected/);
    await waitFor('the agent to say it runs no builds', () => /this agent runs no builds \(--no-builds\)/.test(stderr));
  } finally {
    child.kill('SIGKILL');
    await alone.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad instance flags (a tag without =, a bad instance name, --no-builds or --tags without --instance-name) exit 2 with CONFIG_INVALID and say what is wrong', async () => {
  const env = { NAGARE_SERVER: 'http://127.0.0.1:9', NAGARE_AGENT_TOKEN: 'ngr_unused' };
  const badTag = await runCliFromSources(['agent', '--instance-name', 'web-9', '--tags', 'env=prod,oops'], env);
  assert.equal(badTag.status, 2, badTag.stderr);
  assert.match(badTag.stderr, /CONFIG_INVALID.*--tags takes KEY=VALUE pairs separated by commas \(e\.g\. env=prod,role=web\), not 'oops'/);
  assert.doesNotMatch(badTag.stderr, /\n\s+at /, 'no stack trace');
  const badName = await runCliFromSources(['agent', '--instance-name', 'web/1'], env);
  assert.equal(badName.status, 2, badName.stderr);
  assert.match(badName.stderr, /--instance-name must be 1 to 100 letters, digits and \. _ \+ = , @ -, not 'web\/1'/);
  const noInstance = await runCliFromSources(['agent', '--no-builds'], env);
  assert.equal(noInstance.status, 2, noInstance.stderr);
  assert.match(noInstance.stderr, /--no-builds is for an agent that serves an instance: give --instance-name NAME too/);

  const flags = { server: 'http://x', token: 't' };
  assert.throws(() => compileAgentConfig({ ...flags, tags: 'env=prod' }, {}), /--tags is for an agent that serves an instance/);
  assert.throws(() => compileAgentConfig({ ...flags, instanceName: 'a', tags: 'k=1,k=2' }, {}), /names the key 'k' twice/);
  assert.throws(() => compileAgentConfig({ ...flags, instanceName: 'a', tags: Array.from({ length: 11 }, (_, i) => `k${i}=v`).join(',') }, {}), /at most 10 tags/);
  const config = compileAgentConfig({ ...flags, builds: false }, { HOME: '/home/someone', NAGARE_INSTANCE_NAME: 'web-1', NAGARE_INSTANCE_TAGS: 'env=prod, role=web=1' });
  assert.deepEqual(config.instance, { instanceName: 'web-1', tags: [{ Key: 'env', Value: 'prod' }, { Key: 'role', Value: 'web=1' }], deploymentRoot: process.getuid?.() === 0 ? '/opt/nagare/deployment-root' : '/home/someone/.local/state/nagare/deployment-root' });
  assert.equal(config.runBuilds, false);
  assert.equal(compileAgentConfig({ ...flags, builds: true }, { NAGARE_INSTANCE_NAME: 'web-1', NAGARE_NO_BUILDS: 'true' }).runBuilds, false);
  const up = compileServerConfig({ dataDir: '/srv/nagare', instanceName: 'local', tags: 'env=dev' }, { HOME: '/home/someone', NAGARE_INSTANCE_NAME: 'not-for-up' });
  assert.equal(up.agentInstance?.instanceName, 'local', 'nagare up --instance-name serves the host from the embedded agent');
  assert.equal(compileServerConfig({ dataDir: '/srv/nagare' }, { NAGARE_INSTANCE_NAME: 'web-1' }).agentInstance, undefined, 'an agent\'s variables do not make the server an instance');
  assert.throws(() => compileServerConfig({ dataDir: '/srv/nagare', tags: 'oops' }, {}), /--tags is for an agent that serves an instance/);
  const help = await runCliFromSources(['agent', '--help']);
  for (const flag of ['--instance-name', '--tags', '--deployment-root', '--no-builds']) assert.match(help.stdout, new RegExp(flag));
});
