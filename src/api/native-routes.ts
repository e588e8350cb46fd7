/**
 * The native REST API (`/api/v1`), used by the nagare CLI, the dashboard and scripts. Every route
 * needs an API token (`Authorization: Bearer …`). Bodies are validated here with zod.
 */
import { parseTraceParent } from '../server/events/trace.js';
import { Hono } from 'hono';
import { z } from 'zod';
import type { Services } from '../server/services.js';
import { projectInputSchema, projectUpdateSchema, startBuildSchema } from './project-input.js';
import { buildBatchView, buildView, projectView } from './native-views.js';
import { NagareError } from '../core/errors.js';
import { followLog, readLog } from './build-logs.js';
import { streamOf } from './streams.js';
import { apiCaller } from './auth/session-auth.js';
import { readJson, type BodyLimit } from './request.js';

type Env = { Variables: { caller: string } };

const pageSchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(100),
  nextToken: z.string().optional(),
  sortOrder: z.enum(['ASCENDING', 'DESCENDING']).optional(),
  project: z.string().optional(),
});
// Status and initiator (exactly, as builds record it) are filtered in the store, each through an index.
const buildsQuerySchema = pageSchema.extend({
  status: z.enum(['SUCCEEDED', 'FAILED', 'FAULT', 'TIMED_OUT', 'IN_PROGRESS', 'STOPPED']).optional(),
  initiator: z.string().min(1).max(256).optional(),
});
const parameterPutSchema = z.object({ name: z.string(), value: z.string().max(64 * 1024), type: z.enum(['String', 'SecureString']).optional(), overwrite: z.boolean().optional() });
const nameQuery = z.object({ name: z.string().min(1) });

