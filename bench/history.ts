/**
 * bench/history: what a pipeline event and GetPipelineState cost as history grows, and the server's
 * memory after many builds (issue 8, "History that scales").
 *
 * 1. For 10, 1,000 and 10,000 ended executions of one pipeline (written quickly through the store,
 *    not run): the median time of one pipeline event (an inbound transition toggled through
 *    `PipelinesService.dispatch`: read, apply, save) and of GetPipelineState (the AWS operation, in
 *    process). Baseline in the same process: the layout before issue 8, where every execution sat
 *    in the pipeline row — one event read, applied and wrote the whole runtime (`--baseline-runs`).
 * 2. (Run first.) `--builds` (10,000) completed builds written through the store, then every page of ListBuilds
 *    read with BatchGetBuilds, as a dashboard or the CLI would: RSS of this process (which is the
 *    server: an in-process `startServer`) after that, peak sampled every 20 ms, and after a GC.
 *
 * Target (issue): event and GetPipelineState flat from 10 to 10,000; RSS < 150 MB on both databases.
 * Prints figures and exits 0 whatever they are: timings are never assertions.
 *
 *   node --expose-gc --import tsx bench/history.ts [--database sqlite|postgres]
 *     [--postgres-url postgres://postgres@127.0.0.1:5432/test] [--builds 10000] [--runs 30] [--baseline-runs 3]
 */
import { sampleRecord } from '../test/store/fixtures.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CODEPIPELINE_OPERATIONS } from '../src/api/aws/codepipeline-operations.js';
import { applyPipelineEvent, type PipelineRuntime } from '../src/core/pipeline-execution.js';
import { startServer } from '../src/main/server.js';
import { definitionOf, endedExecution } from './history-fixtures.js';
import { postgresSchema } from './queue-processes.js';

const { values: flags } = parseArgs({
  options: {
    database: { type: 'string', default: 'sqlite' },
    'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    builds: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '30' },
    'baseline-runs': { type: 'string', default: '3' },
  },
});
const SIZES = [10, 1_000, 10_000];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-bench-history-'));
const pgSchema = flags.database === 'postgres' ? await postgresSchema(flags['postgres-url'], 'bench_history') : undefined;
const server = await startServer({ dataDir, databaseUrl: pgSchema?.url, host: '127.0.0.1', port: 0, secretKey: undefined, logLevel: 'error', schedulerIntervalMs: 3_600_000 });
const { services } = server;
const { store } = services.context;
const runs = Number(flags.runs);
try {
  console.log(`bench/history on ${flags.database}`);
  // Builds first: the pipeline part's baseline holds 10,000 executions in memory, which RSS would keep.
  const builds = Number(flags.builds);
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
  const startRss = process.memoryUsage().rss;
  // better-sqlite3 answers synchronously, so a timer would never fire: sample in the loops.
  let peak = startRss;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const start = Date.now() - 3_600_000;
  for (let i = 0; i < builds; i++) {
    await store.builds.insert({
      id: `bench-history:${String(i).padStart(8, '0')}`, projectName: 'bench-history', buildNumber: i + 1, buildStatus: 'SUCCEEDED', currentPhase: 'COMPLETED', startTime: start + i, endTime: start + i + 1000, stopRequested: false, logBytes: 0, logNextSequence: 0,
      record: sampleRecord(`bench-history:${String(i).padStart(8, '0')}`),
    });
    if (i % 100 === 0) sample();
  }
  let token: string | undefined;
  let seen = 0;
  do {
    const page = await services.builds.list({ limit: 100, nextToken: token, sortOrder: 'DESCENDING' });
    seen += (await services.builds.batchGet(page.items)).builds.length;
    token = page.nextToken;
    sample();
  } while (token !== undefined);
  (globalThis as { gc?: () => void }).gc?.();
  console.log(`${builds} builds written, ${seen} listed and read in pages of 100: RSS at start ${mb(startRss)} MB, peak ${mb(peak)} MB, after GC ${mb(process.memoryUsage().rss)} MB (in-process server; target < 150 MB)`);
  console.log('executions | event ms (median) | GetPipelineState ms | baseline event ms (whole history in the row)');
  for (const size of SIZES) {
    const definition = definitionOf(`history-${size}`);
    await services.pipelines.create(definition);
    const at = Date.now() - 86_400_000;
    const executions = Array.from({ length: size }, (_, i) => endedExecution(definition, i, at));
    for (let offset = 0; offset < size; offset += 500) {
      const stored = await services.pipelines.get(definition.name);
      const batch = executions.slice(offset, offset + 500);
      const runtime: PipelineRuntime = { ...stored.runtime, executions: batch.slice(-1), sequence: size * 3 + 3 };
      await store.pipelines.save(definition.name, { runtime, history: { ended: batch, reopened: [] } }, stored.revision, at);
    }
    const events: number[] = [];
    const states: number[] = [];
    for (let i = 0; i < runs; i++) {
      events.push(await timed(() => services.pipelines.dispatch(definition.name, i % 2 === 0 ? { type: 'DISABLE_TRANSITION', stage: 'Build', reason: 'bench' } : { type: 'ENABLE_TRANSITION', stage: 'Build' })));
      states.push(await timed(() => CODEPIPELINE_OPERATIONS.GetPipelineState?.(services, { name: definition.name }, { accessKeyId: 'bench', userName: 'bench' }) ?? Promise.resolve()));
    }
    // Baseline: the row holds every execution, and each event reads, applies and writes it whole.
    const old = definitionOf(`whole-${size}`);
    await services.pipelines.create(old);
    const whole: PipelineRuntime = { definition: old, executions: executions.map((e) => ({ ...e, definition: old })), transitions: {}, sequence: size * 3 + 3 };
    await store.pipelines.save(old.name, { runtime: whole }, 0, at);
    const baseline: number[] = [];
    for (let i = 0; i < Number(flags['baseline-runs']); i++) {
      baseline.push(await timed(async () => {
        const stored = await services.pipelines.get(old.name);
        const next = applyPipelineEvent(stored.runtime, { type: i % 2 === 0 ? 'DISABLE_TRANSITION' : 'ENABLE_TRANSITION', stage: 'Build', reason: 'bench', at: Date.now(), nonce: 'n' });
        await store.pipelines.save(old.name, { runtime: next.runtime }, stored.revision, Date.now());
      }));
    }
    console.log(`${String(size).padStart(10)} | ${median(events).toFixed(2).padStart(17)} | ${median(states).toFixed(2).padStart(19)} | ${median(baseline).toFixed(2)}`);
  }

} finally {
  await server.stop();
  await pgSchema?.drop();
  await rm(dataDir, { recursive: true, force: true });
}
