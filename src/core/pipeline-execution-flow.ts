/**
 * How executions move through stages (reference §3.3–3.5, decision 20): run-order groups inside a
 * stage, stage locks and waiting between stages per execution mode, and the ends of executions.
 * These helpers change the draft runtime of one `applyPipelineEvent` step in place; the reducer
 * made that draft as a private copy.
 */
import { DEFAULT_APPROVAL_TIMEOUT_MINUTES, type ActionDeclaration, type StageDeclaration } from './pipeline.js';
import type { ActionRun, ExecutionState, ExecutionStatus, PipelineEffect, PipelineRuntime, RunActionEffect } from './pipeline-execution-types.js';
import { namespacesBefore, resolveConfiguration, resolveReferences } from './pipeline-execution-variables.js';

/** The draft of one reducer step: the runtime being changed, the event's clock and nonce, the effects so far. */
export interface Step {
  readonly rt: PipelineRuntime;
  readonly at: number;
  readonly nonce: string;
  tokensIssued: number;
  readonly effects: PipelineEffect[];
}

export function isActive(exec: ExecutionState): boolean {
  return exec.status === 'InProgress' || exec.status === 'Stopping';
}

export function isApproval(action: ActionDeclaration): boolean {
  return action.actionTypeId.category === 'Approval' && action.actionTypeId.provider === 'Manual';
}

export function currentStage(exec: ExecutionState): StageDeclaration | undefined {
  return exec.definition.stages[exec.stageIndex];
}

/** The latest attempt of each action in the given entry of a stage. */
export function latestAttempts(exec: ExecutionState, stage: string, stageRun: number): Map<string, ActionRun> {
  const latest = new Map<string, ActionRun>();
  for (const record of exec.actions) {
    if (record.stage !== stage || record.stageRun !== stageRun) continue;
    const seen = latest.get(record.action);
    if (!seen || seen.attempt < record.attempt) latest.set(record.action, record);
  }
  return latest;
}

export function findAction(exec: ExecutionState, stage: string, action: string): ActionDeclaration | undefined {
  return exec.definition.stages.find((s) => s.name === stage)?.actions.find((a) => a.name === action);
}

/** The RUN_ACTION of an attempt; built from the stored record, so a restarted driver gets the same one. */
export function runActionEffect(exec: ExecutionState, record: ActionRun, action: ActionDeclaration): RunActionEffect {
  const primary = action.configuration.PrimarySource ?? action.inputArtifacts[0];
  const revision = exec.sourceRevisions[action.name];
  const primaryRevision = primary === undefined ? undefined : producerRevision(exec, primary, record.inputArtifacts[primary]);
  return {
    type: 'RUN_ACTION',
    executionId: exec.pipelineExecutionId,
    pipelineName: exec.definition.name,
    pipelineVersion: exec.definition.version,
    stage: record.stage,
    action: record.action,
    attempt: record.attempt,
    actionTypeId: action.actionTypeId,
    configuration: { ...record.resolvedConfiguration },
    commands: [...record.resolvedCommands],
    inputArtifacts: { ...record.inputArtifacts },
    ...(primary !== undefined ? { primaryInput: primary } : {}),
    ...(primaryRevision !== undefined ? { primaryInputRevision: primaryRevision } : {}),
    outputArtifactNames: [...action.outputArtifacts],
    ...(action.namespace !== undefined ? { namespace: action.namespace } : {}),
    ...(action.region !== undefined ? { region: action.region } : {}),
    ...(action.roleArn !== undefined ? { roleArn: action.roleArn } : {}),
    ...(revision ? { sourceRevision: { ...revision } } : {}),
  };
}

/** The revision id of the action run that produced `artifact` as this very blob, if it recorded one. */
function producerRevision(exec: ExecutionState, artifact: string, blobKey: string | undefined): string | undefined {
  if (blobKey === undefined) return undefined;
  return exec.actions.find((run) => run.outputArtifacts[artifact] === blobKey && run.revision !== undefined)?.revision?.revisionId;
}

export function endExecution(step: Step, exec: ExecutionState, status: ExecutionStatus, statusSummary?: string): void {
  exec.status = status;
  exec.lastUpdateTime = step.at;
  if (statusSummary !== undefined) exec.statusSummary = statusSummary;
  else delete exec.statusSummary;
  step.effects.push({ type: 'EXECUTION_ENDED', executionId: exec.pipelineExecutionId, status, ...(statusSummary !== undefined ? { statusSummary } : {}) });
}

