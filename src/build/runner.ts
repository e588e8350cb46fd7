/**
 * The build runner: drives an executor through the buildspec phases as CodeBuild does. The phase
 * order, failure handling and final status come from the pure machine in core/build-phases.ts;
 * this file does what its effects say. `nagare build` and every agent use this same runner.
 *
 * Contract: `runBuild` resolves with the build's record whatever the buildspec does; a failing
 * command is a FAILED phase. It rejects only for misuse. Everything the executor started is gone
 * when it resolves (timeouts, stops and normal ends alike).
 */
import { applyPhaseEvent, BUILDSPEC_PHASE_OF, startBuild, type BuildPhaseEvent, type BuildPhaseState, type PhaseContext, type PhaseType } from '../core/build-phases.js';
import { isNagareError } from '../core/errors.js';
import { codebuildVariables } from './environment.js';
import { DEFAULT_LOG_LIMIT_BYTES } from '../core/log-limits.js';
import { BuildLog, Masker } from '../executors/command-log.js';
import { awsCredentialValues, BuildSteps, type StepResult } from './steps.js';
import type { BuildRequest } from './build-request.js';

export type { BuildRequest } from './build-request.js';
import { toBuildRecord, type BuildRecord } from './result.js';

export async function runBuild(request: BuildRequest): Promise<BuildRecord> {
  const { identity, buildspec, clock } = request;
  const log = new BuildLog(request.log, new Masker(awsCredentialValues(request.overrides)), clock, request.logLimitBytes ?? DEFAULT_LOG_LIMIT_BYTES);
  const steps = new BuildSteps(request, log);
  const onFailure = Object.fromEntries(
    Object.entries(buildspec.phases).flatMap(([name, phase]) => (phase.onFailure ? [[name, phase.onFailure]] : [])),
  );
  // Keys CodeBuild ignores are said first, so a misspelt one is seen before it is missed.
  for (const warning of buildspec.warnings) {
    log.system(`Buildspec warning: ${warning.position.file}:${warning.position.line}:${warning.position.column}: ${warning.message}`);
  }
  let { state, effects } = startBuild(request.provisioningStartsAt ?? identity.startTime, onFailure);
  request.onPhaseChange?.(maskedState(state, (text) => log.mask(text)));

  let interruption: 'TIMED_OUT' | 'STOPPED' | undefined;
  const interrupt = (reason: 'TIMED_OUT' | 'STOPPED'): void => {
    if (interruption) return;
    interruption = reason;
    log.system(reason === 'TIMED_OUT' ? `Build timed out after ${request.timeoutInMinutes} minutes; stopping the running command` : 'Stop requested; stopping the running command');
    void steps.terminate(request.killGraceMs ?? 10_000);
  };
  const timer = setTimeout(() => interrupt('TIMED_OUT'), request.timeoutInMinutes * 60_000);
  const onAbort = (): void => interrupt('STOPPED');
  if (request.signal?.aborted) interrupt('STOPPED');
  request.signal?.addEventListener('abort', onAbort, { once: true });
  steps.interrupted = () => interruption !== undefined;

  try {
    for (;;) {
      const effect = effects[0];
      if (!effect || effect.type === 'COMPLETE') break;
      const phase = effect.phase;
      // CodeBuild's first line, "Waiting for agent ping", means nothing in a local build: every phase is entered alike.
      if (effect.type === 'RUN_PHASE') log.system(`Entering phase ${phase}`);
      else log.system(`Retrying phase ${phase} (attempt ${effect.attempt}, ${effect.remaining} retries left)`);
      const result = await runStep(steps, phase, state);
      if (interruption && state.interruption === undefined) {
        ({ state, effects } = applyPhaseEvent(state, interruptedEvent(interruption, clock(), request.timeoutInMinutes)));
        // FINALIZING is not cut short by an interruption: it ends with its own outcome.
        if (phase === 'FINALIZING') ({ state, effects } = applyPhaseEvent(state, toEvent(result, clock())));
      } else {
        ({ state, effects } = applyPhaseEvent(state, toEvent(result, clock())));
      }
      logPhaseComplete(log, phase, state);
      request.onPhaseChange?.(maskedState(state, (text) => log.mask(text)));
      await steps.afterPhase(phase, state);
    }
  } finally {
    clearTimeout(timer);
    request.signal?.removeEventListener('abort', onAbort);
    await steps.dispose();
  }
  log.system(`Build ${state.buildStatus === 'SUCCEEDED' ? 'succeeded' : `ended ${state.buildStatus}`}`);
  return toBuildRecord({ request, state, steps, codebuild: codebuildVariables(identity), mask: (s) => steps.mask(s) });
}

async function runStep(steps: BuildSteps, phase: PhaseType, state: BuildPhaseState): Promise<StepResult> {
  try {
    const buildspecPhase = BUILDSPEC_PHASE_OF[phase];
    if (buildspecPhase) return await steps.buildspecPhase(buildspecPhase, state.succeeding);
    switch (phase) {
      case 'PROVISIONING':
        return await steps.provision();
      case 'DOWNLOAD_SOURCE':
        return await steps.downloadSource();
      case 'UPLOAD_ARTIFACTS':
        return await steps.uploadArtifacts(state);
      case 'FINALIZING':
        return await steps.finalize();
      default:
        return { outcome: 'SUCCEEDED' };
    }
  } catch (error) {
    // Anything thrown here is nagare's own failure, not the build's: FAULT with the reason.
    const message = isNagareError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
    steps.log.system(`Phase error: ${message}`);
    return { outcome: 'FAULT', context: { statusCode: isNagareError(error) ? error.code : 'INTERNAL_ERROR', message } };
  }
}

function maskedState(state: BuildPhaseState, mask: (text: string) => string): BuildPhaseState {
  return { ...state, phases: state.phases.map((p) => ({ ...p, contexts: p.contexts.map((c) => ({ ...c, message: mask(c.message) })) })) };
}

function interruptedEvent(reason: 'TIMED_OUT' | 'STOPPED', at: number, timeoutInMinutes: number): BuildPhaseEvent {
  const context: PhaseContext = reason === 'TIMED_OUT'
    ? { statusCode: 'BUILD_TIMED_OUT', message: `Build has timed out. ${timeoutInMinutes * 60} secs` }
    : { statusCode: 'BUILD_STOPPED', message: 'Build was stopped' };
  return { type: 'INTERRUPTED', at, reason, contexts: [context] };
}

function toEvent(result: StepResult, at: number): BuildPhaseEvent {
  // INTERRUPTED without a recorded interruption cannot happen; count it as the phase succeeding.
  if (result.outcome === 'SUCCEEDED' || result.outcome === 'INTERRUPTED') return { type: 'PHASE_ENDED', at, outcome: 'SUCCEEDED' };
  return { type: 'PHASE_ENDED', at, outcome: result.outcome, contexts: [result.context], failureText: result.failureText ?? result.context.message };
}

function logPhaseComplete(log: BuildLog, phase: PhaseType, state: BuildPhaseState): void {
  const record = [...state.phases].reverse().find((p) => p.phaseType === phase);
  if (!record?.phaseStatus) return; // still running (a retry) or no record
  log.system(`Phase complete: ${phase} State: ${record.phaseStatus}`);
  const context = record.contexts.at(-1);
  log.system(`Phase context status code: ${context?.statusCode ?? ''} Message: ${context?.message ?? ''}`);
}
