/**
 * bench/dashboard: what the dashboard costs the server and the browser (issue 11).
 *
 * 1. With 100 projects, 10,000 builds (100 per project) and 1,000 pipeline executions (10
 *    pipelines × 100, ended, in history) stored, each API call behind each page is made `--runs`
 *    times over HTTP on loopback with a session cookie: p50 and p99 in ms (the round trip on
 *    loopback: server time plus a little). Target: p99 < 200 ms.
*    With them, 10 CodeDeploy applications of one group each over 20 instances, 1,000 deployments
 *    (100 per group, ended, 7 lifecycle events per instance), for the deployment and fleet pages.
 * 2. Time to first render of the pipelines page in Debian's chromium (signed in, cold page load to
 *    the first pipeline row), median of 5 loads; skipped when /usr/bin/chromium is absent.
 * 3. The production bundle (dist/web, built by `npm run build`): raw and gzip bytes.
 *
 * Prints figures and exits 0 whatever they are: timings are never assertions.
 *
 *   npm run build && node --import tsx bench/dashboard.ts [--database sqlite|postgres] [--runs 100]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import type { PipelineRuntime } from '../src/core/pipeline-execution.js';
import { IN_PLACE_LIFECYCLE_EVENTS } from '../src/core/deployment-rollout.js';
import { revisionKey } from '../src/core/deployment.js';
import type { Services } from '../src/server/services.js';
import { startServer } from '../src/main/server.js';
import { definitionOf, endedExecution } from './history-fixtures.js';
import { postgresSchema } from './queue-processes.js';

const { values: flags } = parseArgs({
  options: {
    database: { type: 'string', default: 'sqlite' },
    'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    runs: { type: 'string', default: '100' },
  },
});
const PROJECTS = 100;
const BUILDS_PER_PROJECT = 100;
const PIPELINES = 10;
const EXECUTIONS_PER_PIPELINE = 100;
const APPLICATIONS = 10;
const DEPLOYMENTS_PER_GROUP = 100;
const INSTANCES = 20;
const dashboardDir = fileURLToPath(new URL('../dist/web', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/**
 * 20 instances (each with its agent), 10 applications with one group `prod` picking all of them,
 * and per group one real deployment (left running: its first instance's job waits for an agent)
 * and 100 ended copies of it stored as they would be; the instances' last deployment is the newest
 * copy. Returns a deployment id to open.
 */
