/**
 * The build-phase state machine: which phase runs after which, and what status the build ends
 * with (reference §1.7, decisions 1–5). Pure: `(state, event) → (state, effects)`. The runner feeds
 * it the outcome of each phase and does what the effect says; the machine never does I/O.
 *
 * A failed command is not an exception here: it arrives as `PHASE_ENDED` with status FAILED.
 * FAULT means nagare itself failed.
 */
import type { BuildspecPhaseName, OnFailure } from './buildspec.js';

export const PHASE_TYPES = [
  'SUBMITTED',
  'QUEUED',
  'PROVISIONING',
  'DOWNLOAD_SOURCE',
  'INSTALL',
  'PRE_BUILD',
  'BUILD',
  'POST_BUILD',
  'UPLOAD_ARTIFACTS',
  'FINALIZING',
  'COMPLETED',
] as const;
export type PhaseType = (typeof PHASE_TYPES)[number];

export type StatusType = 'SUCCEEDED' | 'FAILED' | 'FAULT' | 'TIMED_OUT' | 'IN_PROGRESS' | 'STOPPED';
/** How a phase can end. */
export type PhaseOutcome = 'SUCCEEDED' | 'FAILED' | 'FAULT';
export type Interruption = 'TIMED_OUT' | 'STOPPED';

export interface PhaseContext {
  readonly statusCode: string;
  readonly message: string;
}

export interface PhaseRecord {
  readonly phaseType: PhaseType;
  /** undefined while the phase is running (and for COMPLETED, as in the AWS API). */
  readonly phaseStatus: StatusType | undefined;
  readonly startTime: number;
  readonly endTime: number | undefined;
  readonly contexts: readonly PhaseContext[];
}

/** Buildspec phase of each phase type that runs buildspec commands. */
export const BUILDSPEC_PHASE_OF: Readonly<Partial<Record<PhaseType, BuildspecPhaseName>>> = {
  INSTALL: 'install',
  PRE_BUILD: 'pre_build',
  BUILD: 'build',
  POST_BUILD: 'post_build',
};

export interface BuildPhaseState {
  readonly phases: readonly PhaseRecord[];
  readonly currentPhase: PhaseType;
  /** `CODEBUILD_BUILD_SUCCEEDING`: false from the first failed phase on. */
  readonly succeeding: boolean;
  readonly faulted: boolean;
  readonly interruption: Interruption | undefined;
  /** Attempts made of the current phase (1 on first entry). */
  readonly attempt: number;
  readonly onFailure: Readonly<Partial<Record<BuildspecPhaseName, OnFailure>>>;
  /** Final status once COMPLETED; IN_PROGRESS before. */
  readonly buildStatus: StatusType;
}

export type BuildPhaseEvent =
  | { readonly type: 'PHASE_ENDED'; readonly at: number; readonly outcome: PhaseOutcome; readonly contexts?: readonly PhaseContext[]; readonly failureText?: string }
  /** A timeout or StopBuild while the current phase runs. */
  | { readonly type: 'INTERRUPTED'; readonly at: number; readonly reason: Interruption; readonly contexts?: readonly PhaseContext[] };

export type BuildPhaseEffect =
  | { readonly type: 'RUN_PHASE'; readonly phase: PhaseType }
  | { readonly type: 'RETRY_PHASE'; readonly phase: PhaseType; readonly attempt: number; readonly remaining: number }
  | { readonly type: 'COMPLETE'; readonly buildStatus: StatusType };

export interface Transition {
  readonly state: BuildPhaseState;
  readonly effects: readonly BuildPhaseEffect[];
}

/** A new build, already past SUBMITTED and QUEUED (a local build is never queued), entering PROVISIONING. */
export function startBuild(at: number, onFailure: BuildPhaseState['onFailure']): Transition {
  const instant = (phaseType: PhaseType): PhaseRecord => ({ phaseType, phaseStatus: 'SUCCEEDED', startTime: at, endTime: at, contexts: [] });
  const state: BuildPhaseState = {
    phases: [instant('SUBMITTED'), instant('QUEUED'), running('PROVISIONING', at)],
    currentPhase: 'PROVISIONING',
    succeeding: true,
    faulted: false,
    interruption: undefined,
    attempt: 1,
    onFailure,
    buildStatus: 'IN_PROGRESS',
  };
  return { state, effects: [{ type: 'RUN_PHASE', phase: 'PROVISIONING' }] };
}

export function applyPhaseEvent(state: BuildPhaseState, event: BuildPhaseEvent): Transition {
  if (state.currentPhase === 'COMPLETED') return { state, effects: [] };
  if (event.type === 'INTERRUPTED') return interrupt(state, event);

  const ended = endCurrent(state, event.outcome, event.at, event.contexts ?? []);
  if (event.outcome === 'FAULT') {
    return moveTo({ ...ended, faulted: true, succeeding: false }, nextAfterFault(state.currentPhase), event.at);
  }
  if (event.outcome === 'SUCCEEDED') {
    return moveTo(ended, nextInOrder(state.currentPhase), event.at);
  }

  const failed: BuildPhaseState = { ...ended, succeeding: false };
  const buildspecPhase = BUILDSPEC_PHASE_OF[state.currentPhase];
  const rule = buildspecPhase ? state.onFailure[buildspecPhase] : undefined;
  if (rule?.kind === 'RETRY') {
    const retriesUsed = state.attempt - 1;
    if (retriesUsed < rule.count && matchesRetry(rule.pattern, event.failureText ?? '')) {
      return retry(state, event.at, event.contexts ?? [], rule.count - retriesUsed - 1);
    }
  }
  if (rule?.kind === 'ABORT') return moveTo(failed, 'FINALIZING', event.at);
  if (rule?.kind === 'CONTINUE') return moveTo(failed, nextInOrder(state.currentPhase), event.at);
  return moveTo(failed, defaultNextAfterFailure(state.currentPhase), event.at);
}

