/**
 * Retention (`--retain-builds-days`, `--retain-executions-days`; off by default): completed builds
 * and ended pipeline executions older than their window are deleted with what they left in the blob
 * store — a build's log chunks and artifacts (its reports live in its record), an execution's
 * artifacts in the artifact store. A blob that a pipeline's runtime still refers to (an execution in
 * flight, or the latest of a stage) is kept. Rows go first, then blobs: a crash in between leaves an
 * unreferenced blob, never a record pointing at a missing one.
 *
 * `pruneHistory(now)` is the whole job, so whatever runs periodic work can call it.
 */
import type { ExecutionState } from '../../core/pipeline-execution-types.js';
import type { StoredBuild } from '../../core/store.js';
import { logBlobKey } from '../builds/build-records.js';
import type { ServerContext } from '../server-context.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Rows per query, so one prune never holds thousands of records in memory at once. */
const BATCH = 200;

export interface RetentionSettings {
  readonly buildsDays?: number | undefined;
  readonly executionsDays?: number | undefined;
}

export interface PruneResult {
  readonly builds: number;
  readonly executions: number;
}

export async function pruneHistory(context: ServerContext, retention: RetentionSettings, now: number): Promise<PruneResult> {
  if (retention.buildsDays === undefined && retention.executionsDays === undefined) return { builds: 0, executions: 0 };
  const inUse = await blobsInUse(context);
  const builds = retention.buildsDays === undefined ? 0 : await pruneBuilds(context, now - retention.buildsDays * DAY_MS, inUse);
  const executions = retention.executionsDays === undefined ? 0 : await pruneExecutions(context, now - retention.executionsDays * DAY_MS, inUse);
  if (builds + executions > 0) context.logger.info({ builds, executions }, 'retention removed old history');
  return { builds, executions };
}

async function pruneBuilds(context: ServerContext, endedBefore: number, inUse: ReadonlySet<string>): Promise<number> {
  let total = 0;
  for (;;) {
    const batch = await context.store.builds.endedBefore(endedBefore, BATCH);
    if (batch.length === 0) return total;
    const deleted = new Set(await context.store.builds.delete(batch.map((b) => b.id)));
    for (const build of batch.filter((b) => deleted.has(b.id))) await deleteAll(context, buildBlobs(build).filter((key) => !inUse.has(key)));
    total += deleted.size;
    if (batch.length < BATCH) return total;
  }
}

async function pruneExecutions(context: ServerContext, endedBefore: number, inUse: ReadonlySet<string>): Promise<number> {
  let total = 0;
  for (;;) {
    const pruned = await context.store.pipelines.pruneEndedExecutions(endedBefore, BATCH);
    // Build artifacts an action passed on are the builds' own, removed with the builds.
    for (const { execution } of pruned) await deleteAll(context, executionBlobs(execution).filter((key) => key.startsWith('artifact-store/') && !inUse.has(key)));
    total += pruned.length;
    if (pruned.length < BATCH) return total;
  }
}

function buildBlobs(build: StoredBuild): string[] {
  const record = build.record;
  const keys = Array.from({ length: build.logNextSequence }, (_, sequence) => logBlobKey(build.id, sequence));
  if (record.artifacts) keys.push(record.artifacts.blobKey);
  for (const artifact of record.secondaryArtifacts) keys.push(artifact.blobKey);
  return keys;
}

function executionBlobs(execution: ExecutionState): string[] {
  return [...Object.values(execution.artifacts), ...execution.actions.flatMap((r) => Object.values(r.outputArtifacts))];
}

/** Every blob a pipeline runtime refers to: an execution in flight may still read it. */
async function blobsInUse(context: ServerContext): Promise<Set<string>> {
  const keys = new Set<string>();
  for (const pipeline of await context.store.pipelines.list()) {
    for (const execution of pipeline.runtime.executions) {
      for (const key of executionBlobs(execution)) keys.add(key);
      for (const record of execution.actions) for (const key of Object.values(record.inputArtifacts)) keys.add(key);
    }
  }
  return keys;
}

async function deleteAll(context: ServerContext, keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    await context.blobs.delete(key).catch((error: unknown) => context.logger.warn({ err: error, key }, 'retention could not delete a blob'));
  }
}
