/**
 * The CodePipeline operations nagare serves (`X-Amz-Target: CodePipeline_20150709.<Operation>`):
 * pipelines (Create, Get, Update, Delete, List) and their executions (Start, Stop, state,
 * executions, action executions, approvals, retries and inbound transitions). Every execution
 * command goes through `PipelinesService.dispatch`; its refusals carry the AWS exception name.
 * Shapes as codepipeline-shapes.ts gives them, errors as codepipeline-errors.ts names them.
 */
import { formatTraceParent } from '../../server/events/trace.js';
import { createHash } from 'node:crypto';
import type { ZodType } from 'zod';
import { isNagareError, NagareError, SpecErrors } from '../../core/errors.js';
import type { PipelineDefinition } from '../../core/pipeline.js';
import { actionExecutions, executionSummaries, executionSummary, stageStates } from '../../core/pipeline-execution.js';
import type { StoredPipeline } from '../../core/store.js';
import type { Services } from '../../server/services.js';
import { parsePipeline } from '../../spec/pipeline.js';
import type { AwsOperation } from './codebuild-operations.js';
import { CodePipelineInputError, definitionError } from './codepipeline-errors.js';
import * as input from './codepipeline-input.js';
import { pipelineArn, pipelineDeclaration, toEpochSeconds, withTimes } from './codepipeline-shapes.js';
import { withEntityUrls } from '../pipeline-links.js';

type Json = Record<string, unknown>;

const DEFAULT_PAGE = 100;

function parse<T>(schema: ZodType<T>, value: unknown): T {
  return schema.parse(value);
}

/** Validates the `pipeline` object as a definition file would be; every problem in one error. */
function definitionOf(pipeline: unknown, operation: string): PipelineDefinition {
  try {
    return parsePipeline(JSON.stringify(pipeline), `<${operation}>`);
  } catch (error) {
    if (error instanceof SpecErrors) throw definitionError(error);
    throw error;
  }
}

function refuseTags(tags: readonly unknown[] | undefined): void {
  if (tags && tags.length > 0) throw new CodePipelineInputError('ValidationException', 'Pipeline tags are not supported by nagare yet; remove `tags`');
}

/** Offset pages over a list read whole: `offset-<n>` tokens. */
function page<T>(items: readonly T[], maxResults: number | undefined, nextToken: string | undefined): { items: T[]; nextToken?: string } {
  const offset = nextToken === undefined ? 0 : Number(/^offset-(\d+)$/.exec(nextToken)?.[1] ?? NaN);
  if (!Number.isSafeInteger(offset)) throw new CodePipelineInputError('InvalidNextTokenException', 'nextToken is not a token this operation returned');
  const size = maxResults ?? DEFAULT_PAGE;
  const more = offset + size < items.length;
  return { items: items.slice(offset, offset + size), ...(more ? { nextToken: `offset-${offset + size}` } : {}) };
}

