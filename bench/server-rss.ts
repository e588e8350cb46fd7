/**
 * bench/server-rss: the memory of a compiled `nagare server` process holding many builds (issue 8:
 * "server RSS after 10,000 builds, target < 150 MB on both databases").
 *
 * The server runs as its own process (`node dist/cli/main.js server`), as users run it; this
 * process writes `--builds` completed builds into its database through a second store connection
 * (as if they had run), then reads every page of `GET /api/v1/builds` (100 builds each, with their
 * records), as the dashboard or `nagare build list` would, `--passes` times. VmRSS of the server:
 * idle after start, peak while reading, and at the end. Prints figures; never an assertion.
 *
 *   npm run build && node --import tsx bench/server-rss.ts [--database sqlite|postgres]
 *     [--postgres-url postgres://postgres@127.0.0.1:5432/test] [--builds 10000] [--passes 3]
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '../src/store/open-store.js';
import { sampleRecord } from '../test/store/fixtures.js';
import { postgresSchema, RssPoller, startServerProcess, stopAll } from './queue-processes.js';

const { values: flags } = parseArgs({
  options: {
    database: { type: 'string', default: 'sqlite' },
    'postgres-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    builds: { type: 'string', default: '10000' },
    passes: { type: 'string', default: '3' },
  },
});

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-bench-rss-'));
const pgSchema = flags.database === 'postgres' ? await postgresSchema(flags['postgres-url'], 'bench_rss') : undefined;
try {
  const server = await startServerProcess({ dataDir, databaseUrl: pgSchema?.url, cpuProfDir: undefined });
  const token = (JSON.parse(readFileSync(path.join(dataDir, 'initial-credentials.json'), 'utf8')) as { token: string }).token;
  const rss = new RssPoller(server.pid, 20);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const idle = rss.peakMb();
  const store = await openStore({ url: pgSchema?.url ?? path.join(dataDir, 'nagare.db') });
  const builds = Number(flags.builds);
  const start = Date.now() - 3_600_000;
  try {
    for (let i = 0; i < builds; i++) {
      const id = `bench-rss:${String(i).padStart(8, '0')}`;
      await store.builds.insert({ id, projectName: 'bench-rss', buildNumber: i + 1, buildStatus: 'SUCCEEDED', currentPhase: 'COMPLETED', startTime: start + i, endTime: start + i + 1000, stopRequested: false, logBytes: 0, logNextSequence: 0, record: sampleRecord(id) });
    }
  } finally {
    await store.close();
  }
  rss.reset();
  let read = 0;
  const began = performance.now();
  for (let pass = 0; pass < Number(flags.passes); pass++) {
    let nextToken: string | undefined;
    do {
      const query = new URLSearchParams({ limit: '100', ...(nextToken === undefined ? {} : { nextToken }) });
      const response = await fetch(`${server.url}/api/v1/builds?${query.toString()}`, { headers: { authorization: `Bearer ${token}` } });
      if (!response.ok) throw new Error(`GET /api/v1/builds answered ${response.status}: ${await response.text()}`);
      const page = (await response.json()) as { builds: unknown[]; nextToken?: string | null };
      read += page.builds.length;
      nextToken = page.nextToken ?? undefined;
    } while (nextToken !== undefined);
  }
  const seconds = (performance.now() - began) / 1000;
  const peak = rss.peakMb();
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const settled = rss.peakMb();
  rss.stop();
  const load = os.loadavg()[0]?.toFixed(1) ?? '?';
  console.log(`bench/server-rss on ${flags.database} (node ${process.version}, load ${load}): ${builds} builds stored, ${read} read in pages of 100 over ${flags.passes} passes in ${seconds.toFixed(1)} s`);
  console.log(`server VmRSS: idle ${idle.toFixed(0)} MB, peak while reading ${peak.toFixed(0)} MB, 2 s after ${settled.toFixed(0)} MB (target < 150 MB)`);
} finally {
  await stopAll();
  await pgSchema?.drop();
  await rm(dataDir, { recursive: true, force: true });
}
