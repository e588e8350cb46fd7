/**
 * Types of the pipeline-execution machine (reference §3.3–3.8, decisions 19–20): the runtime
 * state of one pipeline, the events the driver feeds it and the effects it asks for. Everything
 * here is plain JSON (numbers are epoch milliseconds), so the server stores the runtime as it is
 * and a restarted server resumes from it (see `pendingEffects`).
 *
 * The types are not readonly because the reducer builds the next state on a private copy; it
 * never changes the runtime it is given.
 */
import type { ActionTypeId, ExecutionMode, PipelineDefinition } from './pipeline.js';

export type ExecutionStatus = 'InProgress' | 'Stopping' | 'Stopped' | 'Succeeded' | 'Superseded' | 'Failed' | 'Cancelled';
export type StageStatus = 'InProgress' | 'Stopping' | 'Stopped' | 'Succeeded' | 'Failed' | 'Cancelled';
export type ActionStatus = 'InProgress' | 'Abandoned' | 'Succeeded' | 'Failed';
export type RetryMode = 'FAILED_ACTIONS' | 'ALL_ACTIONS';

/** Statuses after which an execution does nothing more (Failed and Stopped ones may be retried). */
export const ENDED_STATUSES: readonly ExecutionStatus[] = ['Stopped', 'Succeeded', 'Superseded', 'Failed', 'Cancelled'];

/** `EventRule`: an EventBridge-style rule (an event pattern or a schedule) started it. */
export type TriggerType = 'Manual' | 'CodeCommit' | 'Webhook' | 'Poll' | 'Retry' | 'EventRule';

export interface ExecutionTrigger {
  type: TriggerType;
  /** Free text shown as `trigger.triggerDetail` (e.g. the user, the commit, the webhook). */
  detail?: string;
}

/** StartPipelineExecution `sourceRevisions[]`: which revision a source action should fetch. */
export interface SourceRevisionOverride {
  revisionType: 'COMMIT_ID' | 'IMAGE_DIGEST' | 'S3_OBJECT_VERSION_ID' | 'S3_OBJECT_KEY';
  revisionValue: string;
}

/** What a source action fetched (AWS `ArtifactRevision`). */
export interface ArtifactRevision {
  revisionId: string;
  revisionSummary?: string;
  revisionUrl?: string;
  created?: number;
}

export interface ErrorDetails {
  code: string;
  message: string;
}

/** One attempt of one action in one execution; the history of attempts is kept. */
export interface ActionRun {
  stage: string;
  action: string;
  /** 1, 2 … per execution, stage and action, across retries: the idempotency key with the ids. */
  attempt: number;
  /** Which entry of the stage this attempt belongs to (a stage entry or an ALL_ACTIONS retry). */
  stageRun: number;
  runOrder: number;
  status: ActionStatus;
  startTime: number;
  lastUpdateTime: number;
  /** Configuration and commands with `#{…}` resolved (as they were sent in RUN_ACTION). */
  resolvedConfiguration: Record<string, string>;
  resolvedCommands: string[];
  /** Input artifact name → blob key. */
  inputArtifacts: Record<string, string>;
  /** Output artifact name → blob key, once succeeded. */
  outputArtifacts: Record<string, string>;
  outputVariables: Record<string, string>;
  /** Manual approval only, while it may be answered. */
  token?: string;
  expiresAt?: number;
  summary?: string;
  /** Who approved or rejected, or who stopped an abandoned action. */
  updatedBy?: string;
  externalExecutionId?: string;
  externalExecutionUrl?: string;
  revision?: ArtifactRevision;
  errorDetails?: ErrorDetails;
}

export interface StageRun {
  status: StageStatus;
  /** 1 on first entry, +1 on every ALL_ACTIONS retry. */
  run: number;
  /** Runtime sequence number of the entry: orders entries of a stage across executions. */
  enteredSeq: number;
  enteredAt: number;
  lastUpdateTime: number;
}

