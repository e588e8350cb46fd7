/**
 * Pipelines in the native API (`/api/v1/pipelines`), with an API token like the rest of it: apply a
 * definition file as it is (JSON or YAML; create or update, answering what changed), list,
 * describe, delete, and run them — start, stop, state, history, approvals (the token looked up
 * from the state, so people never copy it), stage retries and inbound transitions. Every execution
 * command goes through `PipelinesService.dispatch`. Times are ISO strings.
 */
import { formatTraceParent, parseTraceParent } from '../server/events/trace.js';
import { Hono } from 'hono';
import { z } from 'zod';
import { NagareError, SpecErrors } from '../core/errors.js';
import { actionExecutions, executionSummaries, executionSummary, stageStates, type PipelineRuntime, type StageStateView } from '../core/pipeline-execution.js';
import type { StoredPipeline } from '../core/store.js';
import type { Services } from '../server/services.js';
import { parsePipeline } from '../spec/pipeline.js';
import { pipelineDeclaration, toIso, withTimes } from './aws/codepipeline-shapes.js';
import { pipelineChanges } from './pipeline-changes.js';
import { apiCaller } from './auth/session-auth.js';
import { withEntityUrls } from './pipeline-links.js';
import { readBody, readJson, type BodyLimit } from './request.js';

type Env = { Variables: { caller: string } };

const MAX_DEFINITION_BYTES = 1024 * 1024;
const startSchema = z.object({ variables: z.record(z.string().min(1).max(128), z.string().max(1000)).optional() });
const stopSchema = z.object({ abandon: z.boolean().optional(), reason: z.string().max(200).optional() });
const approvalSchema = z.object({ stage: z.string().min(1), action: z.string().min(1), status: z.enum(['Approved', 'Rejected']), summary: z.string().max(512).default('') });
const pageSchema = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100), nextToken: z.string().max(2048).optional() });
const retrySchema = z.object({ executionId: z.string().min(1).optional(), mode: z.enum(['FAILED_ACTIONS', 'ALL_ACTIONS']).default('FAILED_ACTIONS') });
const transitionSchema = z.object({ enabled: z.boolean(), reason: z.string().min(1).max(300).optional() });

const iso = <T>(value: T): T => withTimes(value, toIso);

function summaryView(stored: StoredPipeline): Record<string, unknown> {
  const latest = executionSummaries(stored.runtime)[0];
  return {
    name: stored.definition.name,
    version: stored.definition.version,
    pipelineType: stored.definition.pipelineType,
    executionMode: stored.definition.executionMode,
    stages: stored.definition.stages.map((s) => s.name),
    // Each stage's latest status and inbound transition, so that a list (the dashboard's pipelines page) needs no call per pipeline.
    stageSummaries: stageStates(stored.runtime).map((stage) => ({
      stageName: stage.stageName,
      transitionEnabled: stage.inboundTransitionState.enabled,
      ...(stage.latestExecution ? { latestExecution: { ...stage.latestExecution } } : {}),
    })),
    created: toIso(stored.created),
    updated: toIso(stored.updated),
    ...(latest ? { latestExecution: iso({ pipelineExecutionId: latest.pipelineExecutionId, status: latest.status, startTime: latest.startTime }) } : {}),
  };
}

/** Stage states with each waiting approval's custom data, link and expiry beside its token. */
function stateView(runtime: PipelineRuntime): (StageStateView & { actionStates: Record<string, unknown>[] })[] {
  return stageStates(runtime).map((stage) => ({
    ...stage,
    actionStates: stage.actionStates.map((action) => {
      const token = action.latestExecution?.token;
      const run = token === undefined ? undefined : runtime.executions.flatMap((e) => e.actions).find((r) => r.token === token);
      if (!run) return action;
      const { CustomData: customData, ExternalEntityLink: externalEntityLink } = run.resolvedConfiguration;
      return { ...action, approval: { ...(customData ? { customData } : {}), ...(externalEntityLink ? { externalEntityLink } : {}), ...(run.expiresAt !== undefined ? { expiresAt: run.expiresAt } : {}) } };
    }),
  }));
}

