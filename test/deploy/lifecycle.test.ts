// The lifecycle on one instance, with real scripts and processes: event order and results, the
// hook variables, ApplicationStop from the last successful install, timeouts killing the script's
// whole process group, runas, scripts.log, and an event interrupted by a killed agent.
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runInstanceDeployment, takeInterruptedEvents } from '../../src/deploy/instance-deployment.js';
import { appspec, deploy, newHost, request, statuses, tempDir, writeRevision } from './deploy-support.js';

/** A live process (a zombie, dead but not reaped by its new parent, does not count). */
const isAlive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
};

void describe('lifecycle events on one instance', () => {
  void test('hook scripts get LIFECYCLE_EVENT, DEPLOYMENT_ID, APPLICATION_NAME, DEPLOYMENT_GROUP_NAME and DEPLOYMENT_GROUP_ID and run in the revision directory', async () => {
    const host = await newHost();
    const out = path.join(await tempDir(), 'env.txt');
    const revision = await writeRevision({
      'appspec.yml': appspec('hooks:\n  AfterInstall:\n    - location: scripts/env.sh\n  ApplicationStart:\n    - location: scripts/env.sh\n'),
      'scripts/env.sh': { script: `echo "$LIFECYCLE_EVENT|$DEPLOYMENT_ID|$APPLICATION_NAME|$DEPLOYMENT_GROUP_NAME|$DEPLOYMENT_GROUP_ID|$(pwd)|\${NAGARE_SECRET:-unset}" >> ${out}` },
    });
    process.env.NAGARE_SECRET = 'agent-token';
    const { id, results } = await deploy(host, revision).finally(() => {
      delete process.env.NAGARE_SECRET;
    });
    assert.deepEqual(statuses(results), ['ApplicationStop:Skipped', 'DownloadBundle:Succeeded', 'BeforeInstall:Succeeded', 'Install:Succeeded', 'AfterInstall:Succeeded', 'ApplicationStart:Succeeded', 'ValidateService:Succeeded']);
    const archive = path.join(host.deploymentRoot, 'a1b2c3d4-dg', id, 'deployment-archive');
    assert.deepEqual((await readFile(out, 'utf8')).trim().split('\n'), [
      `AfterInstall|${id}|WebApp|Beta|a1b2c3d4-dg|${archive}|unset`,
      `ApplicationStart|${id}|WebApp|Beta|a1b2c3d4-dg|${archive}|unset`,
    ]);
  });

  void test('the deployment root keeps the agent layout: deployment-archive, logs/scripts.log and the deployment-instructions records', async () => {
    const host = await newHost();
    const revision = await writeRevision({
      'appspec.yml': appspec(`files:\n  - source: web\n    destination: ${host.www}\nhooks:\n  ValidateService:\n    - location: check.sh\n`),
      'web/index.html': 'hello',
      'check.sh': { script: 'echo healthy; echo warning >&2' },
    });
    const { id } = await deploy(host, revision);
    const group = path.join(host.deploymentRoot, 'a1b2c3d4-dg');
    assert.deepEqual((await readdir(path.join(host.deploymentRoot, 'deployment-instructions'))).sort(), [
      'a1b2c3d4-dg-cleanup', 'a1b2c3d4-dg-install.json', 'a1b2c3d4-dg_last_successful_install', 'a1b2c3d4-dg_most_recent_install',
    ]);
    assert.equal(await readFile(path.join(host.deploymentRoot, 'deployment-instructions', 'a1b2c3d4-dg_last_successful_install'), 'utf8'), path.join(group, id));
    const log = await readFile(path.join(group, id, 'logs', 'scripts.log'), 'utf8');
    assert.match(log, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d LifecycleEvent - ValidateService\n\S+ \S+ Script - check.sh\n\S+ \S+ \[stdout\]healthy\n\S+ \S+ \[stderr\]warning\n$/);
    assert.match(await readFile(path.join(host.deploymentRoot, 'deployment-logs', 'codedeploy-agent-deployments.log'), 'utf8'), new RegExp(`\\[${id}\\] ValidateService Succeeded`));
  });

  void test('a failing script fails its event with ScriptFailed and the exit code, and the later events are Skipped', async () => {
    const host = await newHost();
    const revision = await writeRevision({
      'appspec.yml': appspec(`files:\n  - source: web\n    destination: ${host.www}\nhooks:\n  BeforeInstall:\n    - location: ok.sh\n    - location: fail.sh\n    - location: never.sh\n`),
      'web/index.html': 'hello',
      'ok.sh': { script: 'echo first' },
      'fail.sh': { script: 'echo about to fail; exit 3' },
      'never.sh': { script: `touch ${host.www}.never` },
    });
    const { results, byName } = await deploy(host, revision);
    assert.deepEqual(statuses(results).slice(2), ['BeforeInstall:Failed', 'Install:Skipped', 'AfterInstall:Skipped', 'ApplicationStart:Skipped', 'ValidateService:Skipped']);
    const diagnostics = byName('BeforeInstall').diagnostics;
    assert.equal(diagnostics?.errorCode, 'ScriptFailed');
    assert.equal(diagnostics?.scriptName, 'fail.sh');
    assert.match(diagnostics?.message ?? '', /fail\.sh failed with exit code 3/);
    assert.match(diagnostics?.logTail ?? '', /\[stdout\]about to fail\n$/);
    assert.equal(existsSync(`${host.www}.never`), false, 'the scripts after the failed one do not run');
    assert.equal(existsSync(host.www), false, 'nothing is installed after a failed BeforeInstall');
  });

  void test('a missing script fails with ScriptMissing; a script without the executable bit is made executable and runs', async () => {
    const host = await newHost();
    const revision = await writeRevision({
      'appspec.yml': appspec('hooks:\n  AfterInstall:\n    - location: plain.sh\n  ApplicationStart:\n    - location: scripts/missing.sh\n'),
      'plain.sh': '#!/bin/sh\necho ran\n',
    });
    const { byName } = await deploy(host, revision);
    assert.equal(byName('AfterInstall').status, 'Succeeded');
    assert.equal(byName('ApplicationStart').status, 'Failed');
    assert.equal(byName('ApplicationStart').diagnostics?.errorCode, 'ScriptMissing');
    assert.match(byName('ApplicationStart').diagnostics?.message ?? '', /Script does not exist at specified location: .*scripts\/missing\.sh/);
  });

  void test('a script running past its timeout fails with ScriptTimedOut and its whole process group is killed', async () => {
    const host = await newHost();
    const pids = path.join(await tempDir(), 'pids');
    const revision = await writeRevision({
      'appspec.yml': appspec('hooks:\n  ApplicationStart:\n    - location: slow.sh\n      timeout: 1\n'),
      'slow.sh': { script: `sleep 300 & echo $! > ${pids}\n(sleep 300; echo never) &\necho $! >> ${pids}\nsleep 300` },
    });
    const started = Date.now();
    const { byName } = await deploy(host, revision);
    assert.ok(Date.now() - started < 20_000, 'the timeout ends the script, not the script itself');
    assert.equal(byName('ApplicationStart').diagnostics?.errorCode, 'ScriptTimedOut');
    assert.match(byName('ApplicationStart').diagnostics?.message ?? '', /failed to complete in 1 seconds/);
    for (const pid of (await readFile(pids, 'utf8')).trim().split('\n').map(Number)) assert.equal(isAlive(pid), false, `background process ${pid} was killed`);
  });

  void test('a script that ends but leaves a background job holding its output fails when the timeout comes, and the job is killed', async () => {
    const host = await newHost();
    const pids = path.join(await tempDir(), 'pids');
    const revision = await writeRevision({
      'appspec.yml': appspec('hooks:\n  ApplicationStart:\n    - location: start.sh\n      timeout: 1\n'),
      'start.sh': { script: `sleep 300 &\necho $! > ${pids}\nexit 0` },
    });
    const { byName } = await deploy(host, revision);
    assert.equal(byName('ApplicationStart').status, 'Failed');
    assert.match(byName('ApplicationStart').diagnostics?.message ?? '', /left its standard output or error open/);
    assert.equal(isAlive(Number((await readFile(pids, 'utf8')).trim())), false);
  });

  void test('ApplicationStop runs the scripts of the last successful install, not those of the new revision; it is Skipped on a first deployment', async () => {
    const host = await newHost();
    const out = path.join(await tempDir(), 'stops.txt');
    const revision = (version: string): Promise<string> => writeRevision({
      'appspec.yml': appspec('hooks:\n  ApplicationStop:\n    - location: stop.sh\n'),
      'stop.sh': { script: `echo "stop from ${version} during $DEPLOYMENT_ID" >> ${out}` },
    });
    const first = await deploy(host, await revision('v1'));
    assert.equal(first.byName('ApplicationStop').status, 'Skipped');
    const second = await deploy(host, await revision('v2'));
    const third = await deploy(host, await revision('v3'));
    assert.equal(second.byName('ApplicationStop').status, 'Succeeded');
    assert.deepEqual((await readFile(out, 'utf8')).trim().split('\n'), [`stop from v1 during ${second.id}`, `stop from v2 during ${third.id}`]);
  });

  void test('a deployment failing after Install still becomes the source of the next ApplicationStop (last successful install is recorded at the end of Install)', async () => {
    const host = await newHost();
    const out = path.join(await tempDir(), 'stops.txt');
    const failing = await writeRevision({
      'appspec.yml': appspec('hooks:\n  ApplicationStop:\n    - location: stop.sh\n  ApplicationStart:\n    - location: start.sh\n'),
      'stop.sh': { script: `echo broken-revision-stop >> ${out}` },
      'start.sh': { script: 'exit 1' },
    });
    assert.equal((await deploy(host, failing)).byName('ApplicationStart').status, 'Failed');
    const next = await writeRevision({ 'appspec.yml': appspec('hooks:\n  ApplicationStop:\n    - location: stop.sh\n'), 'stop.sh': { script: 'exit 0' } });
    await deploy(host, next);
    assert.equal((await readFile(out, 'utf8')).trim(), 'broken-revision-stop');
  });

  void test('ignoreApplicationStopFailures lets a deployment go on past a broken ApplicationStop of the previous revision', async () => {
    const host = await newHost();
    const broken = await writeRevision({ 'appspec.yml': appspec('hooks:\n  ApplicationStop:\n    - location: stop.sh\n'), 'stop.sh': { script: 'exit 7' } });
    await deploy(host, broken);
    const next = await writeRevision({ 'appspec.yml': appspec('') });
    const strict = await deploy(host, next);
    assert.equal(strict.byName('ApplicationStop').status, 'Failed');
    assert.equal(strict.byName('DownloadBundle').status, 'Skipped');
    const lenient = await deploy(host, next, { ignoreApplicationStopFailures: true });
    assert.equal(lenient.byName('ApplicationStop').status, 'Succeeded');
    assert.equal(lenient.byName('ApplicationStop').diagnostics?.errorCode, 'ScriptFailed', 'the ignored failure is still reported');
    assert.equal(lenient.byName('ValidateService').status, 'Succeeded');
  });

  void test('runas runs the script as that user (su <user> -c), whatever characters the deployment root\'s path holds', { skip: process.getuid?.() === 0 ? false : 'runas needs root to switch users' }, async () => {
    const user = 'nagare-deploy-test';
    if (spawnSyncStatus('id', [user]) !== 0) execFileSync('useradd', ['--no-create-home', '--shell', '/bin/sh', user]);
    const base = await newHost();
    const host = { ...base, deploymentRoot: `${base.deploymentRoot} with 'quotes' and spaces` };
    const dir = await tempDir();
    execFileSync('chmod', ['777', dir]);
    const out = path.join(dir, 'whoami.txt');
    const revision = await writeRevision({
      'appspec.yml': appspec(`hooks:\n  ApplicationStart:\n    - location: who.sh\n      runas: ${user}\n  ValidateService:\n    - location: who.sh\n`),
      'who.sh': { script: `id -un >> ${out}` },
    });
    // The user must reach the script in the deployment root, as under /opt/codedeploy-agent.
    execFileSync('chmod', ['-R', 'a+rX', revision]);
    execFileSync('chmod', ['a+rx', path.dirname(host.deploymentRoot)]);
    const { results, byName } = await deploy(host, revision);
    assert.equal(byName('ApplicationStart').diagnostics, undefined);
    assert.deepEqual(statuses(results).slice(-2), ['ApplicationStart:Succeeded', 'ValidateService:Succeeded']);
    assert.deepEqual((await readFile(out, 'utf8')).trim().split('\n'), [user, 'root']);
  });

  void test('the same deployment delivered again unpacks its bundle from scratch and runs its events again', async () => {
    const host = await newHost();
    const revision = await writeRevision({ 'appspec.yml': appspec(`files:\n  - source: site\n    destination: ${host.www}\n`), 'site/a.txt': 'a' });
    const deployment = request(host, revision);
    const first = await runInstanceDeployment(deployment, {});
    const again = await runInstanceDeployment(deployment, {});
    assert.deepEqual(statuses(again).slice(1), statuses(first).slice(1));
    assert.equal(again[0]?.status, 'Succeeded', 'ApplicationStop now has a last successful install: this one');
    assert.ok(again.every((result) => result.status !== 'Failed'), JSON.stringify(again));
  });

  void test('stopping a deployment (its signal) kills the running script and skips the rest', async () => {
    const host = await newHost();
    const revision = await writeRevision({ 'appspec.yml': appspec('hooks:\n  BeforeInstall:\n    - location: wait.sh\n'), 'wait.sh': { script: 'sleep 300' } });
    const controller = new AbortController();
    const seen: string[] = [];
    const running = runInstanceDeployment(request(host, revision), {
      signal: controller.signal,
      onEvent: (result) => {
        seen.push(`${result.name}:${result.status}`);
        if (result.name === 'DownloadBundle') setTimeout(() => controller.abort(), 200);
      },
    });
    const results = await running;
    assert.deepEqual(statuses(results), seen, 'onEvent reports every result as it is known');
    assert.deepEqual(statuses(results).slice(2), ['BeforeInstall:Failed', 'Install:Skipped', 'AfterInstall:Skipped', 'ApplicationStart:Skipped', 'ValidateService:Skipped']);
  });

  void test('an agent killed during a hook leaves a marker, and after restart that event is reported Failed once (never run again)', async () => {
    const host = await newHost();
    const started = path.join(await tempDir(), 'started');
    const revision = await writeRevision({ 'appspec.yml': appspec('hooks:\n  AfterInstall:\n    - location: long.sh\n'), 'long.sh': { script: `touch ${started}; sleep 300` } });
    const deployment = request(host, revision);
    const runner = path.join(import.meta.dirname, 'run-deployment.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', runner, JSON.stringify(deployment)], { stdio: 'ignore', detached: true });
    for (let waited = 0; !existsSync(started); waited += 50) {
      assert.ok(waited < 30_000, 'the hook started');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    process.kill(child.pid ?? 0, 'SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-(child.pid ?? 0), 'SIGKILL');
    } catch {
      // the group is gone already
    }
    const interrupted = await takeInterruptedEvents(host.deploymentRoot, () => 42);
    assert.equal(interrupted.length, 1);
    assert.equal(interrupted[0]?.deploymentId, deployment.deploymentId);
    assert.equal(interrupted[0]?.result.name, 'AfterInstall');
    assert.equal(interrupted[0]?.result.status, 'Failed');
    assert.match(interrupted[0]?.result.diagnostics?.message ?? '', /agent stopped while AfterInstall/);
    assert.deepEqual(await takeInterruptedEvents(host.deploymentRoot), [], 'reported once');
  });
});

function spawnSyncStatus(command: string, args: string[]): number {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return 0;
  } catch {
    return 1;
  }
}
