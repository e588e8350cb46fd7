/**
 * The pipeline-execution state machine (reference §3.3–3.8, decisions 19–20). Pure:
 * `applyPipelineEvent(runtime, event) → { runtime, effects, error? }` over the whole pipeline,
 * since stage locks and execution modes need every execution at once. The driver stores the
 * runtime, does what the effects say (run an action, ask for an approval, cancel a build) and feeds
 * the outcomes back as events. A refused event (unknown execution, wrong approval token, a stage
 * that cannot be retried …) returns the runtime unchanged, no effects and an `error`.
 *
 * Times and ids come in events; nothing here reads a clock or makes a random number.
 */
import type { PipelineDefinition } from './pipeline.js';
import {
  advanceStage,
  arrive,
  currentStage,
  endExecution,
  findAction,
  isActive,
  isApproval,
  latestAttempts,
  settle,
  stageOccupied,
  startAction,
  type Step,
} from './pipeline-execution-flow.js';
import {
  PIPELINE_ERRORS,
  type ActionRun,
  type ExecutionState,
  type PipelineErrorCode,
  type PipelineEvent,
  type PipelineRuntime,
  type PipelineTransition,
} from './pipeline-execution-types.js';

export * from './pipeline-execution-types.js';
export { pendingEffects, nextDeadline } from './pipeline-execution-pending.js';
export * from './pipeline-execution-views.js';

/** A pipeline with no executions yet; every inbound transition enabled. */
export function createPipelineRuntime(definition: PipelineDefinition): PipelineRuntime {
  return { definition, executions: [], transitions: {}, sequence: 0 };
}

type EventOf<T extends PipelineEvent['type']> = Extract<PipelineEvent, { type: T }>;
/** A handler changes the draft in place, or returns an error (and the draft is dropped). */
type Refusal = { code: PipelineErrorCode; message: string } | undefined;

export function applyPipelineEvent(runtime: PipelineRuntime, event: PipelineEvent): PipelineTransition {
  const step: Step = { rt: structuredClone(runtime), at: event.at, nonce: event.nonce, tokensIssued: 0, effects: [] };
  const refusal = dispatch(step, event);
  if (refusal) return { runtime, effects: [], error: { ...refusal, awsException: PIPELINE_ERRORS[refusal.code] } };
  settle(step);
  return { runtime: step.rt, effects: step.effects };
}

function dispatch(step: Step, event: PipelineEvent): Refusal {
  switch (event.type) {
    case 'START':
      return start(step, event);
    case 'ACTION_SUCCEEDED':
    case 'ACTION_FAILED':
      return actionEnded(step, event);
    case 'APPROVAL_RESULT':
      return approvalResult(step, event);
    case 'TIMER':
      return timer(step);
    case 'STOP':
      return stop(step, event);
    case 'RETRY_STAGE':
      return retryStage(step, event);
    case 'DISABLE_TRANSITION':
    case 'ENABLE_TRANSITION':
      return changeTransition(step, event);
    case 'DEFINITION_UPDATED':
      return definitionUpdated(step, event);
  }
}

function execution(step: Step, id: string): ExecutionState | undefined {
  return step.rt.executions.find((e) => e.pipelineExecutionId === id);
}

const notFound = (id: string): Refusal => ({ code: 'PIPELINE_EXECUTION_NOT_FOUND', message: `no execution ${id} of this pipeline` });

function start(step: Step, event: EventOf<'START'>): Refusal {
  const { rt } = step;
  if (execution(step, event.executionId)) return { code: 'PIPELINE_EXECUTION_EXISTS', message: `execution ${event.executionId} already exists` };
  const declared = new Map(rt.definition.variables.map((v) => [v.name, v.defaultValue]));
  const unknown = Object.keys(event.variables).find((name) => !declared.has(name));
  if (unknown !== undefined) return { code: 'PIPELINE_INVALID_INPUT', message: `variable ${unknown} is not declared in the pipeline` };
  const variables: Record<string, string> = {};
  for (const [name, value] of declared) if (value !== undefined) variables[name] = value;
  Object.assign(variables, event.variables);
  rt.sequence += 1;
  const exec: ExecutionState = {
    pipelineExecutionId: event.executionId,
    definition: rt.definition,
    executionMode: rt.definition.executionMode,
    status: 'InProgress',
    trigger: { ...event.trigger },
    ...(event.traceParent === undefined ? {} : { traceParent: event.traceParent }),
    variables,
    sourceRevisions: { ...event.sourceRevisions },
    startTime: event.at,
    lastUpdateTime: event.at,
    startSeq: rt.sequence,
    stageIndex: 0,
    waiting: true,
    arrivedSeq: rt.sequence,
    stages: {},
    actions: [],
    artifacts: {},
    namespaces: {},
  };
  rt.executions.push(exec);
  arrive(step, exec);
  return undefined;
}

