/**
 * bench/compare-server: the same trivial builds through nagare (a `nagare server` and two `nagare
 * agent` processes, on SQLite and on PostgreSQL) and through Buildbot from Debian's packages (a
 * master on SQLite and on PostgreSQL, two local workers, builds requested through its REST API),
 * in interleaved rounds so that the machine's load falls on every system alike.
 *
 * Per system and round: `--builds` (300) builds requested as fast as the API takes them (8 in
 * flight) and waited for: builds/s = builds / (last completion seen − first request), and CPU per
 * build of the server plus its agents or workers (utime + stime of each process and of the
 * children it reaped, from /proc). Then `--paced` (30) builds one at a time: queue-to-start =
 * first poll (every 20 ms) that sees the build taken by an agent or worker − the request, the same
 * way for both systems (Buildbot keeps whole seconds only). Ratios are nagare ÷ Buildbot.
 *
 * Buildbot 3.7 in Debian has no `buildbot-www` package, which the master needs for its web
 * service even when only the REST API is used: the bench writes a stand-in UI plugin (an empty
 * page) into its temporary folder. A peer that cannot be installed or started is skipped, saying
 * why. Prints Markdown and exits 0 whatever the figures: timings are never assertions.
 *
 *   npm run build && node --import tsx bench/compare-server.ts [--builds 300] [--paced 30] [--rounds 2]
 *     [--postgres-url postgres://postgres@127.0.0.1:5432/test] [--before DIR] [--only nagare,buildbot]
 *     [--databases sqlite,postgres] [--cpu-prof DIR]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { cli, cpuSeconds, postgresSchema, startAgentProcess, startServerProcess, stopAll } from './queue-processes.js';
import { fixed, machineLoad, percentile, table } from './support/measure.js';

const { values: flags } = parseArgs({
  options: {
    builds: { type: 'string', default: '300' },
    paced: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '2' },
    'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    before: { type: 'string' },
    only: { type: 'string', default: 'nagare,buildbot' },
    databases: { type: 'string', default: 'sqlite,postgres' },
    /** A V8 CPU profile of each nagare server, in DIR/<system>/ (written when the server stops). */
    'cpu-prof': { type: 'string' },
  },
});
const BUILDS = Number(flags.builds);
const PACED = Number(flags.paced);
const COMMAND = 'echo hello from the queue bench';
const debug = (text: string): void => {
  if (process.env.BENCH_DEBUG) console.error(text);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A running system under test: request a build, see it taken, see it done. */
interface System {
  /** Requests one build; the handle its other calls take. */
  request(): Promise<string>;
  taken(handle: string): Promise<boolean>;
  /**
   * Which of `handles` are complete, each with whether it succeeded. It may stop at the first one
   * still running (builds end roughly in the order requested); the caller asks again for the rest.
   */
  completed(handles: readonly string[]): Promise<ReadonlyMap<string, boolean>>;
  /** The processes whose CPU counts: server or master, then agents or workers. */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

interface Figures {
  readonly buildsPerSecond: number;
  readonly cpuMsPerBuild: number;
  readonly serverCpuMsPerBuild: number;
  readonly queueToStart: readonly number[];
  readonly failed: number;
}

async function measureSystem(system: System): Promise<Figures> {
  debug('measuring');
  await waitAll(system, await requestMany(system, 10)); // warm-up, not counted
  const cpuBefore = system.pids.map(cpuSeconds);
  const start = performance.now();
  const handles = await requestMany(system, BUILDS);
  const { failed } = await waitAll(system, handles);
  const seconds = (performance.now() - start) / 1000;
  const cpu = system.pids.map((pid, i) => (cpuSeconds(pid) - (cpuBefore[i] ?? 0)) * 1000);
  const queueToStart: number[] = [];
  for (let i = 0; i < PACED; i += 1) {
    const requested = performance.now();
    const handle = await system.request();
    while (!(await system.taken(handle))) await sleep(20);
    queueToStart.push(performance.now() - requested);
    await waitAll(system, [handle], 20);
  }
  return { buildsPerSecond: BUILDS / seconds, cpuMsPerBuild: cpu.reduce((a, b) => a + b, 0) / BUILDS, serverCpuMsPerBuild: (cpu[0] ?? Number.NaN) / BUILDS, queueToStart, failed };
}

async function requestMany(system: System, count: number): Promise<string[]> {
  const handles: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < count) {
      next += 1;
      handles.push(await system.request());
    }
  }));
  return handles;
}