/** Starts one attempt: resolves variables and input artifacts, or fails it at once naming what is missing. */
export function startAction(step: Step, exec: ExecutionState, action: ActionDeclaration): void {
  const stage = currentStage(exec);
  const stageRun = stage && exec.stages[stage.name];
  if (!stage || !stageRun) return;
  const attempt = 1 + Math.max(0, ...exec.actions.filter((r) => r.stage === stage.name && r.action === action.name).map((r) => r.attempt));
  const record: ActionRun = {
    stage: stage.name,
    action: action.name,
    attempt,
    stageRun: stageRun.run,
    runOrder: action.runOrder,
    status: 'InProgress',
    startTime: step.at,
    lastUpdateTime: step.at,
    resolvedConfiguration: {},
    resolvedCommands: [],
    inputArtifacts: {},
    outputArtifacts: {},
    outputVariables: {},
  };
  exec.actions.push(record);
  exec.lastUpdateTime = step.at;
  const problem = prepare(exec, record, action);
  if (problem !== undefined) {
    record.status = 'Failed';
    record.errorDetails = { code: 'ConfigurationError', message: problem };
    record.summary = problem;
    return;
  }
  if (isApproval(action)) {
    step.tokensIssued += 1;
    record.token = step.tokensIssued === 1 ? step.nonce : `${step.nonce}-${step.tokensIssued}`;
    record.expiresAt = step.at + (action.timeoutInMinutes ?? DEFAULT_APPROVAL_TIMEOUT_MINUTES) * 60_000;
    step.effects.push(requestApproval(exec, record));
  } else {
    step.effects.push(runActionEffect(exec, record, action));
  }
}

export function requestApproval(exec: ExecutionState, record: ActionRun): PipelineEffect {
  const c = record.resolvedConfiguration;
  return {
    type: 'REQUEST_APPROVAL',
    executionId: exec.pipelineExecutionId,
    pipelineName: exec.definition.name,
    stage: record.stage,
    action: record.action,
    attempt: record.attempt,
    token: record.token ?? '',
    expiresAt: record.expiresAt ?? 0,
    ...(c.CustomData !== undefined ? { customData: c.CustomData } : {}),
    ...(c.ExternalEntityLink !== undefined ? { externalEntityLink: c.ExternalEntityLink } : {}),
    ...(c.NotificationArn !== undefined ? { notificationArn: c.NotificationArn } : {}),
  };
}

function prepare(exec: ExecutionState, record: ActionRun, action: ActionDeclaration): string | undefined {
  const scope = {
    executionId: exec.pipelineExecutionId,
    pipelineVariables: exec.variables,
    namespaces: exec.namespaces,
    visible: namespacesBefore(exec.definition, exec.stageIndex, action.runOrder),
  };
  const configuration = resolveConfiguration(action.configuration, scope);
  if (!configuration.ok) return configuration.message;
  record.resolvedConfiguration = configuration.value;
  for (const [i, command] of action.commands.entries()) {
    const r = resolveReferences(command, scope);
    if (!r.ok) return `commands[${i}]: ${r.message}`;
    record.resolvedCommands.push(r.value);
  }
  for (const name of action.inputArtifacts) {
    const key = exec.artifacts[name];
    if (key === undefined) return `input artifact ${name} was not produced by an earlier action of this execution`;
    record.inputArtifacts[name] = key;
  }
  return undefined;
}

/**
 * Moves an execution inside its stage as far as it can go: start the next run-order group, or end
 * the stage (and maybe the execution) once nothing is in flight. Returns whether anything changed.
 */
