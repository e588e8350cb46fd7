/**
 * bench/push-to-build: from `git push` returning to the first command of the build the push
 * starts, through a pipeline Source (CodeCommit) → Build (CodeBuild) in QUEUED mode.
 *
 * The server runs in this process (`startServer`, as `nagare server` does, JSON log at info
 * drained): the pipelines API is not on HTTP yet, so the repository, the project and the pipeline
 * are created through its services. The agent is its own process (`nagare agent --executor
 * shell`, see bench/queue-processes.ts) and `git` is the real client, spawned.
 *
 * Each of `--pushes` (50) rounds: commit one file, `git push` (timed until the process exits),
 * then wait (polling the store every 25 ms; the figures are timestamps, not poll times) until the
 * execution of that commit has ended. The build's first command is
 * `echo "PUSH_TO_BUILD_MARK $(date +%s%N)"`, so the first command's time is taken inside it (a
 * `date` process, ~1 ms, is in the figure); the runner's `Running command` line (ms) is shown too.
 *
 *   latency = first command − push returned
 *   parts   = push returned → execution START (pipeline execution startTime; negative when the
 *             server started it before git saw the response), START → build QUEUED (Source zips
 *             the commit, the Build action starts its build), QUEUED → leased (QUEUED endTime),
 *             leased → BUILD phase start (the agent: PROVISIONING, DOWNLOAD_SOURCE of the input
 *             artifact, INSTALL/PRE_BUILD), BUILD start → first command.
 *
 * Target (issue): p50 < 300 ms. Prints figures and exits 0 whatever they are.
 *
 *   npm run build && node --import tsx bench/push-to-build.ts [--pushes 50] [--database sqlite|postgres]
 *     [--postgres-url postgres://postgres@127.0.0.1:5432/test] [--pause-ms 200] [--warm-up 3]
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { PhaseRecord } from '../src/core/build-phases.js';
import { parsePipeline } from '../src/spec/pipeline.js';
import { startServer, type RunningServer } from '../src/main/server.js';
import { postgresSchema, startAgentProcess, stopAll } from './queue-processes.js';

const { values: flags } = parseArgs({
  options: {
    pushes: { type: 'string', default: '50' },
    database: { type: 'string', default: 'sqlite' },
    'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    'pause-ms': { type: 'string', default: '200' },
    'warm-up': { type: 'string', default: '3' },
  },
});

const NAME = 'bench-push';
const MARK = 'PUSH_TO_BUILD_MARK';
const BUILDSPEC = `version: 0.2
phases:
  build:
    commands:
      - echo "${MARK} $(date +%s%N)"
      - cat app.txt
`;

const PIPELINE = JSON.stringify({
  pipeline: {
    name: NAME,
    pipelineType: 'V2',
    executionMode: 'QUEUED',
    roleArn: 'arn:aws:iam::000000000000:role/unused',
    stages: [
      { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: NAME, BranchName: 'main' }, outputArtifacts: [{ name: 'SourceArtifact' }] }] },
      { name: 'Build', actions: [{ name: 'Build', actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' }, configuration: { ProjectName: NAME }, inputArtifacts: [{ name: 'SourceArtifact' }] }] },
    ],
  },
});

const GIT_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: os.tmpdir(),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
  LC_ALL: 'C',
};

function git(cwd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: GIT_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (status) => (status === 0 ? resolve(stdout.trim()) : reject(new Error(`git ${args.join(' ')} exited ${status}: ${stderr}`))));
  });
}

interface Sample {
  readonly pushReturned: number;
  readonly pushStarted: number;
  readonly pushedAt: number;
  readonly executionStart: number;
  readonly queued: number;
  readonly leased: number;
  readonly provisioning: number;
  readonly buildPhase: number;
  readonly runningCommand: number;
  readonly firstCommand: number;
  readonly status: string;
}

/** When the server stored each pushed commit's event (its `Pushed` subscribers run right after). */
const pushedAt = new Map<string, number>();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** `[Container] 2026/11/22 10:11:12.345 Running command …` → epoch ms (UTC, as the runner writes it). */
function containerTime(line: string): number {
  const match = /^\[Container\] (\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})/.exec(line);
  return match ? Date.parse(`${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}.${match[7]}Z`) : NaN;
}

