/**
 * The server's build record: what `StoredBuild.record` holds, and pure helpers that move a stored
 * build between QUEUED, running and finished. The phases before PROVISIONING belong to the server;
 * the rest are reported by the agent that runs the build (through the same runner as
 * `nagare build`).
 */
import type { BuildJob, StoredArtifact } from '../../core/build-job.js';
import type { PhaseContext, PhaseRecord, StatusType } from '../../core/build-phases.js';
import { buildLabels, DOCKER_LABEL, fleetNameOf, type JobRouting } from '../../core/job-routing.js';
import type { BuildProject } from '../../core/project.js';
import type { StoredBuild } from '../../core/store.js';

export interface BuildRecordData {
  readonly job: BuildJob;
  readonly phases: readonly PhaseRecord[];
  readonly artifacts: StoredArtifact | undefined;
  readonly secondaryArtifacts: readonly StoredArtifact[];
  readonly exportedEnvironmentVariables: readonly { readonly name: string; readonly value: string }[];
  readonly reports: readonly Readonly<Record<string, unknown>>[];
  readonly resolvedSourceVersion: string | undefined;
  readonly agentId: string | undefined;
  /**
   * The names a buildspec from the source references, as the agent holding the build declared them
   * on its first parameters call (see job-parameter-names.ts); absent until then.
   */
  readonly declaredParameterNames?: { readonly agentId: string; readonly parameters: readonly string[]; readonly secrets: readonly string[] } | undefined;
}

export function recordOf(build: StoredBuild): BuildRecordData {
  return build.record as unknown as BuildRecordData;
}

export function asRecord(data: BuildRecordData): Readonly<Record<string, unknown>> {
  return data as unknown as Readonly<Record<string, unknown>>;
}

/** A new build waiting in the queue. */
export function queuedBuild(job: BuildJob, at: number): StoredBuild {
  const data: BuildRecordData = {
    job,
    phases: [
      { phaseType: 'SUBMITTED', phaseStatus: 'SUCCEEDED', startTime: at, endTime: at, contexts: [] },
      { phaseType: 'QUEUED', phaseStatus: undefined, startTime: at, endTime: undefined, contexts: [] },
    ],
    artifacts: undefined,
    secondaryArtifacts: [],
    exportedEnvironmentVariables: [],
    reports: [],
    resolvedSourceVersion: undefined,
    agentId: undefined,
  };
  return {
    id: job.buildId,
    projectName: job.projectName,
    buildNumber: job.buildNumber,
    buildStatus: 'IN_PROGRESS',
    currentPhase: 'QUEUED',
    startTime: at,
    endTime: undefined,
    stopRequested: false,
    logBytes: 0,
    logNextSequence: 0,
    record: asRecord(data),
  };
}

/** The build leaves the queue: QUEUED ends and an agent owns it. */
export function leasedRecord(build: StoredBuild, agentId: string, at: number): BuildRecordData {
  const data = recordOf(build);
  const phases = data.phases.map((p) => (p.phaseType === 'QUEUED' && p.phaseStatus === undefined ? { ...p, phaseStatus: 'SUCCEEDED' as const, endTime: at } : p));
  return { ...data, phases, agentId };
}

/** The server's own phases followed by the agent's from PROVISIONING on. */
export function mergePhases(serverPhases: readonly PhaseRecord[], agentPhases: readonly PhaseRecord[]): PhaseRecord[] {
  const own = serverPhases.filter((p) => p.phaseType === 'SUBMITTED' || p.phaseType === 'QUEUED');
  return [...own, ...agentPhases.filter((p) => p.phaseType !== 'SUBMITTED' && p.phaseType !== 'QUEUED')];
}

/**
 * Ends a build that its agent can no longer finish (queued timeout, stop while queued, lost
 * agent): the phase in progress takes `status` with `context`, and the build is COMPLETED.
 */
export function endedRecord(build: StoredBuild, status: StatusType, context: PhaseContext, at: number): { data: BuildRecordData; currentPhase: 'COMPLETED' } {
  const data = recordOf(build);
  const running = data.phases.some((p) => p.phaseStatus === undefined && p.phaseType !== 'COMPLETED');
  const phases: PhaseRecord[] = running
    ? data.phases.map((p) => (p.phaseStatus === undefined && p.phaseType !== 'COMPLETED' ? { ...p, phaseStatus: status, endTime: at, contexts: [...p.contexts, context] } : p))
    : // Leased, but the agent reported no phase yet: the build's current phase carries the reason.
      [...data.phases, { phaseType: build.currentPhase, phaseStatus: status, startTime: at, endTime: at, contexts: [context] }];
  if (phases.at(-1)?.phaseType !== 'COMPLETED') phases.push({ phaseType: 'COMPLETED', phaseStatus: undefined, startTime: at, endTime: undefined, contexts: [] });
  return { data: { ...data, phases }, currentPhase: 'COMPLETED' };
}

export function logBlobKey(buildId: string, sequence: number): string {
  return `logs/${safeId(buildId)}/${String(sequence).padStart(8, '0')}`;
}

export function artifactBlobKey(buildId: string, name: string): string {
  return `artifacts/${safeId(buildId)}/${name}`;
}

/** Build ids hold a `:`; blob keys allow it, but keep one spelling everywhere. */
function safeId(buildId: string): string {
  return buildId.replace(/[^A-Za-z0-9._:=@+-]/g, '_');
}

/**
 * Which agents may run a build: a Docker image needs the `docker` label; a project with
 * `environment.fleet` runs only in that fleet (the fleet as it is now, for a re-queued orphan too).
 */
export function buildJobRouting(job: BuildJob, project: BuildProject | undefined): JobRouting {
  const fleetArn = project?.environment.fleet?.fleetArn;
  // A privileged build needs an engine even when its image is `shell` (and is then refused there).
  const labels = job.privilegedMode && !buildLabels(job.image).includes(DOCKER_LABEL) ? [...buildLabels(job.image), DOCKER_LABEL] : buildLabels(job.image);
  return { kind: 'build', labels, fleet: fleetArn === undefined ? undefined : fleetNameOf(fleetArn), target: undefined };
}
