/**
 * What a driver must (re)ensure after loading a stored runtime: "nothing runs twice". Effects are
 * recomputed from the state, so a server that died between storing the runtime and acting on the
 * effects can do it again; the driver makes each idempotent by `executionId/stage/action/attempt`.
 */
import { findAction, isActive, requestApproval, runActionEffect } from './pipeline-execution-flow.js';
import type { PipelineEffect, PipelineRuntime } from './pipeline-execution-types.js';

/**
 * RUN_ACTION for every action attempt in progress and REQUEST_APPROVAL for every approval waiting,
 * equal to the effects that started them. ABANDON_ACTION and EXECUTION_ENDED are not repeated:
 * the server saves each ABANDON_ACTION in `runtime.abandoning` with the transition (and strikes it
 * off once done); EXECUTION_ENDED asks for nothing that must happen.
 */
export function pendingEffects(runtime: PipelineRuntime): PipelineEffect[] {
  const effects: PipelineEffect[] = [];
  for (const exec of runtime.executions) {
    if (!isActive(exec)) continue;
    for (const record of exec.actions) {
      if (record.status !== 'InProgress') continue;
      const action = findAction(exec, record.stage, record.action);
      if (!action) continue;
      effects.push(record.token !== undefined ? requestApproval(exec, record) : runActionEffect(exec, record, action));
    }
  }
  return effects;
}

/** The earliest approval expiry still ahead: when the driver should send the next TIMER. */
export function nextDeadline(runtime: PipelineRuntime): number | undefined {
  let next: number | undefined;
  for (const exec of runtime.executions) {
    if (!isActive(exec)) continue;
    for (const record of exec.actions) {
      if (record.status === 'InProgress' && record.expiresAt !== undefined && (next === undefined || record.expiresAt < next)) next = record.expiresAt;
    }
  }
  return next;
}
