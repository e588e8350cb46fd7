/**
 * Batch builds (reference §1.5, and §5 of the events/fleets/batch digest): the compiled `batch`
 * section of a buildspec, its expansion into entries (one build each), and the pure scheduler that
 * says which entries start, which are stopped and how the batch ends. `nagare build` and the
 * server's build batches both drive a batch through `advanceBatch`, so the two agree on graph
 * order, fast-fail and ignore-failure.
 */
import type { SourcePosition } from './errors.js';

/** Per-entry environment overrides (`env:` of a task, `static.env`, one element of `dynamic.env`). */
export interface BatchEnvSpec {
  readonly image: string | undefined;
  readonly computeType: string | undefined;
  readonly privilegedMode: boolean | undefined;
  readonly type: string | undefined;
  readonly fleet: string | undefined;
  readonly variables: Readonly<Record<string, string>>;
}

/** One task of `build-list` or `build-graph`. */
export interface BatchTaskSpec {
  readonly identifier: string;
  /** Another buildspec file of the source for this task; the batch buildspec itself when absent. */
  readonly buildspec: string | undefined;
  readonly env: BatchEnvSpec;
  readonly ignoreFailure: boolean;
  /** Graph only; empty for list tasks. */
  readonly dependOn: readonly string[];
}

export interface BuildMatrixSpec {
  readonly static: { readonly ignoreFailure: boolean; readonly env: BatchEnvSpec };
  readonly dynamic: {
    readonly buildspec: readonly string[];
    readonly image: readonly string[];
    readonly computeType: readonly string[];
    /** name → values; each name multiplies the product by its number of values. */
    readonly variables: Readonly<Record<string, readonly string[]>>;
  };
}

export type BatchKind = 'build-list' | 'build-graph' | 'build-matrix';

/** Something the batch section asks for that nagare accepts but does not do. */
export interface SpecWarning {
  readonly message: string;
  readonly position: SourcePosition;
}

export interface BatchSpec {
  readonly kind: BatchKind;
  readonly fastFail: boolean;
  readonly combineArtifacts: boolean;
  /** build-list and build-graph tasks; empty for a matrix. */
  readonly tasks: readonly BatchTaskSpec[];
  readonly matrix: BuildMatrixSpec | undefined;
  readonly warnings: readonly SpecWarning[];
}

export const EMPTY_BATCH_ENV: BatchEnvSpec = {
  image: undefined, computeType: undefined, privilegedMode: undefined, type: undefined, fleet: undefined, variables: {},
};

/** One build of a batch, with every setting it needs resolved. */
export interface BatchEntry {
  readonly identifier: string;
  readonly buildspec: string | undefined;
  readonly env: BatchEnvSpec;
  readonly ignoreFailure: boolean;
  readonly dependOn: readonly string[];
}

/** Reserved for the build that fetched the batchspec (the first build group on AWS). */
export const DOWNLOAD_SOURCE_GROUP = 'DOWNLOAD_SOURCE';

/**
 * The entries of a batch, in the order they are written. Matrix entries are the cartesian product
 * of `dynamic.buildspec` × `dynamic.env.image` × `dynamic.env.compute-type` × each variable's values,
 * `static` applied to all, named `build1`, `build2`, … in product order (AWS does not document the
 * generated names; these follow the style of its examples).
 */
export function planBatch(batch: BatchSpec): BatchEntry[] {
  if (batch.kind !== 'build-matrix' || batch.matrix === undefined) {
    return batch.tasks.map((task) => ({ ...task, dependOn: batch.kind === 'build-graph' ? task.dependOn : [] }));
  }
  const { static: fixed, dynamic } = batch.matrix;
  type Partial = { buildspec?: string; image?: string; computeType?: string; variables: Record<string, string> };
  let product: Partial[] = [{ variables: {} }];
  const multiply = <T>(values: readonly T[], apply: (entry: Partial, value: T) => Partial): void => {
    if (values.length === 0) return;
    product = product.flatMap((entry) => values.map((value) => apply(entry, value)));
  };
  multiply(dynamic.buildspec, (entry, buildspec) => ({ ...entry, buildspec }));
  multiply(dynamic.image, (entry, image) => ({ ...entry, image }));
  multiply(dynamic.computeType, (entry, computeType) => ({ ...entry, computeType }));
  for (const [name, values] of Object.entries(dynamic.variables)) {
    multiply(values, (entry, value) => ({ ...entry, variables: { ...entry.variables, [name]: value } }));
  }
  return product.map((entry, index) => ({
    identifier: `build${index + 1}`,
    buildspec: entry.buildspec,
    env: {
      ...fixed.env,
      image: entry.image ?? fixed.env.image,
      computeType: entry.computeType ?? fixed.env.computeType,
      variables: { ...fixed.env.variables, ...entry.variables },
    },
    ignoreFailure: fixed.ignoreFailure,
    dependOn: [],
  }));
}