export interface ExecutionState {
  pipelineExecutionId: string;
  /** The definition this execution runs on (decision 19: running ones finish on their version). */
  definition: PipelineDefinition;
  executionMode: ExecutionMode;
  status: ExecutionStatus;
  statusSummary?: string;
  trigger: ExecutionTrigger;
  /** START's traceparent: the trace the execution belongs to and its parent span (absent: a trace of its own). */
  traceParent?: string;
  /** Pipeline variables: definition defaults overridden by START's `variables`. */
  variables: Record<string, string>;
  sourceRevisions: Record<string, SourceRevisionOverride>;
  startTime: number;
  lastUpdateTime: number;
  /** Runtime sequence number at START: orders executions by age. */
  startSeq: number;
  /** Index in `definition.stages` of the stage it is in or waits in front of. */
  stageIndex: number;
  /** True while waiting in front of `stages[stageIndex]` (an "inbound execution"). */
  waiting: boolean;
  /** Runtime sequence number of the arrival in front of the current stage (queue order). */
  arrivedSeq: number;
  stages: Record<string, StageRun>;
  actions: ActionRun[];
  /** Artifact name → blob key, from the latest successful producer. */
  artifacts: Record<string, string>;
  /** Action namespace → the output variables of its latest success. */
  namespaces: Record<string, Record<string, string>>;
  stopTrigger?: { reason: string };
}

export interface TransitionState {
  enabled: boolean;
  disabledReason?: string;
  lastChangedAt?: number;
  lastChangedBy?: string;
}

export interface PipelineRuntime {
  /** The current definition: new executions start on it. */
  definition: PipelineDefinition;
  /** Every execution, oldest first. */
  executions: ExecutionState[];
  /** Inbound transition of each stage, by stage name; absent means enabled. */
  transitions: Record<string, TransitionState>;
  /** Monotonic counter ordering arrivals and stage entries. */
  sequence: number;
  /**
   * Abandoned attempts whose work (a build) may still be running. The machine leaves this alone:
   * the server adds one per ABANDON_ACTION in the same save as the transition and removes it once
   * the work is stopped, so a crash in between still stops it, once (absent: none).
   */
  abandoning?: AbandonedAction[];
}

/** One attempt ABANDON_ACTION asked to stop. */
export interface AbandonedAction {
  executionId: string;
  stage: string;
  action: string;
  attempt: number;
  /** Saved with the entry, so the work can be stopped even once its execution is no longer at hand. */
  actionTypeId?: ActionTypeId;
  configuration?: Record<string, string>;
}

/**
 * Every event carries `at` (the driver's clock) and `nonce`: a fresh unguessable string from the
 * driver's id generator (e.g. `crypto.randomUUID()`), used for the approval tokens the event
 * happens to create. Any event may create one, because ending one execution can let another into
 * a stage that starts with an approval.
 */
interface EventBase {
  at: number;
  nonce: string;
}

export type PipelineEvent = EventBase &
  (
    | {
        type: 'START';
        executionId: string;
        trigger: ExecutionTrigger;
        /** Overrides of declared pipeline variables; an undeclared name is an error. */
        variables: Record<string, string>;
        /** Source action name → revision to fetch. */
        sourceRevisions?: Record<string, SourceRevisionOverride>;
        /** The W3C traceparent of what started it (a push, an API caller): the execution joins that trace. */
        traceParent?: string;
      }
    | {
        type: 'ACTION_SUCCEEDED';
        executionId: string;
        stage: string;
        action: string;
        attempt: number;
        outputArtifacts: Record<string, string>;
        outputVariables: Record<string, string>;
        summary?: string;
        externalExecutionId?: string;
        externalExecutionUrl?: string;
        /** Source actions: the revision they fetched. */
        revision?: ArtifactRevision;
      }
    | { type: 'ACTION_FAILED'; executionId: string; stage: string; action: string; attempt: number; message: string; externalExecutionId?: string; externalExecutionUrl?: string }
    /** PutApprovalResult: found by stage, action and token, as in the AWS API (no execution id). */
    | { type: 'APPROVAL_RESULT'; stage: string; action: string; token: string; status: 'Approved' | 'Rejected'; summary: string; by: string }
    /** The clock moved: approvals whose `expiresAt` ≤ `at` fail. See `nextDeadline`. */
    | { type: 'TIMER' }
    | { type: 'STOP'; executionId: string; abandon: boolean; reason: string }
    | { type: 'RETRY_STAGE'; executionId: string; stage: string; mode: RetryMode }
    | { type: 'DISABLE_TRANSITION'; stage: string; reason: string; by?: string }
    | { type: 'ENABLE_TRANSITION'; stage: string; by?: string }
    | { type: 'DEFINITION_UPDATED'; definition: PipelineDefinition }
  );