/** StartPipelineExecution's idempotency: one execution id per pipeline and client request token. */
function executionIdFor(pipelineName: string, clientRequestToken: string): string {
  const hex = createHash('sha256').update(`${pipelineName}\n${clientRequestToken}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function metadata(services: Services, stored: StoredPipeline): Json {
  const { region, accountId } = services.context.settings;
  return { pipelineArn: pipelineArn(region, accountId, stored.definition.name), created: toEpochSeconds(stored.created), updated: toEpochSeconds(stored.updated) };
}

/** GetPipeline with `version`: the current one, or an older one some execution still holds. */
async function definitionAt(services: Services, name: string, version: number | undefined): Promise<PipelineDefinition> {
  if (version === undefined) return (await services.pipelines.get(name)).definition;
  const held = await services.pipelines.definitionAt(name, version);
  if (!held) throw new CodePipelineInputError('PipelineVersionNotFoundException', `Version ${version} of pipeline ${name} cannot be found (nagare keeps only the current one and those executions ran on)`);
  return held;
}

/** ListActionExecutions without an execution filter looks at this many of the newest executions. */
const ACTION_EXECUTIONS_WINDOW = 1000;

const seconds = <T>(value: T): T => withTimes(value, toEpochSeconds);

export const CODEPIPELINE_OPERATIONS: Readonly<Record<string, AwsOperation>> = {
  async CreatePipeline(services, raw) {
    const { pipeline, tags } = parse(input.pipelineInput, raw);
    refuseTags(tags);
    const created = await services.pipelines.create(definitionOf(pipeline, 'CreatePipeline'));
    return { pipeline: pipelineDeclaration(created) };
  },

  async UpdatePipeline(services, raw) {
    const { pipeline } = parse(input.pipelineInput, raw);
    return { pipeline: pipelineDeclaration(await services.pipelines.update(definitionOf(pipeline, 'UpdatePipeline'))) };
  },

  async GetPipeline(services, raw) {
    const { name, version } = parse(input.getPipelineInput, raw);
    const definition = await definitionAt(services, name, version);
    return { pipeline: pipelineDeclaration(definition), metadata: metadata(services, await services.pipelines.get(name)) };
  },

  async DeletePipeline(services, raw) {
    await services.pipelines.delete(parse(input.nameInput, raw).name);
    return {};
  },

  async ListPipelines(services, raw) {
    const { maxResults, nextToken } = parse(input.listPipelinesInput, raw);
    const listed = await services.pipelines.listPage({ limit: maxResults ?? DEFAULT_PAGE, nextToken }).catch((error: unknown) => {
      throw isNagareError(error) && error.code === 'API_INVALID_INPUT' ? new CodePipelineInputError('InvalidNextTokenException', 'nextToken is not a token this operation returned') : error;
    });
    const pipelines = listed.items.map((p) => ({
      name: p.definition.name,
      version: p.definition.version,
      pipelineType: p.definition.pipelineType,
      executionMode: p.definition.executionMode,
      created: toEpochSeconds(p.created),
      updated: toEpochSeconds(p.updated),
    }));
    return { pipelines, ...(listed.nextToken !== undefined ? { nextToken: listed.nextToken } : {}) };
  },

  async StartPipelineExecution(services, raw, caller) {
    const { name, variables, clientRequestToken, sourceRevisions } = parse(input.startExecutionInput, raw);
    const executionId = clientRequestToken === undefined ? services.context.newId() : executionIdFor(name, clientRequestToken);
    try {
      await services.pipelines.dispatch(name, {
        type: 'START',
        executionId,
        trigger: { type: 'Manual', detail: caller.userName },
        ...(caller.traceParent ? { traceParent: formatTraceParent(caller.traceParent.traceId, caller.traceParent.spanId) } : {}),
        variables: Object.fromEntries((variables ?? []).map((v) => [v.name, v.value])),
        ...(sourceRevisions ? { sourceRevisions: Object.fromEntries(sourceRevisions.map((r) => [r.actionName, { revisionType: r.revisionType, revisionValue: r.revisionValue }])) } : {}),
      });
    } catch (error) {
      // The same client request token again: the execution it started, not a second one.
      const repeated = clientRequestToken !== undefined && error instanceof NagareError && error.details.awsException === 'ConflictException';
      if (!repeated) throw error;
    }
    return { pipelineExecutionId: executionId };
  },

  async StopPipelineExecution(services, raw) {
    const { pipelineName, pipelineExecutionId, abandon, reason } = parse(input.stopExecutionInput, raw);
    await services.pipelines.dispatch(pipelineName, { type: 'STOP', executionId: pipelineExecutionId, abandon: abandon ?? false, reason: reason ?? '' });
    return { pipelineExecutionId };
  },

  async GetPipelineState(services, raw) {
    const { name } = parse(input.pipelineStateInput, raw);
    const stored = await services.pipelines.get(name);
    const runtime = await services.pipelines.runtime(name);
    const states = withEntityUrls(stageStates(runtime), stored.definition, services.context.settings.publicUrl);
    return { pipelineName: name, pipelineVersion: stored.definition.version, stageStates: seconds(states), created: toEpochSeconds(stored.created), updated: toEpochSeconds(stored.updated) };
  },

  async GetPipelineExecution(services, raw) {
    const { pipelineName, pipelineExecutionId } = parse(input.executionInput, raw);
    const runtime = await services.pipelines.runtime(pipelineName);
    const exec = await services.pipelines.execution(pipelineName, pipelineExecutionId);
    const view = exec && executionSummary({ ...runtime, executions: [exec] }, pipelineExecutionId);
    if (!view) throw new CodePipelineInputError('PipelineExecutionNotFoundException', `Pipeline execution ${pipelineExecutionId} of ${pipelineName} cannot be found`);
    return { pipelineExecution: seconds(view) };
  },

  async ListPipelineExecutions(services, raw) {
    const { pipelineName, filter, maxResults, nextToken } = parse(input.listExecutionsInput, raw);
    if (filter !== undefined) throw new CodePipelineInputError('ValidationException', 'ListPipelineExecutions filter is not supported by nagare yet');
    const runtime = await services.pipelines.runtime(pipelineName);
    const listed = await services.pipelines.executionPage(pipelineName, maxResults ?? DEFAULT_PAGE, nextToken);
    return { pipelineExecutionSummaries: seconds(executionSummaries({ ...runtime, executions: listed.items })), ...(listed.nextToken ? { nextToken: listed.nextToken } : {}) };
  },

  async ListActionExecutions(services, raw) {
    const { pipelineName, filter, maxResults, nextToken } = parse(input.listActionExecutionsInput, raw);
    if (filter?.latestInPipelineExecution !== undefined) throw new CodePipelineInputError('ValidationException', 'filter.latestInPipelineExecution is not supported by nagare yet');
    const runtime = await services.pipelines.runtime(pipelineName);
    const executionId = filter?.pipelineExecutionId;
    const one = executionId === undefined ? undefined : await services.pipelines.execution(pipelineName, executionId);
    if (executionId !== undefined && !one) {
      throw new CodePipelineInputError('PipelineExecutionNotFoundException', `Pipeline execution ${executionId} of ${pipelineName} cannot be found`);
    }
    const executions = one ? [one] : (await services.pipelines.listExecutions(pipelineName, ACTION_EXECUTIONS_WINDOW)).items;
    const listed = page(actionExecutions({ ...runtime, executions }, executionId), maxResults, nextToken);
    return { actionExecutionDetails: seconds(listed.items), ...(listed.nextToken ? { nextToken: listed.nextToken } : {}) };
  },

  async PutApprovalResult(services, raw, caller) {
    const { pipelineName, stageName, actionName, result, token } = parse(input.approvalInput, raw);
    await services.pipelines.dispatch(pipelineName, { type: 'APPROVAL_RESULT', stage: stageName, action: actionName, token, status: result.status, summary: result.summary, by: caller.accessKeyId });
    return { approvedAt: toEpochSeconds(services.context.clock()) };
  },

  async RetryStageExecution(services, raw) {
    const { pipelineName, stageName, pipelineExecutionId, retryMode } = parse(input.retryInput, raw);
    await services.pipelines.dispatch(pipelineName, { type: 'RETRY_STAGE', executionId: pipelineExecutionId, stage: stageName, mode: retryMode });
    return { pipelineExecutionId };
  },

  async DisableStageTransition(services, raw, caller) {
    const { pipelineName, stageName, transitionType, reason } = parse(input.disableTransitionInput, raw);
    inboundOnly(transitionType);
    await services.pipelines.dispatch(pipelineName, { type: 'DISABLE_TRANSITION', stage: stageName, reason, by: caller.accessKeyId });
    return {};
  },

  async EnableStageTransition(services, raw, caller) {
    const { pipelineName, stageName, transitionType } = parse(input.transitionInput, raw);
    inboundOnly(transitionType);
    await services.pipelines.dispatch(pipelineName, { type: 'ENABLE_TRANSITION', stage: stageName, by: caller.accessKeyId });
    return {};
  },
};

function inboundOnly(transitionType: 'Inbound' | 'Outbound'): void {
  if (transitionType === 'Outbound') throw new CodePipelineInputError('ValidationException', 'Outbound stage transitions are not supported by nagare; disable the Inbound transition of the next stage instead');
}
