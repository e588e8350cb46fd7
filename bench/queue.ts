/**
 * bench/queue: trivial builds through a `nagare server` and two agents, each in its own process.
 *
 * 1. Burst: `--builds` (500) builds started as fast as the API takes them (`--concurrency` requests
 *    in flight), then polled until all are COMPLETED: builds per second (N / (last endTime − first
 *    startTime)), queue wait and end-to-end per build. Under a burst the queue wait is mostly the
 *    backlog (build k waits for the k − 1 before it), so it measures throughput, not dispatch.
 * 2. Paced: `--paced-builds` (200) builds started at `--rate` (10) per second, below what two
 *    agents sustain: queue-to-start latency (PROVISIONING startTime, written by the agent, − QUEUED
 *    startTime; also the server's lease time, QUEUED endTime) with agents waiting in their long poll.
 * 3. Ratio: the same buildspec through `nagare build -b '<yaml>'` (spawned, wall time) and as one
 *    build through the server (start → COMPLETED as a client polling every 10 ms sees it), `--runs`
 *    (20) of each, alternating.
 * Server RSS is VmRSS of the server process polled every 50 ms; the peak per part.
 *
 * Targets (issue): queue-to-start p50 < 50 ms, p99 < 250 ms; ≥ 20 builds/s; server RSS < 150 MB.
 * Prints figures and exits 0 whatever they are: timings are never assertions.
 *
 *   npm run build && node --import tsx bench/queue.ts [--builds 500] [--database sqlite|postgres]
 *     [--postgres-url postgres://postgres@127.0.0.1:5432/test] [--concurrency 16] [--paced-builds 200]
 *     [--rate 10] [--runs 20] [--cpu-prof DIR]
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cli, cpuSeconds, postgresSchema, RssPoller, startAgentProcess, startServerProcess, stopAll } from './queue-processes.js';

const { values: flags } = parseArgs({
  options: {
    builds: { type: 'string', default: '500' },
    database: { type: 'string', default: 'sqlite' },
    'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    concurrency: { type: 'string', default: '16' },
    'paced-builds': { type: 'string', default: '200' },
    rate: { type: 'string', default: '10' },
    runs: { type: 'string', default: '20' },
    'cpu-prof': { type: 'string' },
  },
});
const BUILDSPEC = 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hello from the queue bench\n';
const PROJECT = 'bench-queue';

interface BuildTimes {
  readonly status: string;
  readonly queued: number;
  readonly leased: number;
  readonly provisioning: number;
  readonly end: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (iso: unknown): number => (typeof iso === 'string' ? Date.parse(iso) : NaN);

class Api {
  constructor(readonly url: string, readonly token: string) {}

  async call<T>(method: string, route: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}/api/v1${route}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  async startBuild(): Promise<string> {
    return (await this.call<{ build: { id: string } }>('POST', `/projects/${PROJECT}/builds`, {})).build.id;
  }

  async build(id: string): Promise<Record<string, unknown>> {
    return (await this.call<{ build: Record<string, unknown> }>('GET', `/builds/${encodeURIComponent(id)}`)).build;
  }

  /** Polls `id` every `everyMs` until it is COMPLETED. */
  async completed(id: string, everyMs: number): Promise<BuildTimes> {
    for (;;) {
      const build = await this.build(id);
      if (build.buildComplete === true) return timesOf(build);
      await sleep(everyMs);
    }
  }
}

function timesOf(build: Record<string, unknown>): BuildTimes {
  const phases = build.phases as { phaseType: string; startTime?: string; endTime?: string }[];
  const phase = (type: string): { startTime?: string; endTime?: string } => phases.find((p) => p.phaseType === type) ?? {};
  return {
    status: String(build.buildStatus),
    queued: ms(phase('QUEUED').startTime),
    leased: ms(phase('QUEUED').endTime),
    provisioning: ms(phase('PROVISIONING').startTime),
    end: ms(build.endTime),
  };
}

/** Waits for builds in the order they were started (they finish roughly in that order). */
async function allCompleted(api: Api, ids: readonly string[]): Promise<BuildTimes[]> {
  const times: BuildTimes[] = [];
  // Every 100 ms: the figures come from the server's timestamps, and polls load the server too.
  for (const id of ids) times.push(await api.completed(id, 100));
  return times;
}

async function burst(api: Api, count: number, concurrency: number): Promise<string[]> {
  const ids: string[] = new Array<string>(count);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const index = next++;
      ids[index] = await api.startBuild();
    }
  }));
  return ids;
}

async function paced(api: Api, count: number, perSecond: number): Promise<string[]> {
  const start = performance.now();
  const started: Promise<string>[] = [];
  for (let i = 0; i < count; i++) {
    await sleep(Math.max(0, start + (i * 1000) / perSecond - performance.now()));
    started.push(api.startBuild());
  }
  return Promise.all(started);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function stats(values: readonly number[]): { p50: number; p99: number; mean: number; max: number } {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: sorted.reduce((s, v) => s + v, 0) / sorted.length, max: sorted.at(-1) ?? NaN };
}

const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const row = (name: string, values: readonly number[]): string => {
  const s = stats(values);
  return `| ${name} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.mean)} | ${fmt(s.max)} |`;
};