export function nativeRoutes(services: Services): Hono<Env> {
  const app = new Hono<Env>();
  const { projects, builds, parameters, auth, context } = services;
  const jsonLimit: BodyLimit = { maxBytes: services.context.settings.bodyLimits.jsonBytes, what: 'A request body' };
  const publicUrl = (): string => context.settings.publicUrl;

  app.use('*', async (c, next) => {
    const caller = await apiCaller(c, services);
    c.set('caller', caller.name);
    return next();
  });

  app.get('/whoami', (c) => c.json({ name: c.get('caller'), kind: 'API_TOKEN' }));
  app.get('/agents', async (c) => c.json({ agents: await services.agents.list() }));

  app.get('/projects', async (c) => {
    const page = pageSchema.parse(c.req.query());
    const names = await projects.list(page);
    const { projects: found } = await projects.batchGet(names.items);
    return c.json({ projects: found.map(projectView), nextToken: names.nextToken });
  });
  app.post('/projects', async (c) => c.json({ project: projectView(await projects.create(projectInputSchema.parse(await readJson(c, jsonLimit)))) }, 201));
  app.get('/projects/:name', async (c) => c.json({ project: projectView(await projects.get(c.req.param('name'))) }));
  app.put('/projects/:name', async (c) => {
    const changes = projectUpdateSchema.parse({ ...(await readJson(c, jsonLimit) as object), name: c.req.param('name') });
    return c.json({ project: projectView(await projects.update(c.req.param('name'), changes)) });
  });
  app.delete('/projects/:name', async (c) => {
    await projects.delete(c.req.param('name'));
    return c.body(null, 204);
  });

  app.post('/projects/:name/builds', async (c) => {
    const input = startBuildSchema.parse(await readJson(c, jsonLimit));
    const build = await builds.startBuild({ ...input, projectName: c.req.param('name'), initiator: c.get('caller'), traceParent: parseTraceParent(c.req.header('traceparent')) });
    return c.json({ build: buildView(build, publicUrl()) }, 201);
  });
  app.get('/builds', async (c) => {
    const { project, status, initiator, ...page } = buildsQuerySchema.parse(c.req.query());
    const filter = { buildStatus: status, initiator };
    const ids = project ? await builds.listForProject(project, page, filter) : await builds.list(page, filter);
    const { builds: found } = await builds.batchGet(ids.items);
    return c.json({ builds: found.map((b) => buildView(b, publicUrl())), nextToken: ids.nextToken });
  });
  app.get('/builds/:id', async (c) => c.json({ build: buildView(await builds.get(c.req.param('id')), publicUrl()) }));
  app.post('/builds/:id/stop', async (c) => c.json({ build: buildView(await builds.stopBuild(c.req.param('id')), publicUrl()) }));
  app.post('/builds/:id/retry', async (c) => c.json({ build: buildView(await builds.retryBuild(c.req.param('id'), c.get('caller')), publicUrl()) }, 201));
  app.delete('/builds/:id', async (c) => c.json(await builds.batchDelete([c.req.param('id')])));
  app.get('/build-batches/:id', async (c) => {
    const { batches, builds: found } = await services.buildBatches.batchGet([c.req.param('id')]);
    const [batch] = batches;
    if (!batch) throw new NagareError('API_NOT_FOUND', `No build batch ${c.req.param('id')}`, { details: { resource: 'build batch' } });
    return c.json({ batch: buildBatchView(batch, found) });
  });
  app.get('/builds/:id/logs', async (c) => {
    const build = await builds.get(c.req.param('id'));
    if (c.req.query('follow') === '1' || c.req.header('accept') === 'text/event-stream') return followLog(c, services, build.id);
    return readLog(c, services, build);
  });
  app.get('/builds/:id/artifacts/:name', async (c) => {
    const build = await builds.get(c.req.param('id'));
    const data = build.record;
    const artifact = [data.artifacts, ...data.secondaryArtifacts].find((a) => a?.name === c.req.param('name'));
    if (!artifact) return c.json({ error: { code: 'API_NOT_FOUND', message: `Build ${build.id} has no artifact ${c.req.param('name')}` } }, 404);
    const body = await context.blobs.read(artifact.blobKey);
    return new Response(streamOf(body), { headers: { 'content-type': 'application/zip', 'content-length': String(artifact.bytes), 'content-disposition': `attachment; filename="${artifact.name}"` } });
  });

  for (const namespace of ['parameter', 'secret'] as const) {
    const path = namespace === 'parameter' ? '/parameters' : '/secrets';
    app.put(path, async (c) => {
      const body = parameterPutSchema.parse(await readJson(c, jsonLimit));
      return c.json(await parameters.put(namespace, body.name, body.value, { ...(body.type ? { type: body.type } : {}), overwrite: body.overwrite ?? false }));
    });
    app.get(path, async (c) => {
      const name = c.req.query('name');
      if (name === undefined) return c.json({ [namespace === 'parameter' ? 'parameters' : 'secrets']: await parameters.list(namespace) });
      const stored = await parameters.get(namespace, name);
      return c.json({ name: stored.name, type: stored.type, value: stored.value, version: stored.version });
    });
    app.delete(path, async (c) => {
      await parameters.delete(namespace, nameQuery.parse(c.req.query()).name);
      return c.body(null, 204);
    });
  }

  app.post('/agent-tokens', async (c) => {
    const { name } = z.object({ name: z.string().min(1).max(200).default('agent') }).parse(await readJson(c, jsonLimit));
    return c.json({ token: await auth.createAgentToken(name) }, 201);
  });
  app.post('/metrics-tokens', async (c) => {
    const { name } = z.object({ name: z.string().min(1).max(200).default('prometheus') }).parse(await readJson(c, jsonLimit));
    return c.json({ token: await auth.createMetricsToken(name) }, 201);
  });
  // A new AWS access key pair for SigV4 calls (`nagare aws-env`); the secret is shown only in this answer.
  app.post('/access-keys', async (c) => c.json(await auth.createAccessKey(), 201));
  app.get('/agents', async (c) => c.json({ agents: await context.store.agents.list() }));
  // The interval runner's components across the cluster: when each last ran, where, whether paused.
  app.get('/components', async (c) => c.json({ components: await services.intervalRunner.list() }));
  app.put('/components/:name', async (c) => {
    const { paused } = z.object({ paused: z.boolean() }).strict().parse(await readJson(c, jsonLimit));
    await services.intervalRunner.setPaused(c.req.param('name'), paused);
    return c.json({ component: (await services.intervalRunner.list()).find((record) => record.name === c.req.param('name')) });
  });

  return app;
}
