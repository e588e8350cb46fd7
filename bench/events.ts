/**
 * Events through the store, the outbox and HTTP to a local receiver, and what notification rules
 * add to the server's CPU per build:
 *   node --import tsx bench/events.ts [BUILDS=300] [RULES=5] [QUEUE_BUILDS=360]
 * (QUEUE_BUILDS 0 runs the first part alone, e.g. under --cpu-prof.)
 *
 * 1. Throughput: each build is started and stopped while queued (3 stored events: IN_PROGRESS,
 *    the QUEUED phase, STOPPED), with no rule and with RULES rules each delivering both build
 *    state changes: changes stored per second, deliveries per second end to end.
 * 2. A real queue run (the issue's measure): one server in this process, two agents in child
 *    processes (bench/queue-agent.ts) running a trivial shell build, every phase change stored as
 *    an event. Blocks of builds of one project with no rule active, with its 5 realistic rules
 *    (below) enabled, and with RULES rules that each deliver every build state change enabled
 *    instead, in ABBA order after a warm-up. Server CPU per build = this process's
 *    user + system time over a block (from the first start to the last delivery) / builds; the
 *    agents and the receiver are other processes, so not counted.
 *
 * The receiver (answers 200 at once) is a child process too. SQLite in a temporary directory.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { startServer, type RunningServer } from '../src/main/server.js';

const builds = Number(process.argv[2] ?? 300);
const ruleCount = Number(process.argv[3] ?? 5);
const queueBuilds = Number(process.argv[4] ?? 360);
const root = fileURLToPath(new URL('..', import.meta.url));
const caller = { kind: 'API_TOKEN' as const, name: 'admin', agentId: undefined };
const BUILDSPEC = 'version: 0.2\nphases:\n  install:\n    commands:\n      - echo install\n  build:\n    commands:\n      - echo hi\n  post_build:\n    commands:\n      - echo done\n';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// The receiver is its own process, so that its CPU is not counted as the server's.
const receiverScript = `
let count = 0;
const server = require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => { count += 1; res.end('ok'); }); });
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
process.on('message', () => process.send({ count }));
`;
const receiverProcess = spawn(process.execPath, ['-e', receiverScript], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const port = await new Promise<number>((resolve) => receiverProcess.once('message', (m: { port: number }) => resolve(m.port)));
const hook = `http://127.0.0.1:${port}/hook`;
async function received(): Promise<number> {
  receiverProcess.send('count');
  return new Promise((resolve) => receiverProcess.once('message', (m: { count: number }) => resolve(m.count)));
}

async function withServer<T>(run: (server: RunningServer) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-bench-events-'));
  const server = await startServer({ dataDir, databaseUrl: undefined, host: '127.0.0.1', port: 0, secretKey: undefined, logLevel: 'warn', logDestination: new Writable({ write: (_c, _e, done) => done() }) });
  try {
    return await run(server);
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const projectArn = (name: string): string => `arn:aws:codebuild:us-east-1:000000000000:project/${name}`;

async function createProject(server: RunningServer, name: string): Promise<void> {
  await server.services.projects.create({ name, source: { type: 'NO_SOURCE', buildspec: BUILDSPEC }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
}

/** Waits until the receiver has `expected` more requests than `base`; false if none came for 30 s. */
async function deliveriesDone(base: number, expected: number): Promise<boolean> {
  let last = -1;
  let quietSince = performance.now();
  for (;;) {
    const count = (await received()) - base;
    if (count >= expected) return true;
    if (count !== last) [last, quietSince] = [count, performance.now()];
    if (performance.now() - quietSince > 30_000) return false;
    await sleep(10);
  }
}

