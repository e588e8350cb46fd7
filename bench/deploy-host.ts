/**
 * bench/deploy-host: what the host side of a deployment costs on top of the hook scripts it runs.
 *
 * One instance, in process: `runInstanceDeployment` with the seven in-place events and a no-op
 * script for each of the five scriptable ones (ApplicationStop from the previous revision), a
 * revision of 50 small files installed to a destination, against spawning the same five scripts
 * directly one after the other. Alternating in one run; the overhead per instance is the
 * difference of the medians. This is the per-instance part of issue 10's `bench/deploy` target
 * (< 300 ms per instance); the server's rollout and the agents' polling come on top.
 * Prints figures and exits 0 whatever they are: timings are never assertions.
 *
 *   node --import tsx bench/deploy-host.ts [--runs 30] [--files 50]
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { IN_PLACE_EVENTS } from '../src/core/appspec.js';
import { runInstanceDeployment } from '../src/deploy/instance-deployment.js';

const { values: flags } = parseArgs({ options: { runs: { type: 'string', default: '30' }, files: { type: 'string', default: '50' } } });
const runs = Number(flags.runs);
const fileCount = Number(flags.files);
const HOOKS = ['ApplicationStop', 'BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService'];

const work = await mkdtemp(path.join(os.tmpdir(), 'nagare-bench-deploy-'));
const revision = path.join(work, 'revision');
const www = path.join(work, 'www');
await mkdir(path.join(revision, 'scripts'), { recursive: true });
await mkdir(path.join(revision, 'site'), { recursive: true });
for (let index = 0; index < fileCount; index += 1) await writeFile(path.join(revision, 'site', `page-${index}.html`), `<p>${index}</p>\n`.repeat(20));
const scripts = HOOKS.map((hook) => path.join(revision, 'scripts', `${hook}.sh`));
for (const script of scripts) {
  await writeFile(script, '#!/bin/sh\nexit 0\n');
  await chmod(script, 0o755);
}
const hooks = HOOKS.map((hook) => `  ${hook}:\n    - location: scripts/${hook}.sh\n      timeout: 60\n`).join('');
await writeFile(path.join(revision, 'appspec.yml'), `version: 0.0\nos: linux\nfiles:\n  - source: site\n    destination: ${www}\nhooks:\n${hooks}`);

function runDirectly(): Promise<void> {
  return scripts.reduce<Promise<void>>((previous, script) => previous.then(() => new Promise((resolve, reject) => {
    const child = spawn(script, [], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', () => resolve());
  })), Promise.resolve());
}

let deployment = 0;
async function runDeployment(root: string): Promise<void> {
  deployment += 1;
  const results = await runInstanceDeployment({
    deploymentId: `d-${String(deployment).padStart(9, '0')}`,
    applicationName: 'Bench', deploymentGroupName: 'Bench', deploymentGroupId: 'bench-group',
    bundle: { path: revision, type: 'directory' }, deploymentRoot: root,
    fileExistsBehavior: 'DISALLOW', ignoreApplicationStopFailures: false, events: IN_PLACE_EVENTS,
  }, {});
  const failed = results.find((result) => result.status === 'Failed');
  if (failed) throw new Error(`${failed.name} failed: ${failed.diagnostics?.message ?? ''}`);
}

/** Wall time, and this process's CPU time (user + system; children's not counted), in ms. */
const cpu: { direct: number[]; deployed: number[] } = { direct: [], deployed: [] };
const time = async (action: () => Promise<void>, into: number[]): Promise<number> => {
  const started = process.hrtime.bigint();
  const usage = process.cpuUsage();
  await action();
  const used = process.cpuUsage(usage);
  into.push((used.user + used.system) / 1000);
  return Number(process.hrtime.bigint() - started) / 1e6;
};
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const p90 = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.9)] ?? 0;

const root = path.join(work, 'deployment-root');
await runDeployment(root); // warm-up: module loading, first install
const direct: number[] = [];
const deployed: number[] = [];
for (let run = 0; run < runs; run += 1) {
  direct.push(await time(runDirectly, cpu.direct));
  deployed.push(await time(() => runDeployment(root), cpu.deployed));
}
await rm(work, { recursive: true, force: true });

const format = (ms: number): string => `${ms.toFixed(1)} ms`;
console.log(`bench/deploy-host: ${runs} runs, ${fileCount} files installed, 5 no-op hook scripts, Node ${process.version}, ${os.cpus().length} CPUs`);
console.log(`  scripts run directly      median ${format(median(direct))}  p90 ${format(p90(direct))}`);
console.log(`  runInstanceDeployment     median ${format(median(deployed))}  p90 ${format(p90(deployed))}`);
console.log(`  overhead per instance     median ${format(median(deployed) - median(direct))}  (target < 300 ms)`);
console.log(`  nagare CPU per instance   median ${format(median(cpu.deployed))} (spawning the scripts directly: ${format(median(cpu.direct))}); load average ${os.loadavg()[0]?.toFixed(1) ?? '?'}`);
