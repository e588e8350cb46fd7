/**
 * bench/bodies: a `nagare server` (its own process) under `--requests` (1,000) unauthenticated
 * bodies of `--mb` (100) MB each, `--concurrency` (20) at a time over loopback, sent in turn to the
 * routes of issue 7's finding 7: `/` (AWS JSON, unsigned and with an unknown access key),
 * `/webhooks/*` (unsigned), `/agent/v1/register` and the native `/api/v1/projects` (no token).
 * Bodies are chunked and generated while sent (one 64 KiB buffer repeated, never 100 MB in memory);
 * a request stops sending when its answer arrives, as a client honouring an early 401/413 does.
 *
 * Meanwhile `/healthz` is requested every `--healthz-ms` (20) ms, one at a time, and the server's
 * VmRSS is read from /proc every 20 ms. A baseline of the same length with no load comes first.
 * Prints healthz p50/p99/max, peak RSS, RSS after the load, requests refused and the time.
 * Bounded: at most `--requests`, and no new request after `--max-seconds` (300).
 *
 * Targets (issue 7): peak RSS < 200 MB and healthz p99 < 100 ms under the load.
 * Prints figures and exits 0 whatever they are: timings are never assertions.
 *
 *   npm run build && npm run bench:bodies -- [--requests 1000] [--mb 100] [--concurrency 20]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { streamingRequest } from '../test/support/streaming-request.js';
import { cpuSeconds, RssPoller, startServerProcess, stopAll } from './queue-processes.js';

const { values: flags } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000' },
    mb: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '20' },
    'healthz-ms': { type: 'string', default: '20' },
    'baseline-seconds': { type: 'string', default: '5' },
    'max-seconds': { type: 'string', default: '300' },
  },
});
const REQUESTS = Number(flags.requests);
const BODY_BYTES = Number(flags.mb) * 1000 * 1000;
const CONCURRENCY = Number(flags.concurrency);
const HEALTHZ_MS = Number(flags['healthz-ms']);

/** Unauthenticated requests to each route of finding 7, taken in turn. */
const ROUTES: readonly { readonly name: string; readonly method: string; readonly path: string; readonly headers: Record<string, string> }[] = [
  { name: 'AWS / unsigned', method: 'POST', path: '/', headers: { 'x-amz-target': 'CodeBuild_20161006.ListProjects' } },
  {
    name: 'AWS / unknown key',
    method: 'POST',
    path: '/',
    headers: { 'x-amz-target': 'CodeBuild_20161006.ListProjects', 'x-amz-date': '20261130T000000Z', authorization: `AWS4-HMAC-SHA256 Credential=AKIANOTAKEYOFNAGARE0/20261130/us-east-1/codebuild/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}` },
  },
  { name: 'webhook unsigned', method: 'POST', path: '/webhooks/repositories/anything', headers: { 'x-github-event': 'push' } },
  { name: 'agent register', method: 'POST', path: '/agent/v1/register', headers: {} },
  { name: 'native projects', method: 'POST', path: '/api/v1/projects', headers: {} },
];