// 1. Throughput through the bus and the outbox.
async function throughput(rules: number): Promise<{ eventsPerSecond: number; deliveriesPerSecond: number; cpuMsPerBuild: number; deliveries: number }> {
  return withServer(async (server) => {
    const { services } = server;
    await createProject(server, 'bench');
    for (let i = 0; i < rules; i += 1) {
      await services.notifications.create({ Name: `rule-${i}`, EventTypeIds: ['codebuild-project-build-state-in-progress', 'codebuild-project-build-state-stopped'], Resource: projectArn('bench'), DetailType: 'FULL', Targets: [{ TargetType: 'Webhook', TargetAddress: `${hook}?rule=${i}`, Secret: 'a-bench-secret-of-length' }] }, caller);
    }
    const base = await received();
    const expected = builds * rules * 2;
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < builds; i += 1) {
      const build = await services.builds.startBuild({ projectName: 'bench', initiator: 'bench' });
      await services.builds.stopBuild(build.id);
    }
    const stored = performance.now();
    if (!(await deliveriesDone(base, expected))) throw new Error('deliveries stopped coming');
    const end = performance.now();
    const used = process.cpuUsage(cpu);
    return {
      eventsPerSecond: Math.round((builds * 3) / ((stored - start) / 1000)),
      deliveriesPerSecond: expected === 0 ? 0 : Math.round(expected / ((end - start) / 1000)),
      cpuMsPerBuild: (used.user + used.system) / 1000 / builds,
      deliveries: expected,
    };
  });
}

/**
 * Five rules as a team sets them on a project: what a CI dashboard and chat want to hear. Per
 * successful build they send 4 deliveries (2 + 1 + 1, one of them a Slack message); the others
 * watch failures, which a healthy queue does not have.
 */
function realisticRules(project: string): { name: string; types: string[]; slack: boolean }[] {
  return [
    { name: `${project}-dashboard`, types: ['codebuild-project-build-state-in-progress', 'codebuild-project-build-state-succeeded', 'codebuild-project-build-state-failed', 'codebuild-project-build-state-stopped'], slack: false },
    { name: `${project}-chat-failures`, types: ['codebuild-project-build-state-failed', 'codebuild-project-build-state-stopped'], slack: true },
    { name: `${project}-deploy-hook`, types: ['codebuild-project-build-state-succeeded'], slack: false },
    { name: `${project}-pager`, types: ['codebuild-project-build-phase-failure'], slack: false },
    { name: `${project}-chat-releases`, types: ['codebuild-project-build-state-succeeded'], slack: true },
  ];
}

function startAgent(url: string, token: string, name: string, workDir: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench/queue-agent.ts'), url, token, name, workDir], { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
  return child;
}

/** `count` builds of `project`, at most `inFlight` at once, each awaited through the server's bus (no polling, whose cost would blur the figures). */
async function runBuilds(server: RunningServer, project: string, count: number, inFlight: number): Promise<void> {
  const completed = new Set<string>();
  const waiting = new Map<string, () => void>();
  const unsubscribe = server.services.context.events.subscribe('BuildStateChanged', ({ build }) => {
    if (build.currentPhase !== 'COMPLETED') return;
    completed.add(build.id);
    waiting.get(build.id)?.();
  });
  try {
    let next = 0;
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < count) {
        next += 1;
        const { id } = await server.services.builds.startBuild({ projectName: project, initiator: 'bench' });
        if (!completed.has(id)) await new Promise<void>((resolve) => waiting.set(id, resolve));
      }
    }));
  } finally {
    unsubscribe();
  }
}

type Kind = 'none' | 'realistic' | 'chatty';
interface Block { readonly kind: Kind; readonly cpuMsPerBuild: number; readonly deliveries: number; readonly seconds: number }