function latencyTable(title: string, times: readonly BuildTimes[]): void {
  const failed = times.filter((t) => t.status !== 'SUCCEEDED').length;
  console.log(`\n${title}: ${times.length} builds${failed ? `, ${failed} not SUCCEEDED` : ''} (ms)\n`);
  console.log('| per build | p50 | p99 | mean | max |\n|---|---:|---:|---:|---:|');
  console.log(row('queue-to-start (PROVISIONING start − QUEUED start)', times.map((t) => t.provisioning - t.queued)));
  console.log(row('queue-to-lease (QUEUED end − QUEUED start)', times.map((t) => t.leased - t.queued)));
  console.log(row('end-to-end (endTime − QUEUED start)', times.map((t) => t.end - t.queued)));
  console.log(row('with an agent (endTime − QUEUED end)', times.map((t) => t.end - t.leased)));
}

function throughput(times: readonly BuildTimes[]): number {
  const first = Math.min(...times.map((t) => t.queued));
  const last = Math.max(...times.map((t) => t.end));
  return times.length / ((last - first) / 1000);
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

function cliBuild(sourceDir: string, stateDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'build', '-b', BUILDSPEC, '-s', sourceDir, '--state-dir', stateDir], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nagare build exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const builds = Number(flags.builds);
  const pacedBuilds = Number(flags['paced-builds']);
  const runs = Number(flags.runs);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'nagare-bench-queue-'));
  await chmod(tmp, 0o755); // agents run builds as their build user, who must reach the work directories
  const postgres = flags.database === 'postgres' ? await postgresSchema(flags['postgres-url'], 'bench_queue') : undefined;
  let rss: RssPoller | undefined;
  try {
    const dataDir = path.join(tmp, 'server');
    const server = await startServerProcess({ dataDir, databaseUrl: postgres?.url, cpuProfDir: flags['cpu-prof'] });
    rss = new RssPoller(server.pid, 50);
    const { token } = JSON.parse(await readFile(path.join(dataDir, 'initial-credentials.json'), 'utf8')) as { token: string };
    const api = new Api(server.url, token);
    const agentToken = (await api.call<{ token: string }>('POST', '/agent-tokens', { name: 'bench' })).token;
    await api.call('POST', '/projects', { name: PROJECT, source: { type: 'NO_SOURCE', buildspec: BUILDSPEC }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
    const agentPids = ['agent-1', 'agent-2'].map((name) => startAgentProcess(server.url, agentToken, name, path.join(tmp, name)).pid ?? 0);
    const cpu = (): number[] => [server.pid, ...agentPids, process.pid].map(cpuSeconds);
    while ((await api.call<{ agents: unknown[] }>('GET', '/agents')).agents.length < 2) await sleep(100);
    const idleMb = rss.peakMb();

    await allCompleted(api, await burst(api, 10, 4)); // warm-up, not counted
    rss.reset();
    const cpuBefore = cpu();
    const burstIds = await burst(api, builds, Number(flags.concurrency));
    const burstTimes = await allCompleted(api, burstIds);
    const burstMb = rss.peakMb();
    const burstCpuMs = cpu().map((after, i) => ((after - (cpuBefore[i] ?? 0)) * 1000) / builds);

    await sleep(500);
    rss.reset();
    const pacedTimes = await allCompleted(api, await paced(api, pacedBuilds, Number(flags.rate)));
    const pacedMb = rss.peakMb();

    const sourceDir = path.join(tmp, 'source');
    await mkdir(sourceDir);
    const cliMs: number[] = [];
    const serverMs: number[] = [];
    const singleTimes: BuildTimes[] = [];
    for (let i = 0; i < runs; i++) {
      cliMs.push(await timed(() => cliBuild(sourceDir, path.join(tmp, 'state'))));
      serverMs.push(await timed(async () => singleTimes.push(await api.completed(await api.startBuild(), 10))));
    }

    console.log(`\nbench/queue — ${flags.database}, 2 agents (${os.cpus().length} cores, node ${process.version}), ${new Date().toISOString()}`);
    latencyTable(`Burst (${flags.concurrency} start requests in flight)`, burstTimes);
    console.log(`\nbuilds/s (burst): ${fmt(throughput(burstTimes))}`);
    const [serverCpu, agent1Cpu, agent2Cpu, benchCpu] = burstCpuMs.map((v) => fmt(v));
    console.log(`CPU ms per build (burst): server ${serverCpu}, agents ${agent1Cpu} + ${agent2Cpu} (with their shells), this client ${benchCpu}`);
    latencyTable(`Paced (${flags.rate} builds/s)`, pacedTimes);
    latencyTable('One build at a time (the ratio runs)', singleTimes);
    console.log(`\nOne trivial build, ${runs} runs each, wall ms\n\n| way | p50 | p99 | mean | max |\n|---|---:|---:|---:|---:|`);
    console.log(row('nagare build -b (spawned CLI)', cliMs));
    console.log(row('through the server (start → COMPLETED)', serverMs));
    console.log(`\nserver / CLI (p50): ${fmt(stats(serverMs).p50 / stats(cliMs).p50, 2)}`);
    console.log(`\nServer RSS peak (MB): idle ${fmt(idleMb)}, burst ${fmt(burstMb)}, paced ${fmt(pacedMb)}, overall ${fmt(rss.overallPeakMb())}`);
  } finally {
    rss?.stop();
    await stopAll();
    await postgres?.drop();
    await rm(tmp, { recursive: true, force: true });
  }
}

// Interrupted (Ctrl-C, a CI timeout): the children must not outlive the benchmark.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAll(2000).finally(() => process.exit(130)));
}
await main();
