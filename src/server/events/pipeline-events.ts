/**
 * The domain events one pipeline transition makes: every execution, stage and action attempt whose
 * status differs between the runtime before and after, in that order. Derived from the two saved
 * runtimes rather than told by the machine, so the machine stays as it is and no change is missed.
 */
import type { ExecutionState, PipelineRuntime } from '../../core/pipeline-execution.js';
import type { DomainEvent } from './event-bus.js';

export function pipelineChanges(pipelineName: string, before: PipelineRuntime, after: PipelineRuntime): DomainEvent[] {
  const previous = new Map(before.executions.map((e) => [e.pipelineExecutionId, e]));
  const events: DomainEvent[] = [];
  for (const execution of after.executions) {
    const old = previous.get(execution.pipelineExecutionId);
    const executionId = execution.pipelineExecutionId;
    if (old?.status !== execution.status) events.push({ type: 'PipelineExecutionChanged', pipelineName, executionId, previousStatus: old?.status, status: execution.status });
    for (const [stage, run] of Object.entries(execution.stages)) {
      const oldRun = old?.stages[stage];
      if (oldRun?.status !== run.status || oldRun.run !== run.run) events.push({ type: 'StageChanged', pipelineName, executionId, stage, previousStatus: oldRun?.status, status: run.status });
    }
    for (const action of execution.actions) {
      const oldAction = findAttempt(old, action.stage, action.action, action.attempt);
      if (oldAction?.status !== action.status) {
        events.push({ type: 'ActionChanged', pipelineName, executionId, stage: action.stage, action: action.action, attempt: action.attempt, previousStatus: oldAction?.status, status: action.status });
      }
    }
  }
  return events;
}

function findAttempt(execution: ExecutionState | undefined, stage: string, action: string, attempt: number): ExecutionState['actions'][number] | undefined {
  return execution?.actions.find((a) => a.stage === stage && a.action === action && a.attempt === attempt);
}
