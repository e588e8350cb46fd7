/**
 * Events through the store, the outbox and HTTP to a local receiver:
 *   node --import tsx bench/events.ts [BUILDS=300] [RULES=5]
 * Each build is started and stopped while queued: 3 stored events (IN_PROGRESS, the QUEUED phase,
 * STOPPED). Prints, with no rule and with RULES notification rules each delivering every build
 * state change of the project to the receiver: changes stored per second, deliveries per second
 * from the first change to the last delivery, and the server process's CPU time per build (what
 * the rules add). One process, SQLite in a temporary directory; the receiver answers 200 at once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startServer } from '../src/main/server.js';

const builds = Number(process.argv[2] ?? 300);
const ruleCount = Number(process.argv[3] ?? 5);
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
let base = 0;
async function receivedSoFar(): Promise<number> {
  receiverProcess.send('count');
  return new Promise((resolve) => receiverProcess.once('message', (m: { count: number }) => resolve(m.count - base)));
}

async function run(rules: number, eventTypeIds: readonly string[] = ['codebuild-project-build-state-in-progress', 'codebuild-project-build-state-stopped']): Promise<{ eventsPerSecond: number; deliveriesPerSecond: number; cpuMsPerBuild: number; deliveries: number }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-bench-events-'));
  const server = await startServer({ dataDir, databaseUrl: undefined, host: '127.0.0.1', port: 0, secretKey: undefined, logLevel: 'warn', logDestination: new Writable({ write: (_c, _e, done) => done() }) });
  try {
    const { services } = server;
    const caller = { kind: 'API_TOKEN' as const, name: 'admin', agentId: undefined };
    await services.projects.create({ name: 'bench', source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
    for (let i = 0; i < rules; i += 1) {
      await services.notifications.create({ Name: `rule-${i}`, EventTypeIds: [...eventTypeIds], Resource: 'arn:aws:codebuild:us-east-1:000000000000:project/bench', DetailType: 'FULL', Targets: [{ TargetType: 'Webhook', TargetAddress: `${hook}?rule=${i}`, Secret: 'a-bench-secret-of-length' }] }, caller);
    }
    base += await receivedSoFar();
    const expected = builds * rules * eventTypeIds.filter((id) => !id.endsWith('failed')).length;
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < builds; i += 1) {
      const build = await services.builds.startBuild({ projectName: 'bench', initiator: 'bench' });
      await services.builds.stopBuild(build.id);
    }
    const stored = performance.now();
    while ((await receivedSoFar()) < expected) {
      await server.intervalRunner.runNow('notification-delivery');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const end = performance.now();
    const used = process.cpuUsage(cpu);
    return {
      eventsPerSecond: Math.round((builds * 3) / ((stored - start) / 1000)),
      deliveriesPerSecond: expected === 0 ? 0 : Math.round(expected / ((end - start) / 1000)),
      cpuMsPerBuild: (used.user + used.system) / 1000 / builds,
      deliveries: expected,
    };
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const without = await run(0);
const withRules = await run(ruleCount);
const quiet = await run(ruleCount, ['codebuild-project-build-state-failed']);
console.log(`builds: ${builds} (3 events each), receiver on loopback, SQLite`);
console.log(`no rules:        ${without.eventsPerSecond} events/s stored, CPU ${without.cpuMsPerBuild.toFixed(2)} ms per build`);
console.log(`${ruleCount} rules:         ${withRules.eventsPerSecond} events/s stored, ${withRules.deliveries} deliveries at ${withRules.deliveriesPerSecond}/s end to end, CPU ${withRules.cpuMsPerBuild.toFixed(2)} ms per build`);
console.log(`${ruleCount} rules, none matching: ${quiet.eventsPerSecond} events/s stored, CPU ${quiet.cpuMsPerBuild.toFixed(2)} ms per build (matching alone)`);
console.log(`added by the rules: ${(withRules.cpuMsPerBuild - without.cpuMsPerBuild).toFixed(2)} ms CPU per build (${(((withRules.cpuMsPerBuild - without.cpuMsPerBuild) / without.cpuMsPerBuild) * 100).toFixed(0)} % of this bench's per-build server work, which runs no build)`);
receiverProcess.kill();
