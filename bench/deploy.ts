/**
 * bench/deploy: a deployment of a no-op-hook revision to 10 instances served by host-shell agents
 * — ten `nagare agent --instance-name bench-N --deployment-root DIR/N --no-builds` processes of the
 * compiled CLI on this machine — with OneAtATime and AllAtOnce, against running the same hook
 * scripts directly. Issue 10's target: < 300 ms per instance of overhead.
 *
 * - OneAtATime runs the instances one after another: its baseline is the five scripts run one
 *   after another ten times; the overhead per instance is (deployment − baseline) / 10.
 * - AllAtOnce runs them together: its baseline is ten sequences of the five scripts run at once;
 *   the overhead per instance is again (deployment − baseline) / 10.
 * The baseline is measured right before each deployment (the machine's load changes).
 *
 * A deployment's time is its record's completeTime − createTime (the server's clock, not this
 * process's polling). One warm-up deployment per group first (the first deployment to an instance
 * has no ApplicationStop). Prints figures and exits 0 whatever they are: timings are never
 * assertions. Needs `npm run build` (the agents are the compiled CLI).
 *
 *   node --import tsx bench/deploy.ts [--instances 10] [--runs 5] [--database sqlite|postgres] [--postgres-url …]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { NagareClient, type Json } from '../src/client/nagare-client.js';
import { startServer } from '../src/main/server.js';
import { postgresSchema } from './queue-processes.js';
import { fixed, machineLoad, percentile, table } from './support/measure.js';

const { values: flags } = parseArgs({ options: { instances: { type: 'string', default: '10' }, runs: { type: 'string', default: '5' }, database: { type: 'string', default: 'sqlite' }, 'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' } } });
const instances = Number(flags.instances);
const runs = Number(flags.runs);
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(CLI)) throw new Error('bench/deploy runs the compiled CLI: npm run build first');
const HOOKS = ['ApplicationStop', 'BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService'];

const work = await mkdtemp(path.join(os.tmpdir(), 'nagare-bench-deploy-'));
const schema = flags.database === 'postgres' ? await postgresSchema(flags['postgres-url'], 'bench_deploy_agents') : undefined;
const server = await startServer({ dataDir: path.join(work, 'data'), databaseUrl: schema?.url, host: '127.0.0.1', port: 0, secretKey: undefined, logLevel: 'error' });
const token = server.initialCredentials?.token ?? '';
const client = new NagareClient({ server: server.url, token });
const agents: ChildProcess[] = [];

/** The revision: an appspec with a no-op script for each scriptable in-place event. */
async function writeRevision(directory: string): Promise<string[]> {
  await mkdir(path.join(directory, 'scripts'), { recursive: true });
  const scripts: string[] = [];
  for (const hook of HOOKS) {
    const script = path.join(directory, 'scripts', `${hook}.sh`);
    await writeFile(script, '#!/bin/sh\nexit 0\n');
    await chmod(script, 0o755);
    scripts.push(script);
  }
  await writeFile(path.join(directory, 'appspec.yml'), `version: 0.0\nos: linux\nhooks:\n${HOOKS.map((hook) => `  ${hook}:\n    - location: scripts/${hook}.sh\n      timeout: 60\n`).join('')}`);
  return scripts;
}

function run(file: string, args: readonly string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NAGARE_SERVER: server.url, NAGARE_TOKEN: token, HOME: work } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** The five scripts one after another, as the hooks of one instance run them; ms. */
async function scriptsDirectly(scripts: readonly string[]): Promise<number> {
  const started = performance.now();
  for (const script of scripts) {
    const { status } = await run(script, []);
    if (status !== 0) throw new Error(`${script} exited ${status}`);
  }
  return performance.now() - started;
}

/** Each instance's lifecycle as its agent reported it: first event's start to last event's end, ms. */
async function hostSpans(deploymentId: string): Promise<number[]> {
  const { targetIds } = await client.codeDeploy<{ targetIds: string[] }>('ListDeploymentTargets', { deploymentId });
  const { deploymentTargets } = await client.codeDeploy<{ deploymentTargets: { instanceTarget: { lifecycleEvents: { startTime?: number; endTime?: number }[] } }[] }>('BatchGetDeploymentTargets', { deploymentId, targetIds });
  return deploymentTargets.map(({ instanceTarget }) => {
    const starts = instanceTarget.lifecycleEvents.flatMap((e) => (e.startTime === undefined ? [] : [e.startTime]));
    const ends = instanceTarget.lifecycleEvents.flatMap((e) => (e.endTime === undefined ? [] : [e.endTime]));
    return (Math.max(...ends) - Math.min(...starts)) * 1000;
  });
}

