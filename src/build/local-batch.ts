/**
 * `nagare build` of a batch buildspec: every entry of its `batch` section is an ordinary local
 * build (the same runner), started in graph order up to `parallel` at a time by the pure
 * scheduler of core/build-batch.ts. Each entry writes its artifacts under
 * `<artifacts>/<identifier>/`; with `combine-artifacts` their primary artifacts are also merged
 * into one zip, one folder per identifier (AWS does not document the layout; this is the one
 * that keeps entries from overwriting each other).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { advanceBatch, planBatch, type BatchEntry, type BatchEntryStatus, type BuildBatchStatus } from '../core/build-batch.js';
import type { BatchSpec } from '../core/build-batch.js';
import type { BuildSpec } from '../core/buildspec.js';
import type { Executor } from '../core/executor.js';
import { NagareError } from '../core/errors.js';
import type { LogSink } from '../executors/command-log.js';
import { parseBuildspec } from '../spec/buildspec.js';
import { resolveArtifactFiles, writeArtifactZip } from './artifacts.js';
import { readSourceBuildspec, runLocalBuild, type LoadedBuildspec, type LocalBuildOptions } from './local-build.js';
import type { BuildRecord } from './result.js';
import { unzipInto } from '../executors/unzip.js';

export interface LocalBatchOptions extends Omit<LocalBuildOptions, 'executor' | 'batch'> {
  /** The most entries running at once (`--parallel`). */
  readonly parallel: number;
  /** The executor for one entry; `image` is the entry's own `env.image` when it names one. */
  readonly executorFor: (image: string | undefined) => Executor;
}

export interface LocalBatchBuild {
  readonly identifier: string;
  readonly status: BatchEntryStatus;
  /** Absent for an entry that never started (its prerequisite failed, fast-fail, Ctrl-C). */
  readonly record: BuildRecord | undefined;
  readonly dependsOn: readonly string[];
  readonly ignoreFailure: boolean;
}

/** The batch's record, shaped after CodeBuild's BuildBatch where the fields mean the same. */
export interface LocalBatchRecord {
  readonly id: string;
  readonly arn: string;
  readonly projectName: string;
  readonly buildBatchStatus: BuildBatchStatus;
  readonly startTime: string;
  readonly endTime: string;
  readonly builds: readonly LocalBatchBuild[];
  /** The combined artifact zip (`combine-artifacts`). */
  readonly combinedArtifact: string | undefined;
}

export interface PreparedEntry {
  readonly entry: BatchEntry;
  readonly loaded: LoadedBuildspec;
}

/**
 * Runs the batch of `loaded` (whose spec has a `batch`). Every entry's own buildspec is read and
 * validated before the first build starts, so a batch with a broken entry changes nothing.
 */
