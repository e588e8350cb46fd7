/**
 * Which executions the runtime keeps and which go to the history table (issue 8, "History that
 * scales"). The machine reads every execution it is given, but once an execution has ended it only
 * still matters in a few ways, so the runtime keeps exactly those:
 * - active executions (stage locks, queues, superseding, approvals, timers);
 * - the newest execution (the pipeline list's "latest execution");
 * - the latest execution to enter each stage of the current definition, and the latest holding an
 *   attempt of each of its actions: GetPipelineState's "latest" view, and RetryStageExecution's
 *   "a newer execution has entered the stage" check;
 * Everything else ended is history: immutable until a retry takes it back (the service puts an
 * execution named by an event back into the runtime before applying the event, so the machine
 * answers exactly as if it had never left).
 */
import { isActive } from './pipeline-execution-flow.js';
import type { ExecutionState, PipelineRuntime } from './pipeline-execution-types.js';

/** The ids of the executions a runtime must keep (see the file comment). */
export function retainedExecutionIds(runtime: PipelineRuntime): Set<string> {
  const keep = new Set<string>();
  for (const exec of runtime.executions) if (isActive(exec)) keep.add(exec.pipelineExecutionId);
  const newest = runtime.executions.reduce<ExecutionState | undefined>((a, b) => (a === undefined || b.startSeq > a.startSeq ? b : a), undefined);
  if (newest) keep.add(newest.pipelineExecutionId);
  for (const stage of runtime.definition.stages) {
    let latest: ExecutionState | undefined;
    for (const exec of runtime.executions) {
      const seq = exec.stages[stage.name]?.enteredSeq;
      if (seq !== undefined && (latest === undefined || seq > (latest.stages[stage.name]?.enteredSeq ?? -1))) latest = exec;
    }
    if (latest) keep.add(latest.pipelineExecutionId);
    for (const action of stage.actions) {
      let holder: ExecutionState | undefined;
      for (const exec of runtime.executions) {
        if (!exec.actions.some((r) => r.stage === stage.name && r.action === action.name)) continue;
        const seq = exec.stages[stage.name]?.enteredSeq ?? 0;
        if (holder === undefined || seq > (holder.stages[stage.name]?.enteredSeq ?? 0)) holder = exec;
      }
      if (holder) keep.add(holder.pipelineExecutionId);
    }
  }
  return keep;
}

export interface HistorySplit {
  /** The runtime to store: the executions of `after` that are retained, in their order. */
  runtime: PipelineRuntime;
  /** Executions that ended in this transition (or arrived ended): to write to the history table. */
  ended: ExecutionState[];
  /** Executions that were ended before and are active again (a retry): to remove from the table. */
  reopened: string[];
}

/**
 * Splits the machine's new runtime: `before` is the runtime the event was applied to (with any
 * execution taken back from history), `after` the machine's answer.
 */
export function splitHistory(before: PipelineRuntime, after: PipelineRuntime): HistorySplit {
  const endedBefore = new Set(before.executions.filter((e) => !isActive(e)).map((e) => e.pipelineExecutionId));
  const ended = after.executions.filter((e) => !isActive(e) && !endedBefore.has(e.pipelineExecutionId));
  const reopened = after.executions.filter((e) => isActive(e) && endedBefore.has(e.pipelineExecutionId)).map((e) => e.pipelineExecutionId);
  const keep = retainedExecutionIds(after);
  return { runtime: { ...after, executions: after.executions.filter((e) => keep.has(e.pipelineExecutionId)) }, ended, reopened };
}

/** The runtime with `exec` put back where its start puts it (executions are kept oldest first). */
export function withExecution(runtime: PipelineRuntime, exec: ExecutionState): PipelineRuntime {
  const executions = [...runtime.executions.filter((e) => e.pipelineExecutionId !== exec.pipelineExecutionId), exec].sort((a, b) => a.startSeq - b.startSeq);
  return { ...runtime, executions };
}