async function deploy(group: string, revision: Json): Promise<{ ms: number; failed: string; deploymentId: string }> {
  const { deploymentId } = await client.codeDeploy<{ deploymentId: string }>('CreateDeployment', { applicationName: 'bench', deploymentGroupName: group, revision });
  for (;;) {
    const { deploymentInfo: info } = await client.codeDeploy<{ deploymentInfo: { status: string; createTime: number; completeTime?: number; errorInformation?: { message: string } } }>('GetDeployment', { deploymentId });
    if (['Succeeded', 'Failed', 'Stopped'].includes(info.status)) {
      // The AWS API's times are epoch seconds with milliseconds.
      return { deploymentId, ms: ((info.completeTime ?? info.createTime) - info.createTime) * 1000, failed: info.status === 'Succeeded' ? '' : `${deploymentId} ${info.status}: ${info.errorInformation?.message ?? ''}` };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

try {
  for (let i = 0; i < instances; i++) {
    const root = path.join(work, 'hosts', String(i));
    await mkdir(root, { recursive: true });
    const child = spawn(process.execPath, [CLI, 'agent', '--server', server.url, '--name', `bench-${i}`, '--instance-name', `bench-${i}`, '--tags', 'env=bench', '--deployment-root', path.join(root, 'deployment-root'), '--work-dir', path.join(root, 'work'), '--no-builds'], { stdio: 'ignore', env: { ...process.env, NAGARE_AGENT_TOKEN: token, HOME: root } });
    agents.push(child);
  }
  for (let waited = 0; ; waited += 200) {
    const { instanceNames } = await client.codeDeploy<{ instanceNames: string[] }>('ListOnPremisesInstances', {});
    if (instanceNames.length === instances) break;
    if (waited > 120_000) throw new Error(`only ${instanceNames.length} of ${instances} agents registered`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const scripts = await writeRevision(path.join(work, 'revision'));
  await client.codeDeploy('CreateApplication', { applicationName: 'bench', computePlatform: 'Server' });
  const revisionPush = await run(process.execPath, [CLI, 'deploy', 'push', '--application-name', 'bench', '--source', path.join(work, 'revision'), '--json']);
  if (revisionPush.status !== 0) throw new Error(revisionPush.output);
  const revision = { revisionType: 'S3', s3Location: { ...(JSON.parse(revisionPush.output) as { s3Location: Json }).s3Location, bundleType: 'zip' } };

  // The baseline is measured right before each deployment, so that both see the same load.
  const directOne = async (): Promise<number> => {
    let total = 0;
    for (let i = 0; i < instances; i++) total += await scriptsDirectly(scripts);
    return total;
  };
  const directAll = async (): Promise<number> => {
    const started = performance.now();
    await Promise.all(Array.from({ length: instances }, () => scriptsDirectly(scripts)));
    return performance.now() - started;
  };
  const rows: string[][] = [];
  const lines: string[] = [];
  for (const config of ['CodeDeployDefault.OneAtATime', 'CodeDeployDefault.AllAtOnce']) {
    const group = config.split('.')[1] ?? config;
    const oneAtATime = config.endsWith('OneAtATime');
    await client.codeDeploy('CreateDeploymentGroup', { applicationName: 'bench', deploymentGroupName: group, deploymentConfigName: config, onPremisesInstanceTagFilters: [{ Key: 'env', Value: 'bench', Type: 'KEY_AND_VALUE' }] });
    const warmUp = await deploy(group, revision);
    if (warmUp.failed) throw new Error(warmUp.failed);
    const totals: number[] = [];
    const baselines: number[] = [];
    const overheads: number[] = [];
    const spans: number[] = [];
    const between: number[] = [];
    for (let i = 0; i < runs; i++) {
      const baseline = oneAtATime ? await directOne() : await directAll();
      const result = await deploy(group, revision);
      if (result.failed) throw new Error(result.failed);
      totals.push(result.ms);
      baselines.push(baseline);
      overheads.push((result.ms - baseline) / instances);
      const hosts = await hostSpans(result.deploymentId);
      spans.push(...hosts);
      // One after another, what is not an instance's lifecycle is the server and the agents between them.
      if (oneAtATime) between.push((result.ms - hosts.reduce((sum, span) => sum + span, 0)) / instances);
    }
    const total = percentile(totals, 50);
    rows.push([config, `${fixed(total, 0)} ms`, `${fixed(percentile(totals, 90), 0)} ms`, `${fixed(total / instances, 0)} ms`, `${fixed(percentile(baselines, 50), 0)} ms`, `${fixed(percentile(overheads, 50), 0)} ms (${fixed(Math.min(...overheads), 0)}–${fixed(Math.max(...overheads), 0)})`]);
    lines.push(`${config}: deployments ${totals.map((t) => fixed(t, 0)).join(', ')} ms; scripts directly ${baselines.map((t) => fixed(t, 0)).join(', ')} ms; an instance's lifecycle on its host, median ${fixed(percentile(spans, 50), 0)} ms${oneAtATime ? `; server and agents per instance (deployment less the lifecycles, / ${instances}), median ${fixed(percentile(between, 50), 0)} ms` : ''}`);
  }
  console.log(`\nbench/deploy: ${instances} host-shell agents (${flags.database}), a no-op script for each of ${HOOKS.length} hooks, Node ${process.version}, ${machineLoad()}`);
  for (const line of lines) console.log(line);
  console.log('');
  console.log(table(['configuration', 'deployment, median', 'p90', 'per instance', `scripts directly (${instances} instances)`, 'overhead per instance, median (range) — target < 300 ms'], rows));
} finally {
  await Promise.all(agents.map((agent) => new Promise((resolve) => {
    if (agent.exitCode !== null || agent.signalCode !== null) return resolve(undefined);
    agent.once('exit', resolve);
    agent.kill('SIGTERM');
  })));
  await server.stop();
  await schema?.drop();
  await rm(work, { recursive: true, force: true });
}