export async function runLocalBatch(options: LocalBatchOptions, loaded: LoadedBuildspec): Promise<LocalBatchRecord> {
  const batch = loaded.spec.batch ?? assertNever('runLocalBatch needs a batch buildspec');
  const clock = options.clock ?? Date.now;
  const prepared = await prepareEntries(options.sourceDir, loaded, batch);
  const id = `${options.projectName}:${randomUUID()}`;
  const arn = `arn:aws:codebuild:${options.region}:000000000000:build-batch/${id}`;
  const startTime = clock();
  for (const warning of batch.warnings) options.log.write(`[Batch] ${warning.position.file}:${warning.position.line}:${warning.position.column}: warning: ${warning.message}\n`);
  options.log.write(`[Batch] Build batch ${id}: ${prepared.length} builds (${batch.kind}), up to ${options.parallel} at once\n`);

  const statuses: Record<string, BatchEntryStatus> = {};
  const records = new Map<string, BuildRecord>();
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  const entries = prepared.map((item) => item.entry);
  let stopRequested = options.signal?.aborted === true;
  const onAbort = (): void => { stopRequested = true; };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const aborted = abortedPromise(options.signal);
  try {
    for (;;) {
      const step = advanceBatch(entries, statuses, { fastFail: batch.fastFail, parallel: options.parallel, stopRequested });
      for (const identifier of step.cancel) {
        statuses[identifier] = 'STOPPED';
        options.log.write(`[Batch] ${identifier} will not run: ${stopRequested ? 'the batch was stopped' : batch.fastFail ? 'fast-fail after a failed build' : 'a build it depends on did not succeed'}\n`);
      }
      for (const identifier of step.stop) running.get(identifier)?.controller.abort();
      for (const identifier of step.start) {
        const item = prepared.find((candidate) => candidate.entry.identifier === identifier);
        if (!item) continue;
        statuses[identifier] = 'IN_PROGRESS';
        const controller = new AbortController();
        const done = runEntry(options, item, { identifier, batchArn: arn }, controller.signal).then((record) => {
          records.set(identifier, record);
          statuses[identifier] = record.buildStatus === 'IN_PROGRESS' ? 'FAULT' : record.buildStatus;
        }, (error: unknown) => {
          statuses[identifier] = 'FAULT';
          options.log.write(`[${identifier}] nagare failed to run this build: ${error instanceof Error ? error.message : String(error)}\n`);
        }).finally(() => running.delete(identifier));
        running.set(identifier, { controller, done });
      }
      if (running.size === 0 && step.status !== 'IN_PROGRESS') {
        const combinedArtifact = batch.combineArtifacts ? await combineArtifacts(options, prepared, records) : undefined;
        return {
          id, arn, projectName: options.projectName, buildBatchStatus: step.status,
          startTime: new Date(startTime).toISOString(), endTime: new Date(clock()).toISOString(),
          builds: entries.map((entry) => ({ identifier: entry.identifier, status: statuses[entry.identifier] ?? 'STOPPED', record: records.get(entry.identifier), dependsOn: entry.dependOn, ignoreFailure: entry.ignoreFailure })),
          combinedArtifact,
        };
      }
      if (running.size === 0) continue;
      await Promise.race([...[...running.values()].map((run) => run.done), aborted]);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** The entries of a batch with their buildspecs read and validated; throws as loadBuildspec does. */
export async function prepareBatch(sourceDir: string, loaded: LoadedBuildspec): Promise<PreparedEntry[]> {
  return prepareEntries(sourceDir, loaded, loaded.spec.batch ?? assertNever('prepareBatch needs a batch buildspec'));
}

async function prepareEntries(sourceDir: string, loaded: LoadedBuildspec, batch: BatchSpec): Promise<PreparedEntry[]> {
  const own: LoadedBuildspec = { spec: withoutBatch(loaded.spec), location: loaded.location };
  const cache = new Map<string, LoadedBuildspec>();
  const prepared: PreparedEntry[] = [];
  for (const entry of planBatch(batch)) {
    if (entry.buildspec === undefined) {
      prepared.push({ entry, loaded: own });
      continue;
    }
    let child = cache.get(entry.buildspec);
    if (!child) {
      const text = await readSourceBuildspec(path.resolve(sourceDir), entry.buildspec);
      if (text === undefined) {
        throw new NagareError('BUILD_BUILDSPEC_NOT_FOUND', `The batch build ${entry.identifier} names the buildspec ${entry.buildspec}, which is not in the source directory ${sourceDir}`);
      }
      // Batch builds cannot nest: a batch section in an entry's buildspec is not started again.
      child = { spec: withoutBatch(parseBuildspec(text, entry.buildspec)), location: path.join(sourceDir, entry.buildspec) };
      cache.set(entry.buildspec, child);
    }
    prepared.push({ entry, loaded: child });
  }
  return prepared;
}

function withoutBatch(spec: BuildSpec): BuildSpec {
  return { ...spec, batch: undefined };
}

function runEntry(options: LocalBatchOptions, item: PreparedEntry, batch: { identifier: string; batchArn: string }, signal: AbortSignal): Promise<BuildRecord> {
  const { entry } = item;
  // Each build of a batch starts from the same source, as on CodeBuild, never from what a sibling
  // running beside it left behind: runLocalBuild gives it a fresh copy of its own (never in place).
  return runLocalBuild({
    ...options,
    inPlace: false,
    // The entry's variables are its own overrides: they win over the buildspec's and the flags'.
    overrides: { ...options.overrides, ...entry.env.variables },
    image: entry.env.image ?? options.image,
    executor: options.executorFor(entry.env.image),
    artifactsDir: path.join(options.artifactsDir, entry.identifier),
    reportsDir: options.reportsDir === undefined ? undefined : path.join(options.reportsDir, entry.identifier),
    log: prefixedSink(options.log, `[${entry.identifier}] `),
    signal,
    batch,
  }, item.loaded);
}

/** Prefixes every line an entry logs, so that builds running at once stay readable. */
export function prefixedSink(sink: LogSink, prefix: string): LogSink {
  let lineStart = true;
  return {
    write(text: string): void {
      if (text === '') return;
      const body = text.replace(/\n(?!$)/g, `\n${prefix}`);
      sink.write(`${lineStart ? prefix : ''}${body}`);
      lineStart = text.endsWith('\n');
    },
  };
}

async function combineArtifacts(options: LocalBatchOptions, prepared: readonly PreparedEntry[], records: ReadonlyMap<string, BuildRecord>): Promise<string | undefined> {
  const parts = prepared.flatMap(({ entry }) => {
    const location = records.get(entry.identifier)?.artifacts?.location;
    return location ? [{ identifier: entry.identifier, location }] : [];
  });
  if (parts.length === 0) return undefined;
  const staging = await mkdtemp(path.join(os.tmpdir(), 'nagare-combine-'));
  try {
    // Each zip is unpacked with the same checks as a pipeline's input artifact: the build made it.
    for (const part of parts) await unzipInto(await readFile(part.location), path.join(staging, part.identifier));
    const files = await resolveArtifactFiles({ files: ['**/*'], name: undefined, discardPaths: false, baseDirectory: undefined, excludePaths: [], enableSymlinks: true, s3Prefix: undefined }, staging);
    if (!files.ok) throw new NagareError('BUILD_ARCHIVE_INVALID', `The batch's artifacts could not be combined: ${files.context.message}`);
    const target = path.join(options.artifactsDir, `${options.projectName}-batch.zip`);
    const written = await writeArtifactZip(files.entries, target);
    options.log.write(`[Batch] Combined artifacts of ${parts.length} builds written to ${target} (${files.entries.length} files, ${written.bytes} bytes)\n`);
    return target;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function abortedPromise(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function assertNever(message: string): never {
  throw new Error(message);
}