async function queueRun(): Promise<Block[]> {
  return withServer(async (server) => {
    const { services } = server;
    const workDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-bench-events-agents-'));
    // An agent running as root runs builds as its build user, who must reach the work directory.
    await chmod(workDir, 0o755);
    const agents: ChildProcess[] = [];
    try {
      await createProject(server, 'watched');
      const create = async (rule: { name: string; types: readonly string[]; slack: boolean }): Promise<string> => (await services.notifications.create({ Name: rule.name, EventTypeIds: [...rule.types], Resource: projectArn('watched'), DetailType: 'FULL', Targets: [{ TargetType: rule.slack ? 'Slack' : 'Webhook', TargetAddress: `${hook}?rule=${rule.name}`, ...(rule.slack ? {} : { Secret: 'a-bench-secret-of-length' }) }] }, caller)).Arn;
      const sets: Record<Kind, string[]> = { none: [], realistic: [], chatty: [] };
      for (const rule of realisticRules('watched')) sets.realistic.push(await create(rule));
      for (let i = 0; i < ruleCount; i += 1) sets.chatty.push(await create({ name: `chatty-${i}`, types: ['codebuild-project-build-state-in-progress', 'codebuild-project-build-state-succeeded'], slack: false }));
      /** Enables the rules of `kind` and disables the others: every block builds the same project. */
      const activate = async (kind: Kind): Promise<void> => {
        for (const [set, arns] of Object.entries(sets)) for (const arn of arns) await services.notifications.update(arn, { Status: set === kind ? 'ENABLED' : 'DISABLED' }, caller);
      };
      const token = await services.auth.createAgentToken('bench');
      for (const name of ['agent-1', 'agent-2']) agents.push(startAgent(server.url, token, name, path.join(workDir, name)));
      while ((await services.agents.list()).length < 2) await sleep(100);
      const perBuild: Record<Kind, number> = { none: 0, realistic: 4, chatty: 2 * ruleCount };
      const blocks: Block[] = [];
      const count = Math.max(1, Math.round(queueBuilds / 12));
      const block = async (kind: Kind, record: boolean): Promise<void> => {
        await activate(kind);
        const base = await received();
        const cpu = process.cpuUsage();
        const start = performance.now();
        await runBuilds(server, 'watched', count, 4);
        const expected = count * perBuild[kind];
        if (!(await deliveriesDone(base, expected))) throw new Error(`the deliveries of ${kind} stopped coming`);
        const used = process.cpuUsage(cpu);
        if (!record) return;
        blocks.push({ kind, cpuMsPerBuild: (used.user + used.system) / 1000 / count, deliveries: expected, seconds: (performance.now() - start) / 1000 });
        console.log(`  block ${kind}: ${count} builds, ${expected} deliveries, ${blocks.at(-1)?.cpuMsPerBuild.toFixed(2)} ms CPU per build, ${blocks.at(-1)?.seconds.toFixed(1)} s`);
      };
      // Warm-up, not counted: every code path compiled before the first block that counts.
      for (const kind of ['chatty', 'realistic', 'none'] as const) await block(kind, false);
      // ABBA order, twice, so that the machine's drift falls on every kind alike.
      for (const kind of ['none', 'realistic', 'chatty', 'chatty', 'realistic', 'none', 'none', 'realistic', 'chatty', 'chatty', 'realistic', 'none'] as const) await block(kind, true);
      return blocks;
    } finally {
      for (const agent of agents) agent.kill('SIGTERM');
      await Promise.all(agents.map((agent) => new Promise((resolve) => (agent.exitCode !== null ? resolve(undefined) : agent.once('exit', resolve)))));
      await rm(workDir, { recursive: true, force: true });
    }
  });
}

const mean = (values: readonly number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;

try {
  await throughput(0); // warm-up, not counted
  const without = await throughput(0);
  const withRules = await throughput(ruleCount);
  console.log(`1. throughput: ${builds} builds started and stopped while queued (3 events each), receiver on loopback, SQLite`);
  console.log(`   no rules:  ${without.eventsPerSecond} events/s stored, CPU ${without.cpuMsPerBuild.toFixed(2)} ms per build`);
  console.log(`   ${ruleCount} rules:   ${withRules.eventsPerSecond} events/s stored, ${withRules.deliveries} deliveries at ${withRules.deliveriesPerSecond}/s end to end, CPU ${withRules.cpuMsPerBuild.toFixed(2)} ms per build`);
  console.log(`   CPU per delivery: ${((withRules.cpuMsPerBuild - without.cpuMsPerBuild) / (2 * ruleCount)).toFixed(3)} ms`);

  // QUEUE_BUILDS 0: the throughput part alone (for profiles).
  if (queueBuilds > 0) {
    console.log(`2. queue run: two agents (child processes), trivial shell builds, 12 blocks of ${Math.max(1, Math.round(queueBuilds / 12))} builds`);
    const blocks = await queueRun();
    const of = (kind: Kind): number[] => blocks.filter((b) => b.kind === kind).map((b) => b.cpuMsPerBuild);
    const range = (values: readonly number[]): string => `${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)}`;
    const plain = mean(of('none'));
    for (const [kind, label] of [['none', 'no rule active'], ['realistic', '5 realistic rules (4 deliveries a build)'], ['chatty', `${ruleCount} rules × every state change (${2 * ruleCount} a build)`]] as const) {
      const value = mean(of(kind));
      console.log(`   ${label}: ${value.toFixed(2)} ms server CPU per build (blocks ${range(of(kind))})${kind === 'none' ? '' : `, ${value - plain >= 0 ? '+' : ''}${(((value - plain) / plain) * 100).toFixed(1)} %`}`);
    }
  }
} finally {
  receiverProcess.kill();
}
