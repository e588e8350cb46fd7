/**
 * The server side of a build's life as a pure machine: `(build, event) -> patch`. The server owns
 * SUBMITTED and QUEUED; from PROVISIONING on the phases are the agent's, computed by the same
 * build-phase machine as `nagare build` (build-phases.ts) and reported here. Services load a build,
 * apply one event and store the patch; nothing else writes a build's phases or status.
 *
 * Rules (CodeBuild's Build object, docs/agent.md):
 * - A new build is IN_PROGRESS in QUEUED, with SUBMITTED already SUCCEEDED.
 * - A lease ends QUEUED (SUCCEEDED) and names the agent; the build is in PROVISIONING.
 * - An agent's report replaces every phase from PROVISIONING on; only `AGENT_COMPLETED` may bring
 *   COMPLETED (a last heartbeat can say COMPLETED before the result arrives).
 * - The server ends a build no agent will finish (queued timeout, stop while queued, a lost agent):
 *   the phase in progress takes the status with the reason as its context, then COMPLETED.
 */
import type { BuildJob, StoredArtifact } from './build-job.js';
import type { PhaseContext, PhaseRecord, PhaseType, StatusType } from './build-phases.js';

/** The parameter and secret names a buildspec from the source references, declared by its agent. */
export interface DeclaredParameterNames {
  readonly agentId: string;
  readonly parameters: readonly string[];
  readonly secrets: readonly string[];
}

/** What a stored build holds beyond its queried columns: the AWS Build fields and the job. */
export interface BuildRecord {
  readonly job: BuildJob;
  readonly phases: readonly PhaseRecord[];
  readonly artifacts: StoredArtifact | undefined;
  readonly secondaryArtifacts: readonly StoredArtifact[];
  readonly exportedEnvironmentVariables: readonly { readonly name: string; readonly value: string }[];
  readonly reports: readonly Readonly<Record<string, unknown>>[];
  readonly resolvedSourceVersion: string | undefined;
  readonly agentId: string | undefined;
  /** Absent until the agent holding a build whose buildspec is in the source declares its names. */
  readonly declaredParameterNames?: DeclaredParameterNames | undefined;
}

/** The columns and record of a build; the store's StoredBuild is this plus its log counters. */
export interface BuildLife {
  readonly buildStatus: StatusType;
  readonly currentPhase: PhaseType;
  readonly endTime: number | undefined;
  readonly record: BuildRecord;
}

export interface AgentResult {
  readonly buildStatus: StatusType;
  readonly phases: readonly PhaseRecord[];
  readonly exportedEnvironmentVariables: readonly { readonly name: string; readonly value: string }[];
  readonly reports: readonly Readonly<Record<string, unknown>>[];
  readonly resolvedSourceVersion?: string | undefined;
}

export type BuildLifeEvent =
  | { readonly type: 'LEASED'; readonly agentId: string; readonly at: number }
  | { readonly type: 'PHASES_REPORTED'; readonly currentPhase: PhaseType | undefined; readonly phases: readonly PhaseRecord[] }
  | { readonly type: 'ARTIFACT_STORED'; readonly artifact: StoredArtifact }
  | { readonly type: 'PARAMETER_NAMES_DECLARED'; readonly declaration: DeclaredParameterNames }
  | { readonly type: 'AGENT_COMPLETED'; readonly result: AgentResult; readonly at: number }
  | { readonly type: 'ENDED_BY_SERVER'; readonly status: 'STOPPED' | 'TIMED_OUT' | 'FAULT'; readonly context: PhaseContext; readonly at: number };

/** What an event changes; fields absent are unchanged. */
export interface BuildLifePatch {
  readonly buildStatus?: StatusType;
  readonly currentPhase?: PhaseType;
  readonly endTime?: number;
  readonly record: BuildRecord;
}

