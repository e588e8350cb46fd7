/**
 * bench/deploy-server: the server's share of a deployment's per-instance cost — choosing the
 * instances, the rollout machine, storing the deployment after every event, the deploy job's
 * enqueue, lease and completion — for a no-op lifecycle reported at once, on 10 instances with
 * OneAtATime and AllAtOnce. The host side (the appspec lifecycle in src/deploy) is not in it: this
 * is the overhead the server adds on top of running the hooks. `bench/deploy` with real host-shell
 * agents comes with the agent's deploy-job dispatch.
 *
 * Prints figures and exits 0 whatever they are: timings are never assertions.
 *
 *   node --import tsx bench/deploy-server.ts [--database sqlite|postgres] [--postgres-url …] [--instances 10] [--runs 5]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { IN_PLACE_LIFECYCLE_EVENTS } from '../src/core/deployment-rollout.js';
import { startServer } from '../src/main/server.js';
import { postgresSchema } from './queue-processes.js';

const { values: flags } = parseArgs({ options: { database: { type: 'string', default: 'sqlite' }, 'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' }, instances: { type: 'string', default: '10' }, runs: { type: 'string', default: '5' } } });
const instances = Number(flags.instances);
const runs = Number(flags.runs);

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-bench-deploy-'));
const schema = flags.database === 'postgres' ? await postgresSchema(flags['postgres-url'], 'bench_deploy') : undefined;
const server = await startServer({ dataDir, databaseUrl: schema?.url, host: '127.0.0.1', port: 0, secretKey: undefined, logLevel: 'error', schedulerIntervalMs: 60_000 });
const { deployments, agents, context } = server.services;
const events = IN_PLACE_LIFECYCLE_EVENTS.map((name) => ({ name, status: 'Succeeded' as const, startTime: 0, endTime: 0 }));

const agentIds: string[] = [];
for (let i = 0; i < instances; i++) {
  const id = `bench-agent-${i}`;
  await context.store.agents.upsert({ id, name: id, tags: {}, fleet: undefined, labels: [], kinds: ['deploy'], imageMap: [], registeredAt: Date.now(), lastSeenAt: Date.now() });
  await deployments.instances.registerAgentInstance(`bench-${i}`, [{ Key: 'env', Value: 'bench' }], id);
  agentIds.push(id);
}
await deployments.applications.createApplication('bench');
const revision = await deployments.revisions.push('nagare-revisions', 'bench/noop.zip', 'zip', new Uint8Array(1024));

for (const config of ['CodeDeployDefault.OneAtATime', 'CodeDeployDefault.AllAtOnce']) {
  const group = config.split('.')[1] ?? config;
  await deployments.applications.createGroup({ applicationName: 'bench', deploymentGroupName: group, deploymentConfigName: config, onPremisesInstanceTagFilters: [{ Key: 'env', Value: 'bench', Type: 'KEY_AND_VALUE' }] });
  const totals: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const { deploymentId } = await deployments.create({ applicationName: 'bench', deploymentGroupName: group, revision });
    for (let deployment = await deployments.get(deploymentId); !deployments.isComplete(deployment); deployment = await deployments.get(deploymentId)) {
      const leased = [];
      // Only the agents with work poll, as long-polling agents woken by the notifier would.
      const running = new Set(deployment.rollout.instances.filter((i) => i.status === 'InProgress').map((i) => `bench-agent-${i.instanceName.slice('bench-'.length)}`));
      for (const agentId of agentIds.filter((id) => running.has(id))) {
        const job = (await agents.lease(agentId, 0))?.job;
        if (job?.kind === 'deploy') leased.push({ agentId, id: job.id });
      }
      for (const { agentId, id } of leased) await deployments.effects.completed(agentId, id, events);
    }
    totals.push(performance.now() - started);
  }
  totals.sort((a, b) => a - b);
  const median = totals[Math.floor(totals.length / 2)] ?? 0;
  console.log(`${flags.database} ${config}: ${instances} instances, median of ${runs} deployments ${median.toFixed(0)} ms total, ${(median / instances).toFixed(1)} ms per instance (server side, no hooks)`);
}

await server.stop();
await schema?.drop();
await rm(dataDir, { recursive: true, force: true });
