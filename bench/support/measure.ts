/**
 * What the comparison benches share: spawning a command and measuring it (wall time, and CPU and
 * peak RSS through GNU time when installed), percentiles, the machine's load, and Markdown rows.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const TIME = '/usr/bin/time';

export interface Run {
  readonly ms: number;
  /** user + system CPU of the process and the children it reaped, ms (GNU time). */
  readonly cpuMs: number | undefined;
  /** Peak RSS, kB (GNU time: the largest of the process and its reaped children). */
  readonly maxRssKb: number | undefined;
  readonly status: number | null;
  readonly output: string;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Keep stdout and stderr (for errors); otherwise they go to /dev/null. */
  readonly capture?: boolean;
  /** Read stdout through a pipe and drop it, as a terminal or a CI log collector would (stderr is kept). */
  readonly drain?: boolean;
}

let runs = 0;

/** Runs `command` to its end and measures it. */
export async function measure(command: string, args: readonly string[], options: RunOptions = {}): Promise<Run> {
  const useTime = existsSync(TIME);
  runs += 1;
  const timeFile = path.join(os.tmpdir(), `nagare-bench-time-${process.pid}-${runs}`);
  const [file, argv] = useTime ? [TIME, ['-f', '%U %S %M', '-o', timeFile, command, ...args]] : [command, [...args]];
  const start = process.hrtime.bigint();
  const child = spawn(file, argv, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', options.capture || options.drain ? 'pipe' : 'ignore', options.capture || options.drain ? 'pipe' : 'ignore'] });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => { if (!options.drain) chunks.push(chunk); });
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
  const status = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  let cpuMs: number | undefined;
  let maxRssKb: number | undefined;
  if (useTime) {
    const last = (await readFile(timeFile, 'utf8').catch(() => '')).trim().split('\n').at(-1) ?? '';
    const [user, system, rss] = last.split(' ').map(Number);
    if (user !== undefined && system !== undefined && Number.isFinite(user + system)) cpuMs = (user + system) * 1000;
    if (rss !== undefined && Number.isFinite(rss)) maxRssKb = rss;
    await rm(timeFile, { force: true });
  }
  return { ms, cpuMs, maxRssKb, status, output: Buffer.concat(chunks).toString() };
}

/** Like `measure` (output kept unless `capture: false`), but a non-zero exit is an error naming the command and its output. */
export async function measureOk(command: string, args: readonly string[], options: RunOptions = {}): Promise<Run> {
  const run = await measure(command, args, { capture: true, ...options });
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${run.status}: ${run.output.slice(-2000)}`);
  return run;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[at] ?? Number.NaN;
}

/** The 1-minute load average and the number of cores, for the record of every run. */
export function machineLoad(): string {
  const [one, five, fifteen] = os.loadavg().map((n) => n.toFixed(2));
  return `load average ${one} / ${five} / ${fifteen} on ${os.cpus().length} cores`;
}

/** Peak of `VmHWM` in /proc/<pid>/status, kB (the kernel's own high-water mark); undefined when gone. */
export function vmHwmKb(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export const fixed = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}