/** The number of builds a batch makes, without building the list (for limits). */
export function batchSize(batch: BatchSpec): number {
  if (batch.kind !== 'build-matrix' || batch.matrix === undefined) return batch.tasks.length;
  const { dynamic } = batch.matrix;
  const counts = [dynamic.buildspec.length, dynamic.image.length, dynamic.computeType.length, ...Object.values(dynamic.variables).map((v) => v.length)];
  return counts.reduce((product, count) => product * Math.max(count, 1), 1);
}

export type BatchEntryStatus = 'PENDING' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'FAULT' | 'TIMED_OUT' | 'STOPPED';
export type BuildBatchStatus = 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'STOPPED';

export interface BatchProgress {
  /** Entries to start now (PENDING, prerequisites succeeded, within the parallel limit). */
  readonly start: readonly string[];
  /** Running entries to stop now (fast-fail after a failure). */
  readonly stop: readonly string[];
  /** Pending entries that will never start: they end STOPPED. */
  readonly cancel: readonly string[];
  /** The batch's status once these are applied; IN_PROGRESS while anything runs or can start. */
  readonly status: BuildBatchStatus;
}

const ENDED: ReadonlySet<BatchEntryStatus> = new Set(['SUCCEEDED', 'FAILED', 'FAULT', 'TIMED_OUT', 'STOPPED']);

/**
 * One step of a batch: given each entry's status, what to do next. Rules (digest §5.7–5.8):
 * a graph entry starts when all its prerequisites succeeded (an ignore-failure prerequisite that
 * failed counts as finished); one whose prerequisite failed never starts and ends STOPPED; with
 * `fast-fail` a failure stops everything running and pending; an `ignore-failure` entry's failure
 * does not fail the batch. `stopRequested` (StopBuildBatch, Ctrl-C) stops everything.
 */
export function advanceBatch(
  entries: readonly BatchEntry[],
  statuses: Readonly<Record<string, BatchEntryStatus>>,
  options: { readonly fastFail: boolean; readonly parallel: number; readonly stopRequested?: boolean },
): BatchProgress {
  const statusOf = (id: string): BatchEntryStatus => statuses[id] ?? 'PENDING';
  const byId = new Map(entries.map((entry) => [entry.identifier, entry]));
  const failedHard = (entry: BatchEntry): boolean => !entry.ignoreFailure && ENDED.has(statusOf(entry.identifier)) && statusOf(entry.identifier) !== 'SUCCEEDED';
  const failing = entries.some(failedHard);
  const halt = options.stopRequested === true || (options.fastFail && failing);
  const running = entries.filter((entry) => statusOf(entry.identifier) === 'IN_PROGRESS');
  const stop = halt ? running.map((entry) => entry.identifier) : [];
  const cancel: string[] = [];
  const start: string[] = [];
  let slots = Math.max(options.parallel - running.length, 0);
  const finished = (id: string): boolean => {
    const prerequisite = byId.get(id);
    const status = statusOf(id);
    return status === 'SUCCEEDED' || (prerequisite?.ignoreFailure === true && ENDED.has(status) && status !== 'STOPPED');
  };
  for (const entry of entries) {
    if (statusOf(entry.identifier) !== 'PENDING') continue;
    const blocked = entry.dependOn.some((id) => ENDED.has(statusOf(id)) && !finished(id)) || entry.dependOn.some((id) => cancel.includes(id));
    if (halt || blocked) {
      cancel.push(entry.identifier);
    } else if (slots > 0 && entry.dependOn.every(finished)) {
      start.push(entry.identifier);
      slots -= 1;
    }
  }
  // A cancelled entry blocks its own dependents, whatever their order in the file.
  for (let changed = true; changed;) {
    changed = false;
    for (const entry of entries) {
      if (statusOf(entry.identifier) !== 'PENDING' || cancel.includes(entry.identifier)) continue;
      if (entry.dependOn.some((id) => cancel.includes(id))) {
        cancel.push(entry.identifier);
        changed = true;
      }
    }
  }
  const active = running.length > 0 && stop.length < running.length
    || start.length > 0
    || entries.some((entry) => statusOf(entry.identifier) === 'PENDING' && !cancel.includes(entry.identifier));
  return { start, stop, cancel, status: active || stop.length > 0 ? 'IN_PROGRESS' : finalStatus(entries, statuses, cancel, options.stopRequested === true) };
}

