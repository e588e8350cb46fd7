/**
 * A build that ends before its buildspec runs (its source, buildspec or variables could not be had,
 * or it was stopped meanwhile): the phases are the core machine's for DOWNLOAD_SOURCE ending so,
 * never written by hand, so they read as every other build's.
 */
import { applyPhaseEvent, startBuild, type PhaseContext, type PhaseRecord, type StatusType } from '../core/build-phases.js';

export function endedBeforeRun(startedAt: number, endedAt: number, outcome: 'FAILED' | 'FAULT' | 'STOPPED', context: PhaseContext): { buildStatus: StatusType; phases: PhaseRecord[] } {
  const provisioned = applyPhaseEvent(startBuild(startedAt, {}).state, { type: 'PHASE_ENDED', at: endedAt, outcome: 'SUCCEEDED' });
  let { state, effects } = applyPhaseEvent(
    provisioned.state,
    outcome === 'STOPPED' ? { type: 'INTERRUPTED', at: endedAt, reason: 'STOPPED', contexts: [context] } : { type: 'PHASE_ENDED', at: endedAt, outcome, contexts: [context], failureText: context.message },
  );
  // What the machine runs after a failed source (FINALIZING) has nothing to do here and succeeds.
  for (let guard = 0; guard < 10 && effects[0]?.type === 'RUN_PHASE'; guard += 1) {
    ({ state, effects } = applyPhaseEvent(state, { type: 'PHASE_ENDED', at: endedAt, outcome: 'SUCCEEDED' }));
  }
  return { buildStatus: state.buildStatus, phases: [...state.phases] };
}