async function onePush(server: RunningServer, token: string, work: string, round: number): Promise<Sample> {
  await writeFile(path.join(work, 'app.txt'), `round ${round} ${Date.now()}\n`);
  await git(work, ['add', 'app.txt']);
  await git(work, ['commit', '--quiet', '-m', `round ${round}`]);
  const commit = await git(work, ['rev-parse', 'HEAD']);
  const pushStarted = Date.now();
  await git(work, ['push', '--quiet', 'origin', 'main']);
  const pushReturned = Date.now();

  const { services } = server;
  const execution = await waitUntil(`the execution of ${commit.slice(0, 8)} to end`, async () => {
    // Newest first, in flight or in history.
    const { items } = await services.pipelines.listExecutions(NAME, 10);
    const found = items.find((e) => Object.values(e.sourceRevisions).some((r) => r.revisionValue === commit));
    return found && found.status !== 'InProgress' ? found : undefined;
  });
  const page = await services.builds.list({ limit: 10 });
  const { builds } = await services.builds.batchGet(page.items);
  const build = builds.find((b) => b.record.job.pipelineAction?.executionId === execution.pipelineExecutionId);
  if (!build) throw new Error(`no build for execution ${execution.pipelineExecutionId} (${execution.status})`);
  const phases = build.record.phases;
  const phase = (type: string): Partial<PhaseRecord> => phases.find((p) => p.phaseType === type) ?? {};
  const response = await fetch(`${server.url}/api/v1/builds/${encodeURIComponent(build.id)}/logs`, { headers: { authorization: `Bearer ${token}` } });
  const log = await response.text();
  const lines = log.split('\n');
  const markLine = lines.find((l) => l.startsWith(`${MARK} `));
  const runningLine = lines.find((l) => l.includes('Running command echo'));
  return {
    pushStarted,
    pushReturned,
    pushedAt: pushedAt.get(commit) ?? NaN,
    executionStart: execution.startTime,
    queued: phase('QUEUED').startTime ?? NaN,
    leased: phase('QUEUED').endTime ?? NaN,
    provisioning: phase('PROVISIONING').startTime ?? NaN,
    buildPhase: phase('BUILD').startTime ?? NaN,
    runningCommand: runningLine ? containerTime(runningLine) : NaN,
    firstCommand: markLine ? Number(BigInt(markLine.slice(MARK.length + 1).trim()) / 1000n) / 1000 : NaN,
    status: `${execution.status}/${build.buildStatus}`,
  };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');

function row(name: string, values: readonly number[]): string {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return `| ${name} | ${fmt(percentile(sorted, 50))} | ${fmt(percentile(sorted, 99))} | ${fmt(mean)} | ${fmt(sorted[0] ?? NaN)} | ${fmt(sorted.at(-1) ?? NaN)} |`;
}

async function main(): Promise<void> {
  const pushes = Number(flags.pushes);
  const warmUp = Number(flags['warm-up']);
  const pauseMs = Number(flags['pause-ms']);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'nagare-bench-push-'));
  await chmod(tmp, 0o755); // agents run builds as their build user, who must reach the work directories
  const postgres = flags.database === 'postgres' ? await postgresSchema(flags['postgres-url'], 'bench_push') : undefined;
  let server: RunningServer | undefined;
  try {
    const drain = new Writable({ write: (_chunk, _encoding, done) => done() });
    server = await startServer({ dataDir: path.join(tmp, 'server'), databaseUrl: postgres?.url, host: '127.0.0.1', port: 0, secretKey: undefined, logLevel: 'info', logDestination: drain });
    const token = server.initialCredentials?.token ?? '';
    const { services } = server;
    services.context.events.subscribe('Pushed', ({ push: event }) => {
      if (event.newCommit) pushedAt.set(event.newCommit, event.pushedAt);
    });
    await services.repositories.create({ repositoryName: NAME });
    await services.projects.create({ name: NAME, source: { type: 'CODEPIPELINE', buildspec: BUILDSPEC }, environment: { image: 'shell' }, artifacts: { type: 'CODEPIPELINE' } });
    await services.pipelines.apply(parsePipeline(PIPELINE, 'pipeline.json'));
    startAgentProcess(server.url, await services.auth.createAgentToken('bench'), 'agent-1', path.join(tmp, 'agent-1'));
    await waitUntil('the agent to register', async () => ((await server?.services.context.store.agents.list())?.length ? true : undefined));

    const work = path.join(tmp, 'work');
    await mkdir(work);
    await git(work, ['init', '--quiet', '--initial-branch', 'main']);
    const remote = new URL(`${server.url}/git/${NAME}.git`);
    remote.username = 'x';
    remote.password = token;
    await git(work, ['remote', 'add', 'origin', remote.toString()]);

    const samples: Sample[] = [];
    for (let round = 0; round < warmUp + pushes; round++) {
      const sample = await onePush(server, token, work, round);
      if (round >= warmUp) samples.push(sample);
      await sleep(pauseMs);
    }

    const failed = samples.filter((s) => s.status !== 'Succeeded/SUCCEEDED').length;
    console.log(`\nbench/push-to-build — ${flags.database}, server in-process, 1 agent process (${os.cpus().length} cores, node ${process.version}), ${new Date().toISOString()}`);
    console.log(`${samples.length} pushes after ${warmUp} warm-up${failed ? `, ${failed} not Succeeded` : ''}, ${pauseMs} ms between rounds (ms)\n`);
    console.log('| per push | p50 | p99 | mean | min | max |\n|---|---:|---:|---:|---:|---:|');
    console.log(row('**push returned → first command**', samples.map((s) => s.firstCommand - s.pushReturned)));
    console.log(row('push returned → `Running command` log line', samples.map((s) => s.runningCommand - s.pushReturned)));
    console.log(row('`git push` wall time', samples.map((s) => s.pushReturned - s.pushStarted)));
    console.log(row('push event stored → push returned', samples.map((s) => s.pushReturned - s.pushedAt)));
    console.log(row('push returned → execution START', samples.map((s) => s.executionStart - s.pushReturned)));
    console.log(row('START → build QUEUED (Source action, build started)', samples.map((s) => s.queued - s.executionStart)));
    console.log(row('QUEUED → leased', samples.map((s) => s.leased - s.queued)));
    console.log(row('leased → PROVISIONING start', samples.map((s) => s.provisioning - s.leased)));
    console.log(row('PROVISIONING → BUILD phase start', samples.map((s) => s.buildPhase - s.provisioning)));
    console.log(row('BUILD phase start → first command', samples.map((s) => s.firstCommand - s.buildPhase)));
  } finally {
    await stopAll();
    await server?.stop();
    await postgres?.drop();
    await rm(tmp, { recursive: true, force: true });
  }
}

// Interrupted (Ctrl-C, a CI timeout): the agent must not outlive the benchmark.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAll(2000).finally(() => process.exit(130)));
}
await main();
