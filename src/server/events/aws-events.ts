/**
 * Each change of state as the AWS event EventBridge would carry (reference §1): built by the
 * services from the stored state before and after a change, and stored by the same transaction
 * as the change (BuildsRepo.update, PipelinesRepo.save, RepositoriesRepo.recordPush). Deriving
 * from the two states, not from who made the change, makes each change one event exactly once.
 *
 * Secrets never enter an event: environment variables of type PARAMETER_STORE and SECRETS_MANAGER
 * carry their reference (the name), as in AWS, never a resolved value; exported variables and
 * logs are not part of any event.
 */
import { eventTime, type AwsEvent, type TracedEvent } from '../../core/aws-event.js';
import type { PhaseRecord } from '../../core/build-phases.js';
import type { ActionStatus, ExecutionState, ExecutionStatus, PipelineRuntime, StageStatus } from '../../core/pipeline-execution.js';
import type { PushEvent, StoredBuild, StoredRepository } from '../../core/store.js';
import { pipelineChanges } from './pipeline-events.js';
import { executionTraceId, pushTraceParent, traceIdOf } from './trace.js';

/** What every envelope needs besides the change: where, and the clock and ids (passed in for tests). */
export interface EventOrigin {
  readonly settings: { readonly accountId: string; readonly region: string };
  readonly clock: () => number;
  readonly newId: () => string;
}

function envelope(origin: EventOrigin, detailType: string, source: string, resources: readonly string[], detail: Record<string, unknown>): AwsEvent {
  const { accountId, region } = origin.settings;
  return { version: '0', id: origin.newId(), 'detail-type': detailType, source, account: accountId, time: eventTime(origin.clock()), region, resources, detail };
}

