/**
 * Read-only views of a pipeline runtime shaped like the AWS API's answers: GetPipelineState
 * (`stageStates`), GetPipelineExecution (`executionSummary`), ListPipelineExecutions
 * (`executionSummaries`) and ListActionExecutions (`actionExecutions`). Times stay epoch
 * milliseconds; the API layer converts them.
 */
import { createHash } from 'node:crypto';
import type { ExecutionMode } from './pipeline.js';
import type { ActionRun, ArtifactRevision, ErrorDetails, ExecutionState, ExecutionStatus, PipelineRuntime, StageStatus, TriggerType } from './pipeline-execution-types.js';

export interface ActionExecutionView {
  actionExecutionId: string;
  status: ActionRun['status'];
  summary?: string;
  lastStatusChange: number;
  /** Only while a manual approval waits for an answer. */
  token?: string;
  lastUpdatedBy?: string;
  externalExecutionId?: string;
  externalExecutionUrl?: string;
  errorDetails?: ErrorDetails;
}

export interface StageStateView {
  stageName: string;
  inboundTransitionState: { enabled: boolean; disabledReason?: string; lastChangedAt?: number; lastChangedBy?: string };
  /** Executions waiting in front of the stage. */
  inboundExecutions: { pipelineExecutionId: string; status: ExecutionStatus }[];
  actionStates: { actionName: string; currentRevision?: { revisionId: string; created?: number }; latestExecution?: ActionExecutionView }[];
  latestExecution?: { pipelineExecutionId: string; status: StageStatus };
}

export type AwsTriggerType = 'StartPipelineExecution' | 'CloudWatchEvent' | 'WebhookV2' | 'PollForSourceChanges';

export const AWS_TRIGGER_TYPE: Readonly<Record<TriggerType, AwsTriggerType>> = {
  Manual: 'StartPipelineExecution',
  Retry: 'StartPipelineExecution',
  CodeCommit: 'CloudWatchEvent',
  Webhook: 'WebhookV2',
  Poll: 'PollForSourceChanges',
  EventRule: 'CloudWatchEvent',
};

export interface PipelineExecutionView {
  pipelineName: string;
  pipelineVersion: number;
  pipelineExecutionId: string;
  status: ExecutionStatus;
  statusSummary?: string;
  artifactRevisions: ({ name: string } & ArtifactRevision)[];
  variables: { name: string; resolvedValue: string }[];
  trigger: { triggerType: AwsTriggerType; triggerDetail?: string };
  executionMode: ExecutionMode;
  executionType: 'STANDARD';
}

export interface PipelineExecutionSummaryView {
  pipelineExecutionId: string;
  status: ExecutionStatus;
  statusSummary?: string;
  startTime: number;
  lastUpdateTime: number;
  sourceRevisions: { actionName: string; revisionId: string; revisionSummary?: string; revisionUrl?: string }[];
  trigger: { triggerType: AwsTriggerType; triggerDetail?: string };
  stopTrigger?: { reason: string };
  executionMode: ExecutionMode;
  executionType: 'STANDARD';
}

export interface ActionExecutionDetailView {
  pipelineExecutionId: string;
  actionExecutionId: string;
  pipelineVersion: number;
  stageName: string;
  actionName: string;
  startTime: number;
  lastUpdateTime: number;
  updatedBy?: string;
  status: ActionRun['status'];
  input: {
    actionTypeId: { category: string; owner: string; provider: string; version: string };
    configuration: Record<string, string>;
    resolvedConfiguration: Record<string, string>;
    roleArn?: string;
    region?: string;
    inputArtifacts: { name: string; s3location: { bucket?: string; key: string } }[];
    namespace?: string;
  };
  output: {
    outputArtifacts: { name: string; s3location: { bucket?: string; key: string } }[];
    executionResult: { externalExecutionId?: string; externalExecutionSummary?: string; externalExecutionUrl?: string; errorDetails?: ErrorDetails };
    outputVariables: Record<string, string>;
  };
}

/**
 * An opaque id in UUID form, as AWS gives one (no stage or action names to parse); derived from the
 * execution, stage, action and attempt, so the same attempt always has the same id.
 */