interface Phase {
  readonly name: string;
  readonly seconds: number;
  readonly healthz: number[];
  readonly healthzFailures: number;
  readonly peakRssMb: number;
  readonly requests: number;
  readonly refused: number;
  readonly errors: number;
  readonly sentMb: number;
  /** CPU seconds the server process used (user + system). */
  readonly serverCpu: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/**
 * `/healthz` one at a time, every HEALTHZ_MS, from a process of its own: in this one the load's
 * sending would delay the sampler's own event loop and count as server latency.
 */
const SAMPLER = `
const [url, interval] = process.argv.slice(1);
const latencies = []; let failures = 0; let running = true;
process.stdin.on('end', () => { running = false; }).resume();
while (running) {
  const started = performance.now();
  try {
    const response = await fetch(url + '/healthz', { signal: AbortSignal.timeout(10000) });
    await response.arrayBuffer();
    if (response.status === 200) latencies.push(performance.now() - started); else failures += 1;
  } catch { failures += 1; }
  await new Promise((resolve) => setTimeout(resolve, Number(interval)));
}
process.stdout.write(JSON.stringify({ latencies, failures }));
`;

function sampleHealthz(url: string): { stop: () => Promise<{ latencies: number[]; failures: number }> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SAMPLER, url, String(HEALTHZ_MS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    output += text;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async stop() {
      child.stdin.end();
      await exited;
      return JSON.parse(output) as { latencies: number[]; failures: number };
    },
  };
}

async function load(url: string, deadline: number): Promise<{ requests: number; refused: number; errors: number; sentBytes: number }> {
  let next = 0;
  let refused = 0;
  let errors = 0;
  let sentBytes = 0;
  const worker = async (): Promise<void> => {
    while (next < REQUESTS && performance.now() < deadline) {
      const route = ROUTES[next % ROUTES.length];
      next += 1;
      if (!route) continue;
      try {
        const answer = await streamingRequest({ url, method: route.method, path: route.path, headers: route.headers, bodyBytes: BODY_BYTES });
        sentBytes += answer.bytesSent;
        if (answer.status >= 400 && answer.status < 500) refused += 1;
        else errors += 1;
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { requests: next, refused, errors, sentBytes };
}

async function phase(name: string, url: string, pid: number, rss: RssPoller, work: () => Promise<{ requests: number; refused: number; errors: number; sentBytes: number }>): Promise<Phase> {
  rss.reset();
  const healthz = sampleHealthz(url);
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  const done = await work();
  const seconds = (performance.now() - started) / 1000;
  const serverCpu = cpuSeconds(pid) - cpuBefore;
  const { latencies, failures } = await healthz.stop();
  return { name, seconds, healthz: latencies.sort((a, b) => a - b), healthzFailures: failures, peakRssMb: rss.peakMb(), requests: done.requests, refused: done.refused, errors: done.errors, sentMb: done.sentBytes / 1e6, serverCpu };
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-bench-bodies-'));
  try {
    const server = await startServerProcess({ dataDir, databaseUrl: undefined, cpuProfDir: undefined });
    const rss = new RssPoller(server.pid, 20);
    await sleep(1000);
    const idleMb = rss.peakMb();
    const baselineMs = Number(flags['baseline-seconds']) * 1000;
    const baseline = await phase('baseline (no load)', server.url, server.pid, rss, async () => {
      await sleep(baselineMs);
      return { requests: 0, refused: 0, errors: 0, sentBytes: 0 };
    });
    const loaded = await phase(`${REQUESTS} × ${flags.mb} MB, ${CONCURRENCY} at a time`, server.url, server.pid, rss, () => load(server.url, performance.now() + Number(flags['max-seconds']) * 1000));
    await sleep(2000);
    rss.reset();
    const afterMb = rss.peakMb();
    rss.stop();

    console.log(`server idle RSS ${idleMb.toFixed(0)} MB; RSS 2 s after the load ${afterMb.toFixed(0)} MB`);
    console.log('| phase | requests | refused 4xx | other | MB sent by clients | time s | healthz n | p50 ms | p99 ms | max ms | healthz failed | peak RSS MB | server CPU s |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const p of [baseline, loaded]) {
      console.log(`| ${p.name} | ${p.requests} | ${p.refused} | ${p.errors} | ${p.sentMb.toFixed(0)} | ${p.seconds.toFixed(1)} | ${p.healthz.length} | ${percentile(p.healthz, 50).toFixed(1)} | ${percentile(p.healthz, 99).toFixed(1)} | ${(p.healthz.at(-1) ?? NaN).toFixed(1)} | ${p.healthzFailures} | ${p.peakRssMb.toFixed(0)} | ${p.serverCpu.toFixed(1)} |`);
    }
    console.log(`targets: peak RSS < 200 MB: ${loaded.peakRssMb < 200 ? 'met' : 'NOT met'}; healthz p99 < 100 ms: ${percentile(loaded.healthz, 99) < 100 ? 'met' : 'NOT met'}`);
  } finally {
    await stopAll();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