function actionEnded(step: Step, event: EventOf<'ACTION_SUCCEEDED'> | EventOf<'ACTION_FAILED'>): Refusal {
  const exec = execution(step, event.executionId);
  if (!exec) return notFound(event.executionId);
  const action = findAction(exec, event.stage, event.action);
  if (!action) return { code: 'PIPELINE_ACTION_NOT_FOUND', message: `no action ${event.stage}/${event.action} in execution ${event.executionId}` };
  const record = exec.actions.find((r) => r.stage === event.stage && r.action === event.action && r.attempt === event.attempt);
  if (!record || record.status !== 'InProgress' || isApproval(action)) {
    return { code: 'PIPELINE_ACTION_NOT_IN_PROGRESS', message: `attempt ${event.attempt} of ${event.stage}/${event.action} is not running (${record?.status ?? 'never started'})` };
  }
  record.lastUpdateTime = event.at;
  exec.lastUpdateTime = event.at;
  if (event.externalExecutionId !== undefined) record.externalExecutionId = event.externalExecutionId;
  if (event.externalExecutionUrl !== undefined) record.externalExecutionUrl = event.externalExecutionUrl;
  if (event.type === 'ACTION_FAILED') {
    record.status = 'Failed';
    record.summary = event.message;
    record.errorDetails = { code: 'JobFailed', message: event.message };
    return undefined;
  }
  record.status = 'Succeeded';
  if (event.summary !== undefined) record.summary = event.summary;
  if (event.revision) record.revision = { ...event.revision };
  for (const name of action.outputArtifacts) {
    const key = event.outputArtifacts[name];
    if (key === undefined) continue;
    record.outputArtifacts[name] = key;
    exec.artifacts[name] = key;
  }
  record.outputVariables = { ...event.outputVariables };
  if (action.namespace !== undefined) exec.namespaces[action.namespace] = { ...event.outputVariables };
  return undefined;
}

function approvalResult(step: Step, event: EventOf<'APPROVAL_RESULT'>): Refusal {
  const { rt } = step;
  if (!rt.executions.some((e) => e.definition.stages.some((s) => s.name === event.stage)) && !rt.definition.stages.some((s) => s.name === event.stage)) {
    return { code: 'PIPELINE_STAGE_NOT_FOUND', message: `no stage ${event.stage}` };
  }
  const records: [ExecutionState, ActionRun][] = rt.executions.flatMap((e) =>
    e.actions.filter((r) => r.stage === event.stage && r.action === event.action && r.token !== undefined).map((r): [ExecutionState, ActionRun] => [e, r]),
  );
  const declared = [rt.definition, ...rt.executions.map((e) => e.definition)].some((d) => d.stages.find((s) => s.name === event.stage)?.actions.some((a) => a.name === event.action && isApproval(a)));
  if (!declared) return { code: 'PIPELINE_ACTION_NOT_FOUND', message: `no manual approval action ${event.action} in stage ${event.stage}` };
  const match = records.find(([, r]) => r.token === event.token);
  if (!match) return { code: 'PIPELINE_INVALID_APPROVAL_TOKEN', message: `the approval token is not valid for ${event.stage}/${event.action}` };
  const [exec, record] = match;
  if (record.status !== 'InProgress' || !isActive(exec)) {
    return { code: 'PIPELINE_APPROVAL_ALREADY_COMPLETED', message: `the approval ${event.stage}/${event.action} is already ${record.status}` };
  }
  record.status = event.status === 'Approved' ? 'Succeeded' : 'Failed';
  record.summary = event.summary;
  record.updatedBy = event.by;
  record.lastUpdateTime = event.at;
  exec.lastUpdateTime = event.at;
  if (event.status === 'Rejected') record.errorDetails = { code: 'JobFailed', message: `Rejected by ${event.by}: ${event.summary}` };
  return undefined;
}

function timer(step: Step): Refusal {
  for (const exec of step.rt.executions) {
    if (!isActive(exec)) continue;
    for (const record of exec.actions) {
      if (record.status !== 'InProgress' || record.expiresAt === undefined || record.expiresAt > step.at) continue;
      record.status = 'Failed';
      record.lastUpdateTime = step.at;
      record.summary = 'approval timed out';
      record.errorDetails = { code: 'JobFailed', message: 'approval timed out' };
      exec.lastUpdateTime = step.at;
    }
  }
  return undefined;
}