export function actionExecutionId(executionId: string, record: Pick<ActionRun, 'stage' | 'action' | 'attempt'>): string {
  const hex = createHash('sha256').update(JSON.stringify([executionId, record.stage, record.action, record.attempt])).digest('hex');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** GetPipelineState `stageStates`, for the stages of the current definition. */
export function stageStates(runtime: PipelineRuntime): StageStateView[] {
  return runtime.definition.stages.map((stage) => {
    const entered = runtime.executions.filter((e) => e.stages[stage.name] !== undefined);
    const latest = entered.reduce<ExecutionState | undefined>((a, b) => (!a || (b.stages[stage.name]?.enteredSeq ?? 0) > (a.stages[stage.name]?.enteredSeq ?? 0) ? b : a), undefined);
    const transition = runtime.transitions[stage.name];
    const latestStage = latest?.stages[stage.name];
    return {
      stageName: stage.name,
      inboundTransitionState: transition ? { ...transition } : { enabled: true },
      inboundExecutions: runtime.executions
        .filter((e) => (e.status === 'InProgress' || e.status === 'Stopping') && e.waiting && e.definition.stages[e.stageIndex]?.name === stage.name)
        .map((e) => ({ pipelineExecutionId: e.pipelineExecutionId, status: e.status })),
      actionStates: stage.actions.map((action) => {
        const found = latestRecord(entered, stage.name, action.name);
        return {
          actionName: action.name,
          ...(found?.[1].revision ? { currentRevision: { revisionId: found[1].revision.revisionId, ...(found[1].revision.created !== undefined ? { created: found[1].revision.created } : {}) } } : {}),
          ...(found ? { latestExecution: actionView(found[0], found[1]) } : {}),
        };
      }),
      ...(latest && latestStage ? { latestExecution: { pipelineExecutionId: latest.pipelineExecutionId, status: latestStage.status } } : {}),
    };
  });
}

/** GetPipelineExecution `pipelineExecution`; undefined for an unknown id. */
export function executionSummary(runtime: PipelineRuntime, executionId: string): PipelineExecutionView | undefined {
  const exec = runtime.executions.find((e) => e.pipelineExecutionId === executionId);
  if (!exec) return undefined;
  return {
    pipelineName: exec.definition.name,
    pipelineVersion: exec.definition.version,
    pipelineExecutionId: exec.pipelineExecutionId,
    status: exec.status,
    ...(exec.statusSummary !== undefined ? { statusSummary: exec.statusSummary } : {}),
    artifactRevisions: sourceRevisions(exec).map(({ record, name }) => ({ name, ...(record.revision as ArtifactRevision) })),
    variables: Object.entries(exec.variables).map(([name, resolvedValue]) => ({ name, resolvedValue })),
    trigger: trigger(exec),
    executionMode: exec.executionMode,
    executionType: 'STANDARD',
  };
}

/** ListPipelineExecutions `pipelineExecutionSummaries`, newest first. */
export function executionSummaries(runtime: PipelineRuntime): PipelineExecutionSummaryView[] {
  return [...runtime.executions]
    .sort((a, b) => b.startSeq - a.startSeq)
    .map((exec) => ({
      pipelineExecutionId: exec.pipelineExecutionId,
      status: exec.status,
      ...(exec.statusSummary !== undefined ? { statusSummary: exec.statusSummary } : {}),
      startTime: exec.startTime,
      lastUpdateTime: exec.lastUpdateTime,
      sourceRevisions: sourceRevisions(exec).map(({ record }) => ({
        actionName: record.action,
        revisionId: record.revision?.revisionId ?? '',
        ...(record.revision?.revisionSummary !== undefined ? { revisionSummary: record.revision.revisionSummary } : {}),
        ...(record.revision?.revisionUrl !== undefined ? { revisionUrl: record.revision.revisionUrl } : {}),
      })),
      trigger: trigger(exec),
      ...(exec.stopTrigger ? { stopTrigger: { ...exec.stopTrigger } } : {}),
      executionMode: exec.executionMode,
      executionType: 'STANDARD' as const,
    }));
}

/** ListActionExecutions `actionExecutionDetails`, newest first; all executions or one. */
export function actionExecutions(runtime: PipelineRuntime, executionId?: string): ActionExecutionDetailView[] {
  const bucket = runtime.definition.artifactStore?.location;
  const where = (key: string) => (bucket !== undefined ? { bucket, key } : { key });
  const details: { order: [number, number]; view: ActionExecutionDetailView }[] = [];
  for (const exec of runtime.executions) {
    if (executionId !== undefined && exec.pipelineExecutionId !== executionId) continue;
    exec.actions.forEach((record, index) => {
      const action = exec.definition.stages.find((s) => s.name === record.stage)?.actions.find((a) => a.name === record.action);
      if (!action) return;
      details.push({
        order: [exec.startSeq, index],
        view: {
          pipelineExecutionId: exec.pipelineExecutionId,
          actionExecutionId: actionExecutionId(exec.pipelineExecutionId, record),
          pipelineVersion: exec.definition.version,
          stageName: record.stage,
          actionName: record.action,
          startTime: record.startTime,
          lastUpdateTime: record.lastUpdateTime,
          ...(record.updatedBy !== undefined ? { updatedBy: record.updatedBy } : {}),
          status: record.status,
          input: {
            actionTypeId: { ...action.actionTypeId },
            configuration: { ...action.configuration },
            resolvedConfiguration: { ...record.resolvedConfiguration },
            ...(action.roleArn !== undefined ? { roleArn: action.roleArn } : {}),
            ...(action.region !== undefined ? { region: action.region } : {}),
            inputArtifacts: Object.entries(record.inputArtifacts).map(([name, key]) => ({ name, s3location: where(key) })),
            ...(action.namespace !== undefined ? { namespace: action.namespace } : {}),
          },
          output: {
            outputArtifacts: Object.entries(record.outputArtifacts).map(([name, key]) => ({ name, s3location: where(key) })),
            executionResult: {
              ...(record.externalExecutionId !== undefined ? { externalExecutionId: record.externalExecutionId } : {}),
              ...(record.summary !== undefined ? { externalExecutionSummary: record.summary } : {}),
              ...(record.externalExecutionUrl !== undefined ? { externalExecutionUrl: record.externalExecutionUrl } : {}),
              ...(record.errorDetails ? { errorDetails: { ...record.errorDetails } } : {}),
            },
            outputVariables: { ...record.outputVariables },
          },
        },
      });
    });
  }
  details.sort((a, b) => b.order[0] - a.order[0] || b.order[1] - a.order[1]);
  return details.map((d) => d.view);
}

function actionView(exec: ExecutionState, record: ActionRun): ActionExecutionView {
  return {
    actionExecutionId: actionExecutionId(exec.pipelineExecutionId, record),
    status: record.status,
    ...(record.summary !== undefined ? { summary: record.summary } : {}),
    lastStatusChange: record.lastUpdateTime,
    ...(record.status === 'InProgress' && record.token !== undefined ? { token: record.token } : {}),
    ...(record.updatedBy !== undefined ? { lastUpdatedBy: record.updatedBy } : {}),
    ...(record.externalExecutionId !== undefined ? { externalExecutionId: record.externalExecutionId } : {}),
    ...(record.externalExecutionUrl !== undefined ? { externalExecutionUrl: record.externalExecutionUrl } : {}),
    ...(record.errorDetails ? { errorDetails: { ...record.errorDetails } } : {}),
  };
}

/** The latest attempt of an action across executions: latest stage entry, then highest attempt. */
function latestRecord(executions: readonly ExecutionState[], stage: string, action: string): [ExecutionState, ActionRun] | undefined {
  let best: [ExecutionState, ActionRun, number] | undefined;
  for (const exec of executions) {
    const seq = exec.stages[stage]?.enteredSeq ?? 0;
    for (const record of exec.actions) {
      if (record.stage !== stage || record.action !== action) continue;
      if (!best || seq > best[2] || (seq === best[2] && record.attempt > best[1].attempt)) best = [exec, record, seq];
    }
  }
  return best ? [best[0], best[1]] : undefined;
}

/** The succeeded source actions of an execution that reported a revision, with their artifact name. */
function sourceRevisions(exec: ExecutionState): { record: ActionRun; name: string }[] {
  const out: { record: ActionRun; name: string }[] = [];
  for (const stage of exec.definition.stages) {
    for (const action of stage.actions) {
      if (action.actionTypeId.category !== 'Source') continue;
      const record = [...exec.actions].reverse().find((r) => r.stage === stage.name && r.action === action.name && r.status === 'Succeeded');
      if (record?.revision) out.push({ record, name: action.outputArtifacts[0] ?? action.name });
    }
  }
  return out;
}

function trigger(exec: ExecutionState): PipelineExecutionView['trigger'] {
  return { triggerType: AWS_TRIGGER_TYPE[exec.trigger.type], ...(exec.trigger.detail !== undefined ? { triggerDetail: exec.trigger.detail } : {}) };
}