export interface RunActionEffect {
  type: 'RUN_ACTION';
  executionId: string;
  pipelineName: string;
  pipelineVersion: number;
  stage: string;
  action: string;
  attempt: number;
  actionTypeId: ActionTypeId;
  /** `#{…}` resolved. */
  configuration: Record<string, string>;
  commands: string[];
  /** Input artifact name → blob key. */
  inputArtifacts: Record<string, string>;
  /** `PrimarySource` if configured, else the first input artifact. */
  primaryInput?: string;
  /**
   * The revision (a commit id) of the source action whose output is the primary input: a build
   * sees it as CODEBUILD_SOURCE_VERSION and CODEBUILD_RESOLVED_SOURCE_VERSION.
   */
  primaryInputRevision?: string;
  outputArtifactNames: string[];
  namespace?: string;
  region?: string;
  roleArn?: string;
  sourceRevision?: SourceRevisionOverride;
}

export interface RequestApprovalEffect {
  type: 'REQUEST_APPROVAL';
  executionId: string;
  pipelineName: string;
  stage: string;
  action: string;
  attempt: number;
  token: string;
  expiresAt: number;
  customData?: string;
  externalEntityLink?: string;
  notificationArn?: string;
}

export type PipelineEffect =
  | RunActionEffect
  | RequestApprovalEffect
  /** Stop-and-abandon: cancel the running work (e.g. StopBuild); its later result is refused. */
  | { type: 'ABANDON_ACTION'; executionId: string; stage: string; action: string; attempt: number }
  | { type: 'EXECUTION_ENDED'; executionId: string; status: ExecutionStatus; statusSummary?: string };

/**
 * Why an event was refused (the runtime is then returned unchanged). `awsException` is the name the
 * AWS API uses for the same refusal, for the JSON API to send.
 */
export const PIPELINE_ERRORS = {
  PIPELINE_EXECUTION_NOT_FOUND: 'PipelineExecutionNotFoundException',
  PIPELINE_EXECUTION_EXISTS: 'ConflictException',
  PIPELINE_STAGE_NOT_FOUND: 'StageNotFoundException',
  PIPELINE_ACTION_NOT_FOUND: 'ActionNotFoundException',
  PIPELINE_ACTION_NOT_IN_PROGRESS: 'InvalidJobStateException',
  PIPELINE_INVALID_APPROVAL_TOKEN: 'InvalidApprovalTokenException',
  PIPELINE_APPROVAL_ALREADY_COMPLETED: 'ApprovalAlreadyCompletedException',
  PIPELINE_STAGE_NOT_RETRYABLE: 'StageNotRetryableException',
  PIPELINE_EXECUTION_NOT_STOPPABLE: 'PipelineExecutionNotStoppableException',
  PIPELINE_DUPLICATED_STOP_REQUEST: 'DuplicatedStopRequestException',
  PIPELINE_INVALID_INPUT: 'ValidationException',
} as const;

export type PipelineErrorCode = keyof typeof PIPELINE_ERRORS;

export interface PipelineError {
  code: PipelineErrorCode;
  message: string;
  awsException: string;
}

export interface PipelineTransition {
  runtime: PipelineRuntime;
  effects: PipelineEffect[];
  error?: PipelineError;
}