function stop(step: Step, event: EventOf<'STOP'>): Refusal {
  const exec = execution(step, event.executionId);
  if (!exec) return notFound(event.executionId);
  if (exec.status === 'Stopping' && !event.abandon) {
    return { code: 'PIPELINE_DUPLICATED_STOP_REQUEST', message: `execution ${event.executionId} is already stopping; only stop-and-abandon may follow` };
  }
  if (!isActive(exec)) return { code: 'PIPELINE_EXECUTION_NOT_STOPPABLE', message: `execution ${event.executionId} is ${exec.status}` };
  exec.stopTrigger = { reason: event.reason };
  exec.lastUpdateTime = event.at;
  const stage = currentStage(exec);
  const stageRun = stage && exec.stages[stage.name];
  if (exec.waiting || !stage || !stageRun) {
    endExecution(step, exec, 'Stopped', event.reason);
    return undefined;
  }
  exec.status = 'Stopping';
  stageRun.status = 'Stopping';
  if (!event.abandon) return undefined;
  for (const record of latestAttempts(exec, stage.name, stageRun.run).values()) {
    if (record.status !== 'InProgress') continue;
    record.status = 'Abandoned';
    record.lastUpdateTime = event.at;
    delete record.token;
    step.effects.push({ type: 'ABANDON_ACTION', executionId: exec.pipelineExecutionId, stage: record.stage, action: record.action, attempt: record.attempt });
  }
  return undefined;
}

function retryStage(step: Step, event: EventOf<'RETRY_STAGE'>): Refusal {
  const { rt } = step;
  const exec = execution(step, event.executionId);
  if (!exec) return notFound(event.executionId);
  const stage = exec.definition.stages.find((s) => s.name === event.stage);
  if (!stage) return { code: 'PIPELINE_STAGE_NOT_FOUND', message: `no stage ${event.stage} in execution ${event.executionId}` };
  const stageRun = exec.stages[stage.name];
  const notRetryable = (why: string): Refusal => ({ code: 'PIPELINE_STAGE_NOT_RETRYABLE', message: `stage ${stage.name} of execution ${exec.pipelineExecutionId} cannot be retried: ${why}` });
  if (exec.status === 'Superseded') return notRetryable('the execution was superseded');
  if (exec.status !== 'Failed' && exec.status !== 'Stopped') return notRetryable(`the execution is ${exec.status}`);
  if (exec.waiting || currentStage(exec) !== stage || !stageRun || (stageRun.status !== 'Failed' && stageRun.status !== 'Stopped')) {
    return notRetryable('it is not the stage where the execution failed or stopped');
  }
  if (exec.definition.version !== rt.definition.version) return notRetryable('the pipeline was updated since the execution started');
  if (rt.definition.executionMode !== 'PARALLEL') {
    const newer = rt.executions.find((e) => e !== exec && (e.stages[stage.name]?.enteredSeq ?? -1) > stageRun.enteredSeq);
    if (newer) return notRetryable(`a newer execution (${newer.pipelineExecutionId}) has entered the stage`);
    if (stageOccupied(rt, stage.name, exec)) return notRetryable('another execution is in the stage');
  }
  exec.status = 'InProgress';
  delete exec.statusSummary;
  delete exec.stopTrigger;
  exec.lastUpdateTime = event.at;
  stageRun.status = 'InProgress';
  stageRun.lastUpdateTime = event.at;
  if (event.mode === 'ALL_ACTIONS') {
    stageRun.run += 1;
  } else {
    for (const record of latestAttempts(exec, stage.name, stageRun.run).values()) {
      const action = stage.actions.find((a) => a.name === record.action);
      if (action && (record.status === 'Failed' || record.status === 'Abandoned')) startAction(step, exec, action);
    }
  }
  advanceStage(step, exec);
  return undefined;
}

function changeTransition(step: Step, event: EventOf<'DISABLE_TRANSITION'> | EventOf<'ENABLE_TRANSITION'>): Refusal {
  const { rt } = step;
  const index = rt.definition.stages.findIndex((s) => s.name === event.stage);
  if (index < 0) return { code: 'PIPELINE_STAGE_NOT_FOUND', message: `no stage ${event.stage}` };
  if (index === 0) return { code: 'PIPELINE_INVALID_INPUT', message: `stage ${event.stage} is the first stage and has no inbound transition` };
  const enabled = event.type === 'ENABLE_TRANSITION';
  rt.transitions[event.stage] = {
    enabled,
    ...(event.type === 'DISABLE_TRANSITION' ? { disabledReason: event.reason } : {}),
    lastChangedAt: event.at,
    ...(event.by !== undefined ? { lastChangedBy: event.by } : {}),
  };
  return undefined;
}

function definitionUpdated(step: Step, event: EventOf<'DEFINITION_UPDATED'>): Refusal {
  step.rt.definition = event.definition;
  for (const exec of step.rt.executions) {
    if (isActive(exec) && exec.waiting && exec.stageIndex === 0) {
      endExecution(step, exec, 'Cancelled', `Cancelled: the pipeline was updated to version ${event.definition.version} before the execution started`);
    }
  }
  return undefined;
}