async function seedDeployments(services: Services, start: number): Promise<string> {
  const { store } = services.context;
  for (let i = 0; i < INSTANCES; i++) {
    const name = `host-${String(i).padStart(2, '0')}`;
    await store.agents.upsert({ id: `agent-${name}`, name, tags: {}, fleet: undefined, labels: [], kinds: ['deploy'], imageMap: [], registeredAt: start, lastSeenAt: Date.now() });
    await services.deployments.instances.registerAgentInstance(name, [{ Key: 'env', Value: 'prod' }], `agent-${name}`);
  }
  const revision = await services.deployments.revisions.push('nagare-revisions', 'bench/app.zip', 'zip', new TextEncoder().encode('bench bundle'));
  let opened = '';
  for (let a = 0; a < APPLICATIONS; a++) {
    const applicationName = `app-${String(a).padStart(2, '0')}`;
    await services.deployments.applications.createApplication(applicationName);
    const group = await services.deployments.applications.createGroup({ applicationName, deploymentGroupName: 'prod', onPremisesInstanceTagFilters: [{ Key: 'env', Value: 'prod', Type: 'KEY_AND_VALUE' }] });
    const template = await services.deployments.create({ applicationName, deploymentGroupName: 'prod', revision });
    for (let d = 0; d < DEPLOYMENTS_PER_GROUP; d++) {
      const at = start + (a * DEPLOYMENTS_PER_GROUP + d) * 1000;
      const deploymentId = `d-B${String(a).padStart(2, '0')}${String(d).padStart(6, '0')}`;
      const events = IN_PLACE_LIFECYCLE_EVENTS.map((lifecycleEventName) => ({ lifecycleEventName, status: 'Succeeded' as const, startTime: at, endTime: at + 100 }));
      await store.deployments.insert({
        ...template,
        deploymentId,
        rollout: { ...template.rollout, deploymentId, status: 'Succeeded', createTime: at, startTime: at, completeTime: at + 900, instances: template.rollout.instances.map((i) => ({ ...i, status: 'Succeeded' as const, startTime: at, endTime: at + 800, lifecycleEvents: events })) },
      });
      opened = deploymentId;
    }
    for (let i = 0; i < INSTANCES; i++) await services.deployments.instances.recordDeployment(`host-${String(i).padStart(2, '0')}`, group.deploymentGroupId, { deploymentId: opened, revisionKey: revisionKey(revision), succeeded: true });
  }
  return opened;
}

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-bench-dashboard-'));
const pgSchema = flags.database === 'postgres' ? await postgresSchema(flags['postgres-url'], 'bench_dashboard') : undefined;
const server = await startServer({ dataDir, databaseUrl: pgSchema?.url, host: '127.0.0.1', port: 0, secretKey: undefined, logLevel: 'error', schedulerIntervalMs: 3_600_000, dashboardDir });
const { services } = server;
const { store } = services.context;
try {
  console.log(`bench/dashboard on ${flags.database}`);
  const seeded = Date.now();
  const start = Date.now() - 86_400_000;
  for (let p = 0; p < PROJECTS; p++) {
    const projectName = `project-${String(p).padStart(3, '0')}`;
    await services.projects.create({ name: projectName, source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo]\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
    // One real build (queued: no agent runs here) whose record the others copy, ended; then it goes.
    const template = await services.builds.startBuild({ projectName, initiator: 'bench' });
    const job = template.record.job;
    for (let b = 0; b < BUILDS_PER_PROJECT; b++) {
      const at = start + (p * BUILDS_PER_PROJECT + b) * 1000;
      const id = `${projectName}:${String(b).padStart(8, '0')}`;
      await store.builds.insert({
        ...template, id, buildNumber: b + 1, buildStatus: b % 10 === 0 ? 'FAILED' : 'SUCCEEDED', currentPhase: 'COMPLETED', startTime: at, endTime: at + 900,
        // One build in ten failed, and another one in ten was started by a pipeline (the filters measured).
        record: { ...template.record, job: { ...job, buildId: id, buildNumber: b + 1, initiator: b % 10 === 5 ? 'codepipeline/pipeline-0' : 'bench' } },
      });
    }
    // Ended builds only: a page of queued builds also explains why each waits (measured apart in docs/benchmarks.md).
    await services.builds.stopBuild(template.id);
    const { notDeleted } = await services.builds.batchDelete([template.id]);
    if (notDeleted.length > 0) throw new Error(`the template build ${template.id} was not deleted: ${notDeleted[0]?.statusCode}`);
  }
  for (let p = 0; p < PIPELINES; p++) {
    const definition = definitionOf(`pipeline-${p}`);
    await services.pipelines.create(definition);
    const executions = Array.from({ length: EXECUTIONS_PER_PIPELINE }, (_, i) => endedExecution(definition, i, start + i * 1000));
    const stored = await services.pipelines.get(definition.name);
    const runtime: PipelineRuntime = { ...stored.runtime, executions: executions.slice(-1), sequence: EXECUTIONS_PER_PIPELINE * 3 + 3 };
    await store.pipelines.save(definition.name, { runtime, history: { ended: executions, reopened: [] } }, stored.revision, start);
  }
  const deployment = await seedDeployments(services, start);
  if (pgSchema) {
    // A long-lived database has statistics (autovacuum analyses within a minute); a fresh schema has
    // none, and the planner then reads `id IN (…100 ids)` by scanning the whole table.
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: pgSchema.url });
    await client.connect();
    await client.query('ANALYZE');
    await client.end();
  }
  console.log(`stored ${PROJECTS} projects, ${PROJECTS * BUILDS_PER_PROJECT} builds, ${PIPELINES * EXECUTIONS_PER_PIPELINE} executions, ${APPLICATIONS * DEPLOYMENTS_PER_GROUP} deployments in ${((Date.now() - seeded) / 1000).toFixed(0)} s`);

  const token = server.initialCredentials?.token ?? '';
  const signIn = await fetch(`${server.url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const build = 'project-050:00000050';
  const execution = `exec-${String(EXECUTIONS_PER_PIPELINE - 50).padStart(6, '0')}`;
  const pages: [string, string[]][] = [
    ['pipelines', ['/api/v1/pipelines']],
    ['pipeline', ['/api/v1/pipelines/pipeline-5/state', '/api/v1/pipelines/pipeline-5/executions?limit=50']],
    ['execution', [`/api/v1/pipelines/pipeline-5/executions/${execution}`, '/api/v1/pipelines/pipeline-5']],
    ['builds', ['/api/v1/builds?limit=100', '/api/v1/builds?limit=100&project=project-050', '/api/v1/builds?limit=100&status=FAILED', '/api/v1/builds?limit=100&initiator=codepipeline%2Fpipeline-0', '/api/v1/projects']],
    ['build', [`/api/v1/builds/${build}`, `/api/v1/builds/${build}/logs`]],
    ['repositories', ['/api/v1/repositories']],
    ['fleet', ['/api/v1/agents', '/api/v1/deploy/fleet']],
    ['deployments', ['/api/v1/deploy/deployments?limit=25', '/api/v1/deploy/deployments?limit=25&application=app-05&group=prod']],
    ['deployment', [`/api/v1/deploy/deployments/${deployment}`]],
  ];
  console.log('page         | API call                                              | p50 ms | p99 ms');
  for (const [page, calls] of pages) {
    for (const call of calls) {
      const times: number[] = [];
      for (let i = 0; i < Number(flags.runs); i++) {
        const began = process.hrtime.bigint();
        const response = await fetch(`${server.url}${call}`, { headers: { cookie } });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${call} answered ${response.status}`);
        times.push(Number(process.hrtime.bigint() - began) / 1e6);
      }
      console.log(`${page.padEnd(12)} | ${call.padEnd(53)} | ${percentile(times, 50).toFixed(1).padStart(6)} | ${percentile(times, 99).toFixed(1).padStart(6)}`);
    }
  }

  // Then 100 builds queued with no agent to run them: a page of them also explains why each waits.
  for (let i = 0; i < 100; i++) await services.builds.startBuild({ projectName: 'project-000', initiator: 'bench' });
  const queuedTimes: number[] = [];
  for (let i = 0; i < Number(flags.runs); i++) {
    const began = process.hrtime.bigint();
    const response = await fetch(`${server.url}/api/v1/builds?limit=100`, { headers: { cookie } });
    await response.arrayBuffer();
    queuedTimes.push(Number(process.hrtime.bigint() - began) / 1e6);
  }
  console.log(`${'builds'.padEnd(12)} | ${'/api/v1/builds?limit=100 (100 queued, no agent)'.padEnd(53)} | ${percentile(queuedTimes, 50).toFixed(1).padStart(6)} | ${percentile(queuedTimes, 99).toFixed(1).padStart(6)}`);

  const assets = existsSync(path.join(dashboardDir, 'assets')) ? readdirSync(path.join(dashboardDir, 'assets')) : [];
  let raw = 0;
  let gzip = 0;
  for (const asset of assets) {
    const bytes = readFileSync(path.join(dashboardDir, 'assets', asset));
    raw += bytes.byteLength;
    gzip += gzipSync(bytes).byteLength;
    console.log(`bundle: ${asset} ${(bytes.byteLength / 1024).toFixed(1)} KiB, gzip ${(gzipSync(bytes).byteLength / 1024).toFixed(1)} KiB`);
  }
  console.log(`bundle total: ${(raw / 1024).toFixed(1)} KiB, gzip ${(gzip / 1024).toFixed(1)} KiB${assets.length === 0 ? ' (dist/web missing: run npm run build)' : ''}`);

  if (!existsSync(CHROMIUM) || assets.length === 0) {
    console.log('first render: skipped (needs /usr/bin/chromium and a built dashboard)');
  } else {
    const { chromium } = await import('playwright-core');
    const profile = await mkdtemp(path.join(os.tmpdir(), 'nagare-bench-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'], viewport: { width: 1280, height: 800 } });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(`${server.url}/sign-in`);
      await page.getByLabel('API token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('.pipeline-row').first().waitFor();
      const loads: number[] = [];
      for (let i = 0; i < 5; i++) {
        const began = Date.now();
        await page.goto(`${server.url}/pipelines`);
        await page.locator('.pipeline-row').first().waitFor();
        loads.push(Date.now() - began);
        await page.locator('.pipeline-row').nth(PIPELINES - 1).waitFor();
      }
      console.log(`first render of the pipelines page (${PIPELINES} pipelines, cold load to the first row): median ${percentile(loads, 50)} ms, slowest ${Math.max(...loads)} ms`);
    } finally {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    }
  }
} finally {
  await server.stop();
  await pgSchema?.drop();
  await rm(dataDir, { recursive: true, force: true });
}
