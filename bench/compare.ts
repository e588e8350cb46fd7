/**
 * bench/compare: one trivial job, the same commands, under each tool a developer might run it with
 * on this machine, interleaved in one process so that the machine's load falls on all alike:
 *
 *   bash script.sh · nagare build · nagare build --image · docker run --rm · gitlab-ci-local
 *
 * and the log path: a job printing `--mb` MB of 100-byte lines under bash and under `nagare build`
 * with a parameter-store secret masked (every line scanned), MB/s and peak RSS.
 *
 * gitlab-ci-local is installed by the bench into a temporary folder from the npm registry
 * (`--gitlab-ci-local-version`); a peer that cannot be installed or run is skipped, saying why.
 * `--before DIR` adds the same nagare variants from another build of the CLI (DIR/dist/cli/main.js),
 * e.g. `git archive main | tar -x -C DIR && (cd DIR && ln -s $PWD/node_modules && npm run build)`.
 * Prints Markdown and exits 0 whatever the figures: timings are never assertions.
 *
 *   npm run build && node --import tsx bench/compare.ts [--runs 15] [--mb 200] [--image nagare/base:latest]
 *     [--before DIR] [--gitlab-ci-local-version 4.56.2] [--node PATH]
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fixed, machineLoad, measure, measureOk, percentile, table, type Run } from './support/measure.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    mb: { type: 'string', default: '200' },
    'log-runs': { type: 'string', default: '3' },
    image: { type: 'string', default: 'nagare/base:latest' },
    before: { type: 'string' },
    'gitlab-ci-local-version': { type: 'string', default: '4.56.2' },
    node: { type: 'string', default: process.execPath },
  },
});
const runs = Number(flags.runs);
const node = flags.node;
const COMMANDS = ['echo installing', 'export GREETING=hello', 'echo "$GREETING from the build"', 'echo done'];
const LINE = 'x'.repeat(99);
const SECRET = 'bench-secret-value-0123456789';

interface Variant {
  readonly name: string;
  readonly run: () => Promise<Run>;
}

async function main(): Promise<void> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'nagare-compare-'));
  try {
    console.log(`# bench/compare — ${new Date().toISOString()}\n\nnode ${execFileSync(node, ['--version']).toString().trim()}; ${machineLoad()} at the start\n`);
    const skipped: string[] = [];
    const variants = await trivialVariants(base, skipped);
    await rotate(variants);
    for (const reason of skipped) console.log(`- skipped: ${reason}`);
    await logThroughput(base);
    console.log(`\n${machineLoad()} at the end`);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

async function trivialVariants(base: string, skipped: string[]): Promise<Variant[]> {
  const source = path.join(base, 'trivial');
  await mkdir(source, { recursive: true });
  await writeFile(path.join(source, 'buildspec.yml'), `version: 0.2\nphases:\n  build:\n    commands:\n${COMMANDS.map((c) => `      - ${JSON.stringify(c)}\n`).join('')}`);
  const script = path.join(base, 'trivial.sh');
  await writeFile(script, `set -e\n${COMMANDS.join('\n')}\n`);
  const state = path.join(base, 'state');
  const variants: Variant[] = [
    { name: 'bash script.sh', run: () => measureOk('bash', [script]) },
    ...nagareVariants('nagare', path.join(root, 'dist/cli/main.js'), source, state),
  ];
  if (flags.before) variants.push(...nagareVariants('before: nagare', path.join(path.resolve(flags.before), 'dist/cli/main.js'), source, state));
  const docker = await probe('docker', ['image', 'inspect', flags.image]);
  if (docker === undefined) variants.push({ name: 'docker run --rm', run: () => measureOk('docker', ['run', '--rm', '-v', `${source}:${source}`, '-w', source, flags.image, 'sh', '-c', COMMANDS.join('\n')]) });
  else skipped.push(`docker run --rm and nagare build --image: ${docker}`);
  const gitlab = await installGitlabCiLocal(base);
  if (typeof gitlab === 'string') skipped.push(`gitlab-ci-local: ${gitlab}`);
  else variants.push(gitlab);
  return docker === undefined ? variants : variants.filter((v) => !v.name.includes('--image'));
}

function nagareVariants(label: string, cli: string, source: string, state: string): Variant[] {
  return [
    { name: `${label} build`, run: () => measureOk(node, [cli, 'build', '-s', source, '--state-dir', state]) },
    { name: `${label} build --image`, run: () => measureOk(node, [cli, 'build', '-s', source, '--state-dir', state, '--image', flags.image]) },
  ];
}

/** Undefined when the command succeeds, else why not. */
async function probe(command: string, args: readonly string[], cwd?: string): Promise<string | undefined> {
  const run = await measure(command, args, { capture: true, ...(cwd ? { cwd } : {}) }).catch((error: unknown) => ({ status: -1, output: String(error) }));
  return run.status === 0 ? undefined : `\`${command} ${args.join(' ')}\` failed: ${run.output.trim().split('\n').slice(-2).join(' ').slice(0, 300)}`;
}

