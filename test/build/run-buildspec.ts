/**
 * Test harness: runs an inline buildspec through the real runner and the real shell executor in a
 * fresh temporary source directory, and returns the build record and the whole log.
 */
import { hostEnvironment } from '../support/processes.js';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Executor } from '../../src/core/executor.js';
import { runLocalBuild, type LocalBuildOptions } from '../../src/build/local-build.js';
import type { BuildRecord } from '../../src/build/result.js';
import { parseBuildspec } from '../../src/spec/buildspec.js';
import { ShellExecutor } from '../../src/executors/shell-executor.js';

export interface RunOptions {
  readonly files?: Readonly<Record<string, string>>;
  readonly overrides?: Readonly<Record<string, string>>;
  readonly parameters?: Readonly<Record<string, unknown>>;
  readonly timeoutInMinutes?: number;
  readonly signal?: AbortSignal;
  readonly projectName?: string;
  readonly sourceDir?: string;
  readonly stateDir?: string;
  readonly executor?: Executor;
  readonly onLog?: (text: string) => void;
  /** false: build in a fresh copy of the source, as `nagare build` does by default. */
  readonly inPlace?: boolean;
}

export interface RunResult {
  readonly record: BuildRecord;
  readonly log: string;
  readonly sourceDir: string;
  readonly artifactsDir: string;
  readonly stateDir: string;
}

export async function makeSource(files: Readonly<Record<string, string>> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nagare-src-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

export async function runBuildspec(yaml: string, options: RunOptions = {}): Promise<RunResult> {
  const sourceDir = options.sourceDir ?? (await makeSource(options.files));
  const stateDir = options.stateDir ?? (await mkdtemp(path.join(os.tmpdir(), 'nagare-state-')));
  const artifactsDir = path.join(stateDir, 'artifacts');
  let log = '';
  const config: LocalBuildOptions = {
    sourceDir,
    inPlace: options.inPlace ?? true,
    buildspec: yaml,
    projectName: options.projectName ?? 'rules',
    artifactsDir,
    reportsDir: path.join(stateDir, 'reports'),
    cacheDir: path.join(stateDir, 'cache'),
    stateDir,
    overrides: options.overrides ?? {},
    parameters: options.parameters ?? {},
    timeoutInMinutes: options.timeoutInMinutes ?? 5,
    region: 'us-east-1',
    initiator: 'tester',
    image: 'nagare/shell',
    executor: options.executor ?? new ShellExecutor({ hostEnvironment: hostEnvironment() }),
    log: {
      write: (text) => {
        log += text;
        options.onLog?.(text);
      },
    },
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const record = await runLocalBuild(config, { spec: parseBuildspec(yaml, 'buildspec.yml'), location: 'buildspec.yml' });
  return { record, log, sourceDir, artifactsDir, stateDir };
}

/** Status of each phase that ran, e.g. `{ BUILD: 'FAILED', POST_BUILD: 'SUCCEEDED' }`. */
export function phaseStatuses(record: BuildRecord): Record<string, string | undefined> {
  return Object.fromEntries(record.phases.map((p) => [p.phaseType, p.phaseStatus]));
}

/** Lines of command output (not the runner's `[Container]` lines). */
export function outputLines(log: string): string[] {
  return log.split('\n').filter((line) => line !== '' && !line.startsWith('[Container]'));
}

export { hostEnvironment };