// ---- CodeBuild -------------------------------------------------------------------------------

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** CodeBuild's `build-start-time` and phase times: `Sep 1, 2017 4:12:29 PM` (UTC), not ISO. */
export function codeBuildTime(epochMs: number): string {
  const d = new Date(epochMs);
  // A table, not toLocaleString: that builds an Intl formatter per call, which was the largest
  // single cost of a build on the server (about a third of its CPU in bench/compare-server).
  const month = MONTHS[d.getUTCMonth()];
  const hours = d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${month} ${d.getUTCDate()}, ${d.getUTCFullYear()} ${hours}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCHours() < 12 ? 'AM' : 'PM'}`;
}

export function buildArn(build: StoredBuild): string {
  const { job } = build.record;
  return `arn:aws:codebuild:${job.region}:${job.accountId}:build/${build.id}`;
}

function phaseDetail(phase: PhaseRecord): Record<string, unknown> {
  return {
    'phase-context': phase.contexts.map((c) => `${c.statusCode}: ${c.message}`),
    'start-time': codeBuildTime(phase.startTime),
    ...(phase.endTime === undefined ? {} : { 'end-time': codeBuildTime(phase.endTime), 'duration-in-seconds': Math.round((phase.endTime - phase.startTime) / 1000) }),
    'phase-type': phase.phaseType,
    ...(phase.phaseStatus === undefined ? {} : { 'phase-status': phase.phaseStatus }),
  };
}

function additionalInformation(build: StoredBuild): Record<string, unknown> {
  const { job, phases, artifacts } = build.record;
  return {
    ...(artifacts ? { artifact: { sha256sum: artifacts.sha256sum, location: artifacts.name } } : {}),
    environment: {
      image: job.image,
      'privileged-mode': false,
      'compute-type': 'BUILD_GENERAL1_SMALL',
      type: 'LINUX_CONTAINER',
      // A reference (parameter or secret name) for the non-plaintext types, never its value.
      'environment-variables': job.environmentVariables.map((v) => ({ name: v.name, type: v.type, value: v.value })),
    },
    'timeout-in-minutes': job.timeoutInMinutes,
    'build-complete': build.currentPhase === 'COMPLETED',
    'build-number': build.buildNumber,
    initiator: job.initiator,
    'build-start-time': codeBuildTime(build.startTime),
    source: { type: job.source.type, ...(job.source.location === undefined ? {} : { location: job.source.location }) },
    ...(job.source.sourceVersion === undefined ? {} : { 'source-version': job.source.sourceVersion }),
    cache: { type: job.cacheEnabled ? 'LOCAL' : 'NO_CACHE' },
    logs: { 'deep-link': `/api/v1/builds/${encodeURIComponent(build.id)}/logs` },
    phases: phases.map(phaseDetail),
  };
}

function buildStateChange(origin: EventOrigin, build: StoredBuild): AwsEvent {
  const phase = build.record.phases.find((p) => p.phaseType === build.currentPhase);
  return envelope(origin, 'CodeBuild Build State Change', 'aws.codebuild', [buildArn(build)], {
    'build-status': build.buildStatus,
    'project-name': build.projectName,
    'build-id': buildArn(build),
    'current-phase': build.currentPhase,
    'current-phase-context': JSON.stringify(phase?.contexts.map((c) => `${c.statusCode}: ${c.message}`) ?? []),
    version: '1',
    'additional-information': additionalInformation(build),
  });
}

function buildPhaseChange(origin: EventOrigin, build: StoredBuild, phase: PhaseRecord): AwsEvent {
  return envelope(origin, 'CodeBuild Build Phase Change', 'aws.codebuild', [buildArn(build)], {
    'completed-phase': phase.phaseType,
    'completed-phase-status': phase.phaseStatus ?? 'SUCCEEDED',
    'completed-phase-context': JSON.stringify(phase.contexts.map((c) => `${c.statusCode}: ${c.message}`)),
    'completed-phase-start': codeBuildTime(phase.startTime),
    'completed-phase-end': codeBuildTime(phase.endTime ?? phase.startTime),
    'completed-phase-duration-seconds': Math.round(((phase.endTime ?? phase.startTime) - phase.startTime) / 1000),
    'project-name': build.projectName,
    'build-id': buildArn(build),
    version: '1',
    'additional-information': additionalInformation(build),
  });
}

/**
 * The events of one build change: a Phase Change for each phase that ended in it (in phase order),
 * then a State Change when the build was queued (`before` undefined: IN_PROGRESS) or completed.
 */
export function buildEvents(origin: EventOrigin, before: StoredBuild | undefined, after: StoredBuild): TracedEvent[] {
  const traceId = after.record.job.traceParent?.split('-')[1];
  return untracedBuildEvents(origin, before, after).map((event) => ({ ...event, traceId }));
}

function untracedBuildEvents(origin: EventOrigin, before: StoredBuild | undefined, after: StoredBuild): AwsEvent[] {
  const ended = new Set((before ? before.record.phases : []).filter((p) => p.endTime !== undefined).map((p) => p.phaseType));
  const events = after.record
    .phases.filter((p) => p.endTime !== undefined && p.phaseType !== 'COMPLETED' && !ended.has(p.phaseType) && before !== undefined)
    .map((p) => buildPhaseChange(origin, after, p));
  if (before === undefined || (before.currentPhase !== 'COMPLETED' && after.currentPhase === 'COMPLETED')) events.push(buildStateChange(origin, after));
  return events;
}

// ---- CodePipeline ----------------------------------------------------------------------------

const EXECUTION_STATES: Record<ExecutionStatus, string> = { InProgress: 'STARTED', Stopping: 'STOPPING', Stopped: 'STOPPED', Succeeded: 'SUCCEEDED', Superseded: 'SUPERSEDED', Failed: 'FAILED', Cancelled: 'CANCELED' };
const STAGE_STATES: Record<StageStatus, string> = { InProgress: 'STARTED', Stopping: 'STOPPING', Stopped: 'STOPPED', Succeeded: 'SUCCEEDED', Failed: 'FAILED', Cancelled: 'CANCELED' };
const ACTION_STATES: Record<ActionStatus, string> = { InProgress: 'STARTED', Abandoned: 'ABANDONED', Succeeded: 'SUCCEEDED', Failed: 'FAILED' };

export function pipelineArn(origin: EventOrigin, name: string): string {
  return `arn:aws:codepipeline:${origin.settings.region}:${origin.settings.accountId}:${name}`;
}

/** The events of one pipeline transition: execution, stage and action changes, in that order per execution. */
export function pipelineEvents(origin: EventOrigin, pipelineName: string, before: PipelineRuntime, after: PipelineRuntime): TracedEvent[] {
  const executions = new Map(after.executions.map((e) => [e.pipelineExecutionId, e]));
  return untracedPipelineEvents(origin, pipelineName, before, after).map((event) => {
    const executionId = String(event.detail['execution-id']);
    return { ...event, traceId: executionTraceId(executionId, executions.get(executionId)?.traceParent) };
  });
}

function untracedPipelineEvents(origin: EventOrigin, pipelineName: string, before: PipelineRuntime, after: PipelineRuntime): AwsEvent[] {
  const executions = new Map(after.executions.map((e) => [e.pipelineExecutionId, e]));
  const resources = [pipelineArn(origin, pipelineName)];
  const source = 'aws.codepipeline';
  return causalOrder(pipelineChanges(pipelineName, before, after)).flatMap((change): AwsEvent[] => {
    if (change.type !== 'PipelineExecutionChanged' && change.type !== 'StageChanged' && change.type !== 'ActionChanged') return [];
    const execution = executions.get(change.executionId);
    if (!execution) return [];
    const base = { pipeline: pipelineName, 'execution-id': change.executionId, version: execution.definition.version };
    if (change.type === 'PipelineExecutionChanged') {
      const resumed = change.status === 'InProgress' && change.previousStatus !== undefined;
      return [envelope(origin, 'CodePipeline Pipeline Execution State Change', source, resources, {
        ...base,
        state: resumed ? 'RESUMED' : EXECUTION_STATES[change.status],
        'execution-trigger': { 'trigger-type': execution.trigger.type, 'trigger-detail': execution.trigger.detail ?? '' },
        ...(change.status === 'Stopping' && execution.statusSummary ? { 'stop-execution-comments': execution.statusSummary } : {}),
      })];
    }
    if (change.type === 'StageChanged') {
      const resumed = change.status === 'InProgress' && (execution.stages[change.stage]?.run ?? 1) > 1;
      return [envelope(origin, 'CodePipeline Stage Execution State Change', source, resources, { ...base, stage: change.stage, state: resumed ? 'RESUMED' : STAGE_STATES[change.status] })];
    }
    return [actionEvent(origin, execution, change.stage, change.action, change.attempt, change.status, resources, base)];
  });
}

type Change = ReturnType<typeof pipelineChanges>[number];
const LEVEL: Partial<Record<Change['type'], number>> = { PipelineExecutionChanged: 0, StageChanged: 1, ActionChanged: 2 };

/**
 * What ended before what began, as a reader expects: actions, then stages, then executions that
 * ended in this transition; then executions, stages, then actions that began (or resumed).
 */
function causalOrder(changes: readonly Change[]): Change[] {
  const level = (c: Change): number => LEVEL[c.type] ?? 0;
  const opening = (c: Change): boolean => 'status' in c && c.status === 'InProgress';
  const closing = changes.filter((c) => !opening(c)).sort((a, b) => level(b) - level(a));
  const opened = changes.filter(opening).sort((a, b) => level(a) - level(b));
  return [...closing, ...opened];
}

function actionEvent(origin: EventOrigin, execution: ExecutionState, stage: string, action: string, attempt: number, status: ActionStatus, resources: readonly string[], base: Record<string, unknown>): AwsEvent {
  const declaration = execution.definition.stages.find((s) => s.name === stage)?.actions.find((a) => a.name === action);
  const run = execution.actions.find((a) => a.stage === stage && a.action === action && a.attempt === attempt);
  const artifacts = (names: readonly string[]): unknown[] => names.map((name) => ({ name }));
  const result = run && (run.externalExecutionId !== undefined || run.summary !== undefined || run.errorDetails !== undefined)
    ? { 'execution-result': {
        ...(run.externalExecutionUrl === undefined ? {} : { 'external-execution-url': run.externalExecutionUrl }),
        ...(run.summary === undefined ? {} : { 'external-execution-summary': run.summary }),
        ...(run.externalExecutionId === undefined ? {} : { 'external-execution-id': run.externalExecutionId }),
        ...(run.errorDetails === undefined ? {} : { 'error-code': run.errorDetails.code }),
      } }
    : {};
  return envelope(origin, 'CodePipeline Action Execution State Change', 'aws.codepipeline', resources, {
    ...base,
    stage,
    action,
    state: ACTION_STATES[status],
    region: declaration?.region ?? origin.settings.region,
    ...(declaration ? { type: { owner: declaration.actionTypeId.owner, category: declaration.actionTypeId.category, provider: declaration.actionTypeId.provider, version: declaration.actionTypeId.version } } : {}),
    'input-artifacts': artifacts(declaration?.inputArtifacts ?? []),
    ...(status === 'Succeeded' ? { 'output-artifacts': artifacts(declaration?.outputArtifacts ?? []) } : {}),
    ...result,
  });
}

// ---- CodeCommit ------------------------------------------------------------------------------

/** One `CodeCommit Repository State Change` per ref a push changed, each in the trace its push starts. */
export function pushEvents(origin: EventOrigin, repository: StoredRepository, pushes: readonly PushEvent[]): TracedEvent[] {
  const resources = [`arn:aws:codecommit:${origin.settings.region}:${origin.settings.accountId}:${repository.name}`];
  return pushes.map((push) => {
    const event = push.oldCommit === undefined ? 'referenceCreated' : push.newCommit === undefined ? 'referenceDeleted' : 'referenceUpdated';
    const shortName = push.ref.replace(/^refs\/(heads|tags)\//, '');
    const traced = envelope(origin, 'CodeCommit Repository State Change', 'aws.codecommit', resources, {
      callerUserArn: `arn:aws:iam::${origin.settings.accountId}:user/${push.pusher}`,
      event,
      repositoryName: repository.name,
      repositoryId: repository.id,
      referenceType: push.refType,
      referenceName: shortName,
      referenceFullName: push.ref,
      ...(push.newCommit === undefined ? {} : { commitId: push.newCommit }),
      ...(push.oldCommit === undefined ? {} : { oldCommitId: push.oldCommit }),
    });
    return { ...traced, traceId: traceIdOf(pushTraceParent(push.repositoryName, push.sequence)) };
  });
}