async function installGitlabCiLocal(base: string): Promise<Variant | string> {
  const prefix = path.join(base, 'gitlab-ci-local');
  const version = flags['gitlab-ci-local-version'];
  const installed = await probe('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', `gitlab-ci-local@${version}`]);
  if (installed !== undefined) return `could not be installed from the npm registry (${installed})`;
  const bin = path.join(prefix, 'node_modules/.bin/gitlab-ci-local');
  if (!existsSync(bin)) return `npm installed no ${bin}`;
  // Its own project: a git repository with a .gitlab-ci.yml of one shell job with the same commands.
  const project = path.join(base, 'gitlab-project');
  await mkdir(project, { recursive: true });
  await writeFile(path.join(project, '.gitlab-ci.yml'), `build:\n  script:\n${COMMANDS.map((c) => `    - ${JSON.stringify(c)}\n`).join('')}`);
  const git = (...args: string[]): Buffer => execFileSync('git', args, { cwd: project, stdio: 'pipe' });
  git('init', '-q');
  git('-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-q', '--allow-empty', '-m', 'bench');
  git('remote', 'add', 'origin', 'https://gitlab.example.com/bench/project.git');
  const args = [bin, '--no-color', 'build'];
  const works = await probe(node, args, project);
  if (works !== undefined) return `gitlab-ci-local@${version} does not run here (${works})`;
  return { name: `gitlab-ci-local ${version}`, run: () => measureOk(node, args, { cwd: project }) };
}

async function rotate(variants: readonly Variant[]): Promise<void> {
  const samples = new Map<string, Run[]>(variants.map((v) => [v.name, []]));
  for (const variant of variants) await variant.run(); // warm caches once, not counted
  for (let round = 0; round < runs; round += 1) {
    // A different first variant each round, so that no variant always follows the same one.
    for (let i = 0; i < variants.length; i += 1) {
      const variant = variants[(round + i) % variants.length];
      if (variant) samples.get(variant.name)?.push(await variant.run());
    }
  }
  const p50 = (name: string): number => percentile((samples.get(name) ?? []).map((s) => s.ms), 50);
  const bash = p50('bash script.sh');
  const dockerRun = p50('docker run --rm');
  console.log(`## A trivial job (${COMMANDS.length} commands), ${runs} interleaved rounds\n`);
  console.log(table(['variant', 'wall p50 ms', 'p90 ms', 'CPU p50 ms', 'minus bash p50 ms', '× docker run p50'], variants.map((v) => {
    const runsOf = samples.get(v.name) ?? [];
    return [v.name, fixed(p50(v.name)), fixed(percentile(runsOf.map((s) => s.ms), 90)), fixed(percentile(runsOf.map((s) => s.cpuMs ?? Number.NaN), 50)), fixed(p50(v.name) - bash), fixed(p50(v.name) / dockerRun, 2)];
  })));
  console.log('\nTargets: `nagare build` ≤ bash + 80 ms; `nagare build --image` ≤ 1.3 × `docker run --rm`.\n');
}

async function logThroughput(base: string): Promise<void> {
  const bytes = Number(flags.mb) * 1_000_000;
  const print = `yes ${LINE} | head -c ${bytes}`;
  const source = path.join(base, 'print');
  await mkdir(source, { recursive: true });
  await writeFile(path.join(source, 'buildspec.yml'), `version: 0.2\nenv:\n  parameter-store:\n    BENCH_TOKEN: /bench/token\nphases:\n  build:\n    commands:\n      - ${JSON.stringify(print)}\n`);
  const parameters = path.join(base, 'parameters.json');
  await writeFile(parameters, JSON.stringify({ '/bench/token': SECRET }));
  // Each to /dev/null (nothing reads: the producer and nagare are the only limits) and through a
  // pipe that this process reads and drops, as a terminal or a CI log collector reads a build's
  // output.
  const nagare = (cli: string): string[] => [cli, 'build', '-s', source, '--state-dir', path.join(base, 'state'), '--parameters', parameters];
  const clis: [string, string][] = [['nagare build, 1 secret masked', path.join(root, 'dist/cli/main.js')]];
  if (flags.before) clis.push(['before: nagare build, 1 secret masked', path.join(path.resolve(flags.before), 'dist/cli/main.js')]);
  const variants: Variant[] = [];
  for (const [consumer, options] of [['to /dev/null', { capture: false }], ['read from a pipe', { capture: false, drain: true }]] as const) {
    variants.push({ name: `bash -c (${consumer})`, run: () => measureOk('bash', ['-c', print], options) });
    for (const [name, cli] of clis) variants.push({ name: `${name} (${consumer})`, run: () => measureOk(node, nagare(cli), options) });
  }
  const samples = new Map<string, Run[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < Number(flags['log-runs']); round += 1) {
    for (const variant of variants) samples.get(variant.name)?.push(await variant.run());
  }
  const mbps = (name: string): number => percentile((samples.get(name) ?? []).map((s) => bytes / 1e6 / (s.ms / 1000)), 50);
  console.log(`## The log path: ${flags.mb} MB of 100-byte lines, ${flags['log-runs']} interleaved rounds\n`);
  console.log(table(['variant', 'MB/s p50', '× bash (same consumer)', 'peak RSS MB (max)'], variants.map((v) => {
    const bash = mbps(`bash -c (${v.name.endsWith('(to /dev/null)') ? 'to /dev/null' : 'read from a pipe'})`);
    return [v.name, fixed(mbps(v.name), 0), fixed(mbps(v.name) / bash, 2), fixed(Math.max(...(samples.get(v.name) ?? []).map((s) => (s.maxRssKb ?? Number.NaN) / 1024)), 0)];
  })));
  console.log('\nTarget: ≥ 0.5 × bash with masking on, < 100 MB RSS.');
}

await main();
