/**
 * Child processes for bench/queue: a `nagare server` (its own process, so its RSS is its own) and
 * agents, plus a VmRSS poller. Every child is registered so that `stopAll` ends it whatever
 * happened (SIGTERM, then SIGKILL after a grace period).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = fileURLToPath(new URL('..', import.meta.url));
export const cli = path.join(root, 'dist/cli/main.js');
const children = new Set<ChildProcess>();

export interface ServerProcess {
  readonly pid: number;
  readonly url: string;
  /** stderr lines that were not JSON logs (start-up messages, crashes). */
  readonly output: () => string;
}

export interface ServerStart {
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  /** Write a V8 CPU profile of the server here when it exits. */
  readonly cpuProfDir: string | undefined;
  /** Another build of the CLI (bench/compare-server --before); dist/cli/main.js of this tree by default. */
  readonly cli?: string | undefined;
}

export async function startServerProcess(options: ServerStart): Promise<ServerProcess> {
  const nodeFlags = options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [];
  const args = [...nodeFlags, options.cli ?? cli, 'server', '--data-dir', options.dataDir, '--port', '0', ...(options.databaseUrl ? ['--database-url', options.databaseUrl] : [])];
  const child = track(spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] }));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 30 s:\n${output}`)), 30_000);
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      // The JSON log lines (pino, level info) are drained and dropped: only their cost counts.
      for (const line of text.split('\n')) if (line !== '' && !line.startsWith('{')) output += `${line}\n`;
      const match = /nagare server at (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening:\n${output}`));
    });
  });
  return { pid: child.pid ?? 0, url, output: () => output };
}

/** `nagare agent` when the CLI has it, else bench/queue-agent.ts (startAgent). */
export function startAgentProcess(serverUrl: string, token: string, name: string, workDir: string, agentCli = cli): ChildProcess {
  const hasAgentCommand = spawnSync(process.execPath, [agentCli, 'agent', '--help'], { stdio: 'ignore' }).status === 0;
  const args = hasAgentCommand
    ? [agentCli, 'agent', '--server', serverUrl, '--token', token, '--name', name, '--work-dir', workDir, '--executor', 'shell']
    : ['--import', 'tsx', path.join(root, 'bench/queue-agent.ts'), serverUrl, token, name, workDir];
  const child = track(spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: root }));
  if (process.env.BENCH_DEBUG) child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${name}] ${chunk.toString()}`));
  else child.stderr?.resume();
  return child;
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/**
 * SIGTERM to every child still running, newest first (agents report to the server before it
 * goes; the server then writes its CPU profile), SIGKILL after `graceMs`.
 */
export async function stopAll(graceMs = 10_000): Promise<void> {
  const [server, ...agents] = [...children];
  await stopEach(agents, graceMs);
  await stopEach(server ? [server] : [], graceMs);
}

async function stopEach(list: readonly ChildProcess[], graceMs: number): Promise<void> {
  await Promise.all(
    list.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

/** CPU seconds of `pid` and of its children it has reaped (utime + stime + cutime + cstime). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/** Polls VmRSS of `pid` every `intervalMs`; `peakMb()` since the last `reset()`. */
export class RssPoller {
  #peakKb = 0;
  #overallKb = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly pid: number, intervalMs = 50) {
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  sample(): void {
    try {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      const kb = match ? Number(match[1]) : 0;
      this.#peakKb = Math.max(this.#peakKb, kb);
      this.#overallKb = Math.max(this.#overallKb, kb);
    } catch {
      // the process is gone
    }
  }

  reset(): void {
    this.sample();
    this.#peakKb = 0;
  }

  peakMb(): number {
    this.sample();
    return this.#peakKb / 1024;
  }

  overallPeakMb(): number {
    return this.#overallKb / 1024;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** A fresh PostgreSQL schema for one benchmark run, and a URL whose connections use it. */
export async function postgresSchema(baseUrl: string, prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `${prefix}_${process.pid}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  return {
    url: `${baseUrl}?options=-c%20search_path%3D${schema}`,
    async drop() {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}