/** Decision 1: the regex is matched case-sensitively; an invalid one never matches (the parser rejects those). */
export function matchesRetry(pattern: string, failureText: string): boolean {
  try {
    return new RegExp(pattern).test(failureText);
  } catch {
    return false;
  }
}

/** Reference §1.7's table of what runs after a failed phase when `on-failure` is absent. */
export function defaultNextAfterFailure(phase: PhaseType): PhaseType {
  switch (phase) {
    case 'BUILD':
      return 'POST_BUILD';
    case 'POST_BUILD':
      return 'UPLOAD_ARTIFACTS';
    case 'FINALIZING':
      return 'COMPLETED';
    case 'SUBMITTED':
    case 'QUEUED':
    case 'PROVISIONING':
    case 'DOWNLOAD_SOURCE':
    case 'INSTALL':
    case 'PRE_BUILD':
    case 'UPLOAD_ARTIFACTS':
      return 'FINALIZING';
    case 'COMPLETED':
      return 'COMPLETED';
  }
}

/** The phase after `phase` on the success path. */
export function nextInOrder(phase: PhaseType): PhaseType {
  const index = PHASE_TYPES.indexOf(phase);
  return PHASE_TYPES[Math.min(index + 1, PHASE_TYPES.length - 1)] ?? 'COMPLETED';
}

/** Whether the BUILD phase ran and succeeded: the condition for saving the cache (decision 5). */
export function buildPhaseSucceeded(state: BuildPhaseState): boolean {
  return state.phases.some((p) => p.phaseType === 'BUILD' && p.phaseStatus === 'SUCCEEDED');
}

/** Final status: an interruption wins, then a fault, then any failed phase (reference §1.7, decision 2). */
export function finalStatus(state: BuildPhaseState): StatusType {
  if (state.interruption) return state.interruption;
  if (state.faulted) return 'FAULT';
  if (state.phases.some((p) => p.phaseStatus === 'FAILED')) return 'FAILED';
  return 'SUCCEEDED';
}

function nextAfterFault(phase: PhaseType): PhaseType {
  return phase === 'FINALIZING' ? 'COMPLETED' : 'FINALIZING';
}

function interrupt(state: BuildPhaseState, event: Extract<BuildPhaseEvent, { type: 'INTERRUPTED' }>): Transition {
  // Decision 4: the phase in progress takes the status, no further buildspec phase runs, artifacts
  // are not uploaded, FINALIZING still runs. An interruption during FINALIZING lets it finish.
  if (state.interruption) return { state, effects: [] };
  if (state.currentPhase === 'FINALIZING') return { state: { ...state, interruption: event.reason, succeeding: false }, effects: [] };
  const ended = endCurrent(state, event.reason, event.at, event.contexts ?? []);
  return moveTo({ ...ended, interruption: event.reason, succeeding: false }, 'FINALIZING', event.at);
}

function retry(state: BuildPhaseState, at: number, contexts: readonly PhaseContext[], remaining: number): Transition {
  // A retried phase keeps one record; each failed attempt leaves its context message.
  const phases = state.phases.map((p, i) => (i === state.phases.length - 1 ? { ...p, contexts: [...p.contexts, ...contexts] } : p));
  const attempt = state.attempt + 1;
  return {
    state: { ...state, phases, attempt },
    effects: [{ type: 'RETRY_PHASE', phase: state.currentPhase, attempt, remaining }],
  };
}

function endCurrent(state: BuildPhaseState, status: StatusType, at: number, contexts: readonly PhaseContext[]): BuildPhaseState {
  const phases = state.phases.map((p, i) =>
    i === state.phases.length - 1 ? { ...p, phaseStatus: status, endTime: at, contexts: [...p.contexts, ...contexts] } : p,
  );
  return { ...state, phases };
}

function moveTo(state: BuildPhaseState, phase: PhaseType, at: number): Transition {
  if (phase === 'COMPLETED') {
    const done: BuildPhaseState = {
      ...state,
      phases: [...state.phases, { phaseType: 'COMPLETED', phaseStatus: undefined, startTime: at, endTime: undefined, contexts: [] }],
      currentPhase: 'COMPLETED',
      attempt: 1,
    };
    const buildStatus = finalStatus(done);
    return { state: { ...done, buildStatus }, effects: [{ type: 'COMPLETE', buildStatus }] };
  }
  return {
    state: { ...state, phases: [...state.phases, running(phase, at)], currentPhase: phase, attempt: 1 },
    effects: [{ type: 'RUN_PHASE', phase }],
  };
}

function running(phaseType: PhaseType, at: number): PhaseRecord {
  return { phaseType, phaseStatus: undefined, startTime: at, endTime: undefined, contexts: [] };
}
