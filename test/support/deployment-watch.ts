/**
 * Reading deployments back through the CodeDeploy API of a test server, and the other processes
 * end-to-end deployment tests need: a build agent on this machine and the compiled CLI.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NagareClient } from '../../src/client/nagare-client.js';
import { childEnvironment, CLI } from './cli-server.js';
import { runProcess } from './processes.js';

export interface DeploymentInfo {
  readonly deploymentId: string;
  readonly status: string;
  readonly creator?: string;
  readonly errorInformation?: { readonly code: string; readonly message: string };
  readonly rollbackInfo?: { readonly rollbackDeploymentId?: string; readonly rollbackTriggeringDeploymentId?: string; readonly rollbackMessage?: string };
}

export interface InstanceTarget {
  readonly targetId: string;
  readonly status: string;
  readonly lifecycleEvents: readonly { readonly lifecycleEventName: string; readonly status: string; readonly diagnostics?: { readonly errorCode?: string; readonly message?: string } }[];
}

export async function deploymentInfo(client: NagareClient, deploymentId: string): Promise<DeploymentInfo> {
  return (await client.codeDeploy<{ deploymentInfo: DeploymentInfo }>('GetDeployment', { deploymentId })).deploymentInfo;
}

/** The deployment's instances, sorted by name. */
export async function instanceTargets(client: NagareClient, deploymentId: string): Promise<InstanceTarget[]> {
  const { targetIds } = await client.codeDeploy<{ targetIds: string[] }>('ListDeploymentTargets', { deploymentId });
  if (targetIds.length === 0) return [];
  const { deploymentTargets } = await client.codeDeploy<{ deploymentTargets: { instanceTarget: InstanceTarget }[] }>('BatchGetDeploymentTargets', { deploymentId, targetIds });
  return deploymentTargets.map((target) => target.instanceTarget).sort((a, b) => a.targetId.localeCompare(b.targetId));
}

/** `{ name: status }` of the deployment's instances, for one deepEqual. */
export async function instanceStatuses(client: NagareClient, deploymentId: string): Promise<Record<string, string>> {
  return Object.fromEntries((await instanceTargets(client, deploymentId)).map((target) => [target.targetId, target.status]));
}

/** `{ event: status }` of one instance of a deployment. */
export async function lifecycleOf(client: NagareClient, deploymentId: string, instance: string): Promise<Record<string, string>> {
  const target = (await instanceTargets(client, deploymentId)).find((t) => t.targetId === instance);
  assert.ok(target, `${instance} is a target of ${deploymentId}`);
  return Object.fromEntries(target.lifecycleEvents.map((event) => [event.lifecycleEventName, event.status]));
}

const ENDED = new Set(['Succeeded', 'Failed', 'Stopped']);

/** Waits for the deployment to end and returns it. */
export async function deploymentEnded(client: NagareClient, deploymentId: string, explain: () => Promise<string>): Promise<DeploymentInfo> {
  let info = await deploymentInfo(client, deploymentId);
  await until(`deployment ${deploymentId} to end`, async () => ENDED.has((info = await deploymentInfo(client, deploymentId)).status), async () => `${JSON.stringify(info)}\n${JSON.stringify(await instanceTargets(client, deploymentId))}\n${await explain()}`);
  return info;
}

/** Polls `check` until it holds; a deadline (not an assertion on time) turns a hang into a failure that says what it waited for. */
export async function until(what: string, check: () => Promise<boolean> | boolean, explain: () => Promise<string> | string = () => '', timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${await explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/**
 * The compiled CLI against `server` with `token` (never a profile: HOME is a fresh directory).
 * Asynchronous: the test server runs in this process and must keep answering meanwhile.
 */
export function cliRunner(server: string, token: string, home: string): (...args: string[]) => Promise<string> {
  const env = childEnvironment({ NAGARE_SERVER: server, NAGARE_TOKEN: token, HOME: home });
  return async (...args) => {
    const result = await runProcess(process.execPath, [CLI, ...args], { env });
    assert.equal(result.status, 0, `nagare ${args.join(' ')} exited ${String(result.status)}:\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  };
}

export interface BuildAgent {
  readonly child: ChildProcess;
  readonly output: () => string;
  stop(): Promise<void>;
}

/** `nagare agent` on this machine for builds (shell executor), as a build server next to the hosts. */
export async function startBuildAgent(server: string, token: string, name = 'builder'): Promise<BuildAgent> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), `nagare-${name}-`));
  const child = spawn(process.execPath, [CLI, 'agent', '--server', server, '--name', name, '--work-dir', workDir, '--executor', 'shell', '--poll-seconds', '5'], { stdio: ['ignore', 'ignore', 'pipe'], env: childEnvironment({ NAGARE_AGENT_TOKEN: token }) });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.on('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

/** The names of the on-premises instances the server knows. */
export async function registeredInstances(client: NagareClient): Promise<string[]> {
  const { instanceNames } = await client.codeDeploy<{ instanceNames: string[] }>('ListOnPremisesInstances', {});
  return instanceNames;
}
