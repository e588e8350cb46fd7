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
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startServer } from '../src/main/server.js';

const builds = Number(process.argv[2] ?? 300);
const ruleCount = Number(process.argv[3] ?? 5);
let received = 0;
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received += 1;
    res.end('ok');
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

async function run(rules: number): Promise<{ eventsPerSecond: number; deliveriesPerSecond: number; cpuMsPerBuild: number; deliveries: number }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-bench-events-'));
  const server = await startServer({ dataDir, databaseUrl: undefined, host: '127.0.0.1', port: 0, secretKey: undefined, logLevel: 'warn', logDestination: new Writable({ write: (_c, _e, done) => done() }) });
  try {
    const { services } = server;
    const caller = { kind: 'API_TOKEN' as const, name: 'admin', agentId: undefined };
    await services.projects.create({ name: 'bench', source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
    for (let i = 0; i < rules; i += 1) {
      await services.notifications.create({ Name: `rule-${i}`, EventTypeIds: ['codebuild-project-build-state-in-progress', 'codebuild-project-build-state-stopped'], Resource: 'arn:aws:codebuild:us-east-1:000000000000:project/bench', DetailType: 'FULL', Targets: [{ TargetType: 'Webhook', TargetAddress: `${hook}?rule=${i}`, Secret: 'a-bench-secret-of-length' }] }, caller);
    }
    received = 0;
    const expected = builds * 2 * rules;
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < builds; i += 1) {
      const build = await services.builds.startBuild({ projectName: 'bench', initiator: 'bench' });
      await services.builds.stopBuild(build.id);
    }
    const stored = performance.now();
    while (received < expected) {
      await server.intervalRunner.runNow('notification-delivery');
      if (received < expected) await new Promise((resolve) => setTimeout(resolve, 5));
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
console.log(`builds: ${builds} (3 events each), receiver on loopback, SQLite`);
console.log(`no rules:        ${without.eventsPerSecond} events/s stored, CPU ${without.cpuMsPerBuild.toFixed(2)} ms per build`);
console.log(`${ruleCount} rules:         ${withRules.eventsPerSecond} events/s stored, ${withRules.deliveries} deliveries at ${withRules.deliveriesPerSecond}/s end to end, CPU ${withRules.cpuMsPerBuild.toFixed(2)} ms per build`);
console.log(`added by the rules: ${(withRules.cpuMsPerBuild - without.cpuMsPerBuild).toFixed(2)} ms CPU per build (${(((withRules.cpuMsPerBuild - without.cpuMsPerBuild) / without.cpuMsPerBuild) * 100).toFixed(0)} % of this bench's per-build server work, which runs no build)`);
receiver.close();