/** A new build waiting in the queue: SUBMITTED done, QUEUED running. */
export function submittedBuild(job: BuildJob, at: number): BuildLife {
  return {
    buildStatus: 'IN_PROGRESS',
    currentPhase: 'QUEUED',
    endTime: undefined,
    record: {
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
    },
  };
}

export function applyBuildLife(build: BuildLife, event: BuildLifeEvent): BuildLifePatch {
  const record = build.record;
  switch (event.type) {
    case 'LEASED': {
      const phases = record.phases.map((p) => (p.phaseType === 'QUEUED' && p.phaseStatus === undefined ? { ...p, phaseStatus: 'SUCCEEDED' as const, endTime: event.at } : p));
      return { currentPhase: 'PROVISIONING', record: { ...record, phases, agentId: event.agentId } };
    }
    case 'PHASES_REPORTED': {
      const currentPhase = event.currentPhase !== undefined && event.currentPhase !== 'COMPLETED' ? event.currentPhase : build.currentPhase;
      const phases = mergePhases(withoutCompleted(record.phases), withoutCompleted(event.phases));
      return { currentPhase, record: { ...record, phases } };
    }
    case 'ARTIFACT_STORED': {
      const artifact = event.artifact;
      if (artifact.artifactIdentifier === undefined) return { record: { ...record, artifacts: artifact } };
      const others = record.secondaryArtifacts.filter((a) => a.artifactIdentifier !== artifact.artifactIdentifier);
      return { record: { ...record, secondaryArtifacts: [...others, artifact] } };
    }
    case 'PARAMETER_NAMES_DECLARED':
      return { record: { ...record, declaredParameterNames: event.declaration } };
    case 'AGENT_COMPLETED': {
      const { result } = event;
      return {
        buildStatus: result.buildStatus,
        currentPhase: 'COMPLETED',
        endTime: event.at,
        record: {
          ...record,
          phases: mergePhases(record.phases, result.phases),
          exportedEnvironmentVariables: result.exportedEnvironmentVariables,
          reports: result.reports,
          resolvedSourceVersion: result.resolvedSourceVersion,
        },
      };
    }
    case 'ENDED_BY_SERVER':
      return { buildStatus: event.status, currentPhase: 'COMPLETED', endTime: event.at, record: { ...record, phases: endedPhases(build, event.status, event.context, event.at) } };
    default:
      return assertNever(event);
  }
}

/** The server's own phases followed by the agent's from PROVISIONING on. */
function mergePhases(serverPhases: readonly PhaseRecord[], agentPhases: readonly PhaseRecord[]): PhaseRecord[] {
  const own = serverPhases.filter((p) => p.phaseType === 'SUBMITTED' || p.phaseType === 'QUEUED');
  return [...own, ...agentPhases.filter((p) => p.phaseType !== 'SUBMITTED' && p.phaseType !== 'QUEUED')];
}

function withoutCompleted(phases: readonly PhaseRecord[]): PhaseRecord[] {
  return phases.filter((p) => p.phaseType !== 'COMPLETED');
}

function endedPhases(build: BuildLife, status: StatusType, context: PhaseContext, at: number): PhaseRecord[] {
  const open = (p: PhaseRecord): boolean => p.phaseStatus === undefined && p.phaseType !== 'COMPLETED';
  const phases: PhaseRecord[] = build.record.phases.some(open)
    ? build.record.phases.map((p) => (open(p) ? { ...p, phaseStatus: status, endTime: at, contexts: [...p.contexts, context] } : p))
    : // Leased, but the agent reported no phase yet: the build's current phase carries the reason.
      [...build.record.phases, { phaseType: build.currentPhase, phaseStatus: status, startTime: at, endTime: at, contexts: [context] }];
  if (phases.at(-1)?.phaseType !== 'COMPLETED') phases.push({ phaseType: 'COMPLETED', phaseStatus: undefined, startTime: at, endTime: undefined, contexts: [] });
  return phases;
}

function assertNever(event: never): never {
  throw new Error(`Unknown build life event ${JSON.stringify(event)}`);
}