/**
 * Polls until every handle is complete, asking only about those not yet seen complete: polling
 * them all again on every round would make the client's load on the server grow with the square of
 * the builds, and a slower system pay more of it per build.
 */
async function waitAll(system: System, handles: readonly string[], everyMs = 100): Promise<{ failed: number }> {
  let pending = handles;
  let failed = 0;
  for (;;) {
    const complete = await system.completed(pending);
    for (const succeeded of complete.values()) if (!succeeded) failed += 1;
    pending = pending.filter((handle) => !complete.has(handle));
    if (pending.length === 0) return { failed };
    await sleep(everyMs);
  }
}

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

// ---- nagare ---------------------------------------------------------------------------------

async function startNagare(tmp: string, database: 'sqlite' | 'postgres', nagareCli: string, label: string): Promise<System> {
  const postgres = database === 'postgres' ? await postgresSchema(flags['postgres-url'], 'bench_compare') : undefined;
  const dataDir = path.join(tmp, `nagare-${database}`);
  const server = await startServerProcess({ dataDir, databaseUrl: postgres?.url, cpuProfDir: flags['cpu-prof'] && path.join(path.resolve(flags['cpu-prof']), label), cli: nagareCli });
  const { token } = JSON.parse(await readFile(path.join(dataDir, 'initial-credentials.json'), 'utf8')) as { token: string };
  const api = (route: string, init: RequestInit = {}): Promise<Record<string, unknown>> =>
    json(`${server.url}/api/v1${route}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  const agentToken = String((await api('/agent-tokens', { method: 'POST', body: JSON.stringify({ name: 'bench' }) })).token);
  const buildspec = `version: 0.2\nphases:\n  build:\n    commands:\n      - ${COMMAND}\n`;
  await api('/projects', { method: 'POST', body: JSON.stringify({ name: 'bench', source: { type: 'NO_SOURCE', buildspec }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } }) });
  debug(`nagare ${database} at ${server.url}; starting agents`);
  const agents = ['agent-1', 'agent-2'].map((name) => startAgentProcess(server.url, agentToken, name, path.join(tmp, `${database}-${name}`), nagareCli));
  while (((await api('/agents')).agents as unknown[]).length < 2) await sleep(100);
  const build = async (id: string): Promise<Record<string, unknown>> => (await api(`/builds/${encodeURIComponent(id)}`)).build as Record<string, unknown>;
  return {
    request: async () => String(((await api('/projects/bench/builds', { method: 'POST', body: '{}' })).build as { id: string }).id),
    taken: async (id) => (await build(id)).currentPhase !== 'QUEUED',
    completed: async (ids) => {
      const complete = new Map<string, boolean>();
      for (const id of ids) {
        const b = await build(id);
        if (b.buildComplete !== true) break; // builds end roughly in order: the rest waits
        complete.set(id, b.buildStatus === 'SUCCEEDED');
      }
      return complete;
    },
    pids: [server.pid, ...agents.map((agent) => agent.pid ?? 0)],
    stop: async () => {
      await stopAll();
      await postgres?.drop();
    },
  };
}

// ---- Buildbot ---------------------------------------------------------------------------------

const MASTER_CFG = `from buildbot.plugins import *
import os
c = BuildmasterConfig = {}
c['workers'] = [worker.Worker('worker1', 'pass'), worker.Worker('worker2', 'pass')]
c['protocols'] = {'pb': {'port': 'tcp:%PB%:interface=127.0.0.1'}}
c['schedulers'] = [schedulers.ForceScheduler(name='force', builderNames=['trivial'])]
f = util.BuildFactory()
f.addStep(steps.ShellCommand(command=['sh', '-c', '${COMMAND}']))
c['builders'] = [util.BuilderConfig(name='trivial', workernames=['worker1', 'worker2'], factory=f)]
c['title'] = 'bench'
c['buildbotURL'] = 'http://127.0.0.1:%WWW%/'
c['www'] = {'port': 'tcp:%WWW%:interface=127.0.0.1', 'plugins': {}}
c['db'] = {'db_url': '%DB%'}
c['buildbotNetUsageData'] = None
# Every request is a build of its own, as in nagare (Buildbot merges queued requests by default).
c['collapseRequests'] = False
`;

/** Why Buildbot cannot run here, or undefined. */
function buildbotMissing(): string | undefined {
  for (const command of ['buildbot', 'buildbot-worker']) {
    if (spawnSync(command, ['--version'], { stdio: 'ignore' }).status !== 0) return `\`${command}\` is not installed (apt-get install buildbot buildbot-worker python3-psycopg2)`;
  }
  return undefined;
}