function finalStatus(entries: readonly BatchEntry[], statuses: Readonly<Record<string, BatchEntryStatus>>, cancel: readonly string[], stopRequested: boolean): BuildBatchStatus {
  if (stopRequested) return 'STOPPED';
  const bad = entries.some((entry) => {
    const status = cancel.includes(entry.identifier) ? 'STOPPED' : statuses[entry.identifier] ?? 'PENDING';
    return !entry.ignoreFailure && status !== 'SUCCEEDED';
  });
  return bad ? 'FAILED' : 'SUCCEEDED';
}

/** One build group of a stored batch (BuildGroup on AWS): the entry and its attempts' builds. */
export interface BuildBatchGroup {
  readonly entry: BatchEntry;
  /** Build ids of its attempts, oldest first; empty until it starts. */
  readonly buildIds: readonly string[];
  readonly status: BatchEntryStatus;
}

export type BuildBatchPhaseType = 'SUBMITTED' | 'DOWNLOAD_BATCHSPEC' | 'IN_PROGRESS' | 'COMBINE_ARTIFACTS' | 'SUCCEEDED' | 'FAILED' | 'STOPPED';

export interface BuildBatchPhase {
  readonly phaseType: BuildBatchPhaseType;
  readonly phaseStatus: string | undefined;
  readonly startTime: number;
  readonly endTime: number | undefined;
}

/** What a server keeps of a build batch besides its indexed columns. */
export interface BuildBatchState {
  readonly arn: string;
  readonly initiator: string;
  readonly sourceVersion: string | undefined;
  /** The batch buildspec (inline YAML), which builds without their own `buildspec` run. */
  readonly buildspec: string;
  readonly kind: BatchKind;
  readonly fastFail: boolean;
  readonly combineArtifacts: boolean;
  readonly groups: readonly BuildBatchGroup[];
  readonly phases: readonly BuildBatchPhase[];
  readonly stopRequested: boolean;
  /** StartBuildBatch's overrides, applied to every build of the batch. */
  readonly imageOverride: string | undefined;
  readonly environmentVariablesOverride: readonly { readonly name: string; readonly value: string; readonly type: 'PLAINTEXT' | 'PARAMETER_STORE' | 'SECRETS_MANAGER' }[];
  readonly timeoutInMinutes: number | undefined;
  /** Set when a pipeline's CodeBuild action (BatchEnabled) started the batch: its builds read the action's input artifacts. */
  readonly pipeline?: BatchPipelineInput | undefined;
  /** The blob key of the combined artifact, once a combining batch succeeded. */
  readonly combinedArtifactKey?: string | undefined;
}

export interface BatchPipelineInput {
  readonly inputArtifacts: readonly { readonly name: string; readonly blobKey: string }[];
  readonly primarySource: string | undefined;
  readonly action: { readonly pipelineName: string; readonly executionId: string; readonly stageName: string; readonly actionName: string; readonly attempt: number };
}

/** The batch's phases after it ends with `status` at `now`: the open phase closed, the terminal marker added. */
export function endBatchPhases(phases: readonly BuildBatchPhase[], status: BuildBatchStatus, now: number): BuildBatchPhase[] {
  if (status === 'IN_PROGRESS') return [...phases];
  const closed = phases.map((phase) => (phase.endTime === undefined ? { ...phase, endTime: now, phaseStatus: status === 'SUCCEEDED' ? 'SUCCEEDED' : status === 'STOPPED' ? 'STOPPED' : 'CLIENT_ERROR' } : phase));
  return [...closed, { phaseType: status, phaseStatus: undefined, startTime: now, endTime: undefined }];
}