export function advanceStage(step: Step, exec: ExecutionState): boolean {
  const stage = currentStage(exec);
  const stageRun = stage && exec.stages[stage.name];
  if (!isActive(exec) || exec.waiting || !stage || !stageRun) return false;
  if (stageRun.status !== 'InProgress' && stageRun.status !== 'Stopping') return false;
  const latest = [...latestAttempts(exec, stage.name, stageRun.run).values()];
  const inFlight = latest.some((r) => r.status === 'InProgress');
  if (inFlight) return false;
  stageRun.lastUpdateTime = step.at;
  if (exec.status === 'Stopping') {
    stageRun.status = 'Stopped';
    endExecution(step, exec, 'Stopped', exec.stopTrigger?.reason);
    return true;
  }
  const failed = latest.find((r) => r.status === 'Failed' || r.status === 'Abandoned');
  if (failed) {
    stageRun.status = 'Failed';
    endExecution(step, exec, 'Failed', `Stage ${stage.name} failed: action ${failed.action}: ${failed.errorDetails?.message ?? failed.status}`);
    return true;
  }
  const done = new Set(latest.filter((r) => r.status === 'Succeeded').map((r) => r.action));
  const pending = stage.actions.filter((a) => !done.has(a.name));
  if (pending.length === 0) {
    stageRun.status = 'Succeeded';
    moveToNextStage(step, exec);
    return true;
  }
  const runOrder = Math.min(...pending.map((a) => a.runOrder));
  for (const action of pending.filter((a) => a.runOrder === runOrder)) startAction(step, exec, action);
  return true;
}

function moveToNextStage(step: Step, exec: ExecutionState): void {
  exec.stageIndex += 1;
  exec.lastUpdateTime = step.at;
  if (exec.stageIndex >= exec.definition.stages.length) {
    exec.stageIndex = exec.definition.stages.length - 1;
    endExecution(step, exec, 'Succeeded');
    return;
  }
  arrive(step, exec);
}

/**
 * The execution arrives in front of its current stage. In SUPERSEDED mode at most one waits there:
 * of two, the older (by start) becomes Superseded. Superseding happens only here, between stages.
 */
export function arrive(step: Step, exec: ExecutionState): void {
  exec.waiting = true;
  step.rt.sequence += 1;
  exec.arrivedSeq = step.rt.sequence;
  if (step.rt.definition.executionMode !== 'SUPERSEDED') return;
  const name = currentStage(exec)?.name;
  for (const other of step.rt.executions) {
    if (other === exec || !isActive(other) || !other.waiting || currentStage(other)?.name !== name) continue;
    const [older, newer] = other.startSeq < exec.startSeq ? [other, exec] : [exec, other];
    endExecution(step, older, 'Superseded', `Superseded by execution ${newer.pipelineExecutionId}`);
    if (older === exec) return;
  }
}

/** Whether another active execution is inside the stage (holds its lock). */
export function stageOccupied(rt: PipelineRuntime, stageName: string, except?: ExecutionState): boolean {
  return rt.executions.some((e) => {
    if (e === except || !isActive(e) || e.waiting || currentStage(e)?.name !== stageName) return false;
    const status = e.stages[stageName]?.status;
    return status === 'InProgress' || status === 'Stopping';
  });
}

export function enterStage(step: Step, exec: ExecutionState): void {
  const stage = currentStage(exec);
  if (!stage) return;
  step.rt.sequence += 1;
  exec.waiting = false;
  exec.lastUpdateTime = step.at;
  exec.stages[stage.name] = { status: 'InProgress', run: (exec.stages[stage.name]?.run ?? 0) + 1, enteredSeq: step.rt.sequence, enteredAt: step.at, lastUpdateTime: step.at };
}

/** Lets waiting executions into free stages whose inbound transition is enabled. */
function admit(step: Step): boolean {
  const rt = step.rt;
  const waitingByStage = new Map<string, ExecutionState[]>();
  for (const exec of rt.executions) {
    const name = currentStage(exec)?.name;
    if (!isActive(exec) || !exec.waiting || name === undefined) continue;
    waitingByStage.set(name, [...(waitingByStage.get(name) ?? []), exec]);
  }
  let changed = false;
  for (const [name, waiting] of waitingByStage) {
    if (rt.transitions[name]?.enabled === false) continue;
    if (rt.definition.executionMode === 'PARALLEL') {
      for (const exec of waiting) enterStage(step, exec);
      changed = true;
      continue;
    }
    if (stageOccupied(rt, name)) continue;
    const first = waiting.reduce((a, b) => (b.arrivedSeq < a.arrivedSeq ? b : a));
    enterStage(step, first);
    changed = true;
  }
  return changed;
}

/** Runs stages and admissions until nothing more moves. */
export function settle(step: Step): void {
  for (let guard = 0; guard < 10_000; guard += 1) {
    let changed = false;
    for (const exec of step.rt.executions) if (advanceStage(step, exec)) changed = true;
    if (admit(step)) changed = true;
    if (!changed) return;
  }
}