/** The body as a definition; spec problems as one error listing them all in `details.errors`. */
function definitionOf(text: string, file: string): ReturnType<typeof parsePipeline> {
  try {
    return parsePipeline(text, file);
  } catch (error) {
    if (!(error instanceof SpecErrors)) throw error;
    const more = error.errors.length > 1 ? ` (and ${error.errors.length - 1} more problems)` : '';
    throw new NagareError(error.code, `${error.describe()}${more}`, { details: { errors: error.errors.map((e) => e.toJSON()) } });
  }
}

export function pipelineRoutes(services: Services): Hono<Env> {
  const app = new Hono<Env>();
  const { pipelines } = services;
  const jsonLimit: BodyLimit = { maxBytes: services.context.settings.bodyLimits.jsonBytes, what: 'A request body' };

  app.use('*', async (c, next) => {
    c.set('caller', (await apiCaller(c, services)).name);
    return next();
  });

  app.put('/', async (c) => {
    const text = new TextDecoder().decode(await readBody(c, { maxBytes: MAX_DEFINITION_BYTES, what: 'A pipeline definition' }));
    const applied = await pipelines.apply(definitionOf(text, c.req.query('file') ?? 'request body'));
    const body = { name: applied.current.name, created: applied.created, unchanged: applied.unchanged, version: applied.current.version, changes: applied.unchanged ? [] : pipelineChanges(applied.previous, applied.current) };
    return c.json(body, applied.created ? 201 : 200);
  });
  app.get('/', async (c) => {
    const query = pageSchema.parse({ limit: c.req.query('limit'), nextToken: c.req.query('nextToken') });
    const { items, nextToken } = await pipelines.listPage(query);
    return c.json({ pipelines: items.map(summaryView), ...(nextToken !== undefined ? { nextToken } : {}) });
  });
  app.get('/:name', async (c) => {
    const stored = await pipelines.get(c.req.param('name'));
    return c.json({ pipeline: pipelineDeclaration(stored.definition), version: stored.definition.version, created: toIso(stored.created), updated: toIso(stored.updated) });
  });
  app.delete('/:name', async (c) => {
    await pipelines.delete(c.req.param('name'));
    return c.body(null, 204);
  });

  app.post('/:name/executions', async (c) => {
    const { variables } = startSchema.parse(await readJson(c, jsonLimit));
    const executionId = services.context.newId();
    const trace = parseTraceParent(c.req.header('traceparent'));
    await pipelines.dispatch(c.req.param('name'), { type: 'START', executionId, trigger: { type: 'Manual', detail: c.get('caller') }, variables: variables ?? {}, ...(trace ? { traceParent: formatTraceParent(trace.traceId, trace.spanId) } : {}) });
    return c.json({ pipelineExecutionId: executionId }, 201);
  });
  app.get('/:name/executions', async (c) => {
    const query = pageSchema.parse({ limit: c.req.query('limit'), nextToken: c.req.query('nextToken') });
    const runtime = await pipelines.runtime(c.req.param('name'));
    const page = await pipelines.executionPage(c.req.param('name'), query.limit, query.nextToken);
    return c.json({ executions: iso(executionSummaries({ ...runtime, executions: page.items })), ...(page.nextToken ? { nextToken: page.nextToken } : {}) });
  });
  app.get('/:name/executions/:id', async (c) => {
    const runtime = await pipelines.runtime(c.req.param('name'));
    const found = await pipelines.execution(c.req.param('name'), c.req.param('id'));
    const one = { ...runtime, executions: found ? [found] : [] };
    const execution = executionSummary(one, c.req.param('id'));
    if (!execution) throw executionNotFound(c.req.param('name'), c.req.param('id'));
    return c.json({ execution: iso(execution), actions: iso(actionExecutions(one, c.req.param('id'))) });
  });
  app.post('/:name/executions/:id/stop', async (c) => {
    const { abandon, reason } = stopSchema.parse(await readJson(c, jsonLimit));
    await pipelines.dispatch(c.req.param('name'), { type: 'STOP', executionId: c.req.param('id'), abandon: abandon ?? false, reason: reason ?? `stopped by ${c.get('caller')}` });
    return c.json({ pipelineExecutionId: c.req.param('id') });
  });

  app.get('/:name/state', async (c) => {
    const stored = await pipelines.get(c.req.param('name'));
    const runtime = stored.runtime;
    const newest = (await pipelines.listExecutions(stored.definition.name, 1)).items;
    const latest = executionSummaries({ ...runtime, executions: newest })[0];
    return c.json({ pipelineName: stored.definition.name, pipelineVersion: stored.definition.version, ...(latest ? { latestExecution: iso(latest) } : {}), stageStates: iso(withEntityUrls(stateView(runtime), stored.definition, services.context.settings.publicUrl)) });
  });
  app.post('/:name/approvals', async (c) => {
    const body = approvalSchema.parse(await readJson(c, jsonLimit));
    const name = c.req.param('name');
    const stage = stageStates(await pipelines.runtime(name)).find((s) => s.stageName === body.stage);
    if (!stage) throw new NagareError('API_NOT_FOUND', `Pipeline ${name} has no stage ${body.stage}`, { details: { awsException: 'StageNotFoundException' } });
    const action = stage.actionStates.find((a) => a.actionName === body.action);
    if (!action) throw new NagareError('API_NOT_FOUND', `Stage ${body.stage} of ${name} has no action ${body.action}`, { details: { awsException: 'ActionNotFoundException' } });
    const token = action.latestExecution?.token;
    if (token === undefined) throw new NagareError('API_INVALID_INPUT', `No approval is waiting at ${body.stage}/${body.action} of ${name}`, { details: { awsException: 'InvalidApprovalTokenException' } });
    await pipelines.dispatch(name, { type: 'APPROVAL_RESULT', stage: body.stage, action: body.action, token, status: body.status, summary: body.summary, by: c.get('caller') });
    return c.json({ pipelineExecutionId: stage.latestExecution?.pipelineExecutionId, status: body.status, approvedAt: toIso(services.context.clock()) });
  });
  app.post('/:name/stages/:stage/retry', async (c) => {
    const { executionId, mode } = retrySchema.parse(await readJson(c, jsonLimit));
    const name = c.req.param('name');
    const stageName = c.req.param('stage');
    const id = executionId ?? stageStates(await pipelines.runtime(name)).find((s) => s.stageName === stageName)?.latestExecution?.pipelineExecutionId;
    if (id === undefined) throw new NagareError('API_INVALID_INPUT', `No execution has entered stage ${stageName} of ${name}; nothing to retry`);
    await pipelines.dispatch(name, { type: 'RETRY_STAGE', executionId: id, stage: stageName, mode });
    return c.json({ pipelineExecutionId: id });
  });
  app.post('/:name/stages/:stage/transition', async (c) => {
    const { enabled, reason } = transitionSchema.parse(await readJson(c, jsonLimit));
    const stage = c.req.param('stage');
    await pipelines.dispatch(c.req.param('name'), enabled
      ? { type: 'ENABLE_TRANSITION', stage, by: c.get('caller') }
      : { type: 'DISABLE_TRANSITION', stage, reason: reason ?? `disabled by ${c.get('caller')}`, by: c.get('caller') });
    return c.json({ stageName: stage, enabled });
  });

  return app;
}

function executionNotFound(name: string, id: string): NagareError {
  return new NagareError('API_NOT_FOUND', `Pipeline ${name} has no execution ${id}`, { details: { awsException: 'PipelineExecutionNotFoundException' } });
}