/** The stand-in for buildbot-www that Debian lacks: an entry point `base` serving an empty page. */
async function writeStandInUi(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'nagare_bench_www/static'), { recursive: true });
  await mkdir(path.join(dir, 'nagare_bench_www-0.0.dist-info'), { recursive: true });
  await writeFile(path.join(dir, 'nagare_bench_www/VERSION'), '0.0\n');
  await writeFile(path.join(dir, 'nagare_bench_www/static/index.html'), '<!doctype html><title>bench</title>\n');
  await writeFile(path.join(dir, 'nagare_bench_www/__init__.py'), "from buildbot.www.plugin import Application\nep = Application(__name__, 'stand-in UI for a benchmark')\n");
  await writeFile(path.join(dir, 'nagare_bench_www-0.0.dist-info/METADATA'), 'Metadata-Version: 2.1\nName: nagare-bench-www\nVersion: 0.0\n');
  await writeFile(path.join(dir, 'nagare_bench_www-0.0.dist-info/entry_points.txt'), '[buildbot.www]\nbase = nagare_bench_www:ep\n');
}

let ports = 0;

async function startBuildbot(tmp: string, database: 'sqlite' | 'postgres'): Promise<System> {
  const dir = path.join(tmp, `buildbot-${database}`);
  const pylib = path.join(tmp, 'buildbot-pylib');
  if (!existsSync(pylib)) await writeStandInUi(pylib);
  ports += 1;
  const www = 18_010 + ports * 10 + (process.pid % 7);
  const pb = 19_989 + ports * 10 + (process.pid % 7);
  let dropDatabase: (() => Promise<void>) | undefined;
  let dbUrl = 'sqlite:///state.sqlite';
  if (database === 'postgres') {
    const name = `bench_buildbot_${process.pid}_${ports}`;
    const admin = new pg.Client({ connectionString: flags['postgres-url'] });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(flags['postgres-url']);
    dbUrl = `postgresql://${url.username || 'postgres'}@${url.hostname}:${url.port || '5432'}/${name}`;
    dropDatabase = async () => {
      const client = new pg.Client({ connectionString: flags['postgres-url'] });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    };
  }
  const env = { ...process.env, PYTHONPATH: pylib };
  const run = (args: string[]): void => {
    const result = spawnSync(args[0] ?? '', args.slice(1), { env, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${args.join(' ')}: ${result.stderr || result.stdout}`);
  };
  await mkdir(dir, { recursive: true });
  run(['buildbot', 'create-master', '-r', path.join(dir, 'master')]);
  await writeFile(path.join(dir, 'master/master.cfg'), MASTER_CFG.replaceAll('%PB%', String(pb)).replaceAll('%WWW%', String(www)).replaceAll('%DB%', dbUrl));
  run(['buildbot', 'upgrade-master', path.join(dir, 'master')]);
  const children: ChildProcess[] = [];
  const start = (args: string[]): ChildProcess => {
    const child = spawn(args[0] ?? '', args.slice(1), { env, stdio: 'ignore' });
    children.push(child);
    return child;
  };
  const master = start(['buildbot', 'start', '--nodaemon', path.join(dir, 'master')]);
  const base = `http://127.0.0.1:${www}/api/v2`;
  const deadline = Date.now() + 60_000;
  while (!(await fetch(`${base}/builders`).then((r) => r.ok, () => false))) {
    if (Date.now() > deadline || master.exitCode !== null) throw new Error(`the Buildbot master did not start; see ${dir}/master/twistd.log`);
    await sleep(200);
  }
  const workers = ['worker1', 'worker2'].map((name) => {
    run(['buildbot-worker', 'create-worker', path.join(dir, name), `127.0.0.1:${pb}`, name, 'pass']);
    return start(['buildbot-worker', 'start', '--nodaemon', path.join(dir, name)]);
  });
  for (;;) {
    const { workers: list } = await json<{ workers: { connected_to: unknown[] }[] }>(`${base}/workers`);
    if (list.filter((w) => w.connected_to.length > 0).length === 2) break;
    if (Date.now() > deadline) throw new Error('the Buildbot workers did not connect within 60 s');
    await sleep(200);
  }
  const { builders } = await json<{ builders: { builderid: number }[] }>(`${base}/builders`);
  const builderid = String(builders[0]?.builderid ?? 1);
  let rpc = 0;
  return {
    request: async () => {
      rpc += 1;
      const answer = await json<{ result: [number, Record<string, number>] }>(`${base}/forceschedulers/force`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'force', id: rpc, params: { builderid } }),
      });
      return String(Object.values(answer.result[1])[0]);
    },
    taken: async (brid) => (await json<{ builds: unknown[] }>(`${base}/buildrequests/${brid}/builds`)).builds.length > 0,
    completed: async (brids) => {
      const wanted = new Set(brids.map(Number));
      const smallest = Math.min(...wanted);
      const { buildrequests } = await json<{ buildrequests: { buildrequestid: number; complete: boolean; results: number | null }[] }>(`${base}/buildrequests?buildrequestid__ge=${smallest}&field=buildrequestid&field=complete&field=results`);
      return new Map(buildrequests.filter((r) => wanted.has(r.buildrequestid) && r.complete).map((r) => [String(r.buildrequestid), r.results === 0]));
    },
    pids: [master.pid ?? 0, ...workers.map((w) => w.pid ?? 0)],
    stop: async () => {
      for (const child of children.reverse()) {
        if (child.exitCode !== null) continue;
        child.kill('SIGTERM');
        await Promise.race([new Promise((resolve) => child.once('exit', resolve)), sleep(15_000)]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await dropDatabase?.();
    },
  };
}

// ---- the run ----------------------------------------------------------------------------------

interface Candidate {
  readonly name: string;
  readonly start: (tmp: string) => Promise<System>;
}

async function main(): Promise<void> {
  const only = new Set(flags.only.split(','));
  const candidates: Candidate[] = [];
  const skipped: string[] = [];
  if (only.has('nagare')) {
    const databases = (['sqlite', 'postgres'] as const).filter((database) => flags.databases.split(',').includes(database));
    const named = { sqlite: 'SQLite', postgres: 'PostgreSQL' } as const;
    for (const database of databases) candidates.push({ name: `nagare, ${named[database]}`, start: (tmp) => startNagare(tmp, database, cli, database) });
    const before = flags.before;
    if (before) {
      const beforeCli = path.join(path.resolve(before), 'dist/cli/main.js');
      for (const database of databases) candidates.push({ name: `before: nagare, ${named[database]}`, start: (tmp) => startNagare(tmp, database, beforeCli, `before-${database}`) });
    }
  }
  if (only.has('buildbot')) {
    const missing = buildbotMissing();
    if (missing) skipped.push(`Buildbot: ${missing}`);
    else candidates.push({ name: 'Buildbot 3.7, SQLite', start: (tmp) => startBuildbot(tmp, 'sqlite') }, { name: 'Buildbot 3.7, PostgreSQL', start: (tmp) => startBuildbot(tmp, 'postgres') });
  }
  console.log(`# bench/compare-server — ${new Date().toISOString()}\n\n${BUILDS} builds per system and round, ${PACED} paced; node ${process.version}; ${machineLoad()} at the start\n`);
  const results = new Map<string, Figures[]>();
  for (let round = 0; round < Number(flags.rounds); round += 1) {
    for (const candidate of round % 2 === 0 ? candidates : [...candidates].reverse()) {
      const tmp = await mkdtemp(path.join(os.tmpdir(), 'nagare-compare-server-'));
      await chmod(tmp, 0o755); // agents run builds as their build user, who must reach the work directories
      let system: System | undefined;
      try {
        system = await candidate.start(tmp);
        const figures = await measureSystem(system);
        results.set(candidate.name, [...(results.get(candidate.name) ?? []), figures]);
        console.log(`- round ${round + 1}, ${candidate.name}: ${fixed(figures.buildsPerSecond)} builds/s, ${machineLoad()}`);
      } catch (error) {
        skipped.push(`${candidate.name}, round ${round + 1}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      } finally {
        await system?.stop().catch(() => undefined);
        await rm(tmp, { recursive: true, force: true });
      }
    }
  }
  report(results);
  for (const reason of skipped) console.log(`- skipped: ${reason}`);
  console.log(`\n${machineLoad()} at the end`);
}

function report(results: Map<string, Figures[]>): void {
  const median = (values: readonly number[]): number => percentile(values, 50);
  const summary = [...results].map(([name, rounds]) => ({
    name,
    buildsPerSecond: median(rounds.map((r) => r.buildsPerSecond)),
    cpu: median(rounds.map((r) => r.cpuMsPerBuild)),
    serverCpu: median(rounds.map((r) => r.serverCpuMsPerBuild)),
    p50: percentile(rounds.flatMap((r) => r.queueToStart), 50),
    p90: percentile(rounds.flatMap((r) => r.queueToStart), 90),
    failed: rounds.reduce((sum, r) => sum + r.failed, 0),
  }));
  console.log('\n## Figures (median of the rounds; queue-to-start over all paced builds)\n');
  console.log(table(['system', 'builds/s', 'queue-to-start p50 ms', 'p90 ms', 'CPU ms/build (all)', 'server CPU ms/build', 'agents CPU ms/build', 'failed'], summary.map((s) => [
    s.name, fixed(s.buildsPerSecond), fixed(s.p50), fixed(s.p90), fixed(s.cpu), fixed(s.serverCpu), fixed(s.cpu - s.serverCpu), String(s.failed),
  ])));
  const pairs: [string, string][] = [['nagare, SQLite', 'Buildbot 3.7, SQLite'], ['nagare, PostgreSQL', 'Buildbot 3.7, PostgreSQL']];
  const rows = pairs.flatMap(([ours, theirs]) => {
    const a = summary.find((s) => s.name === ours);
    const b = summary.find((s) => s.name === theirs);
    return a && b ? [[`${ours} ÷ ${theirs}`, fixed(a.buildsPerSecond / b.buildsPerSecond, 2), fixed(a.p50 / b.p50, 2), fixed(a.p90 / b.p90, 2), fixed(a.cpu / b.cpu, 2), fixed(a.serverCpu / b.serverCpu, 2), fixed((a.cpu - a.serverCpu) / (b.cpu - b.serverCpu), 2)]] : [];
  });
  if (rows.length > 0) {
    console.log('\n## Ratios, nagare ÷ Buildbot\n');
    console.log(table(['pair', 'builds/s', 'queue-to-start p50', 'p90', 'CPU/build (all)', 'server', 'agents ÷ workers'], rows));
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAll(2000).finally(() => process.exit(130)));
}
await main();
