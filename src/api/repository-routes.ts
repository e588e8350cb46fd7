/**
 * Hosted repositories in the native API (`/api/v1/repositories`), with an API token like the rest
 * of it: create, list, describe (with branches), delete, push events, and a commit as a zip.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { NagareError } from '../core/errors.js';
import type { StoredRepository } from '../core/store.js';
import { redactUrl } from '../server/repositories/external-repositories.js';
import type { Services } from '../server/services.js';
import { apiCaller } from './auth/session-auth.js';
import { readJson, type BodyLimit } from './request.js';

const createSchema = z
  .object({ name: z.string().min(1), description: z.string().max(1000).optional(), mirrorOf: z.string().min(1).max(2048).optional(), pollSeconds: z.number().int().min(0).max(86_400).optional(), webhookSecret: z.string().min(8).max(1000).optional() })
  .refine((b) => b.mirrorOf !== undefined || (b.pollSeconds === undefined && b.webhookSecret === undefined), { message: 'pollSeconds and webhookSecret are for external repositories (with mirrorOf)', path: ['mirrorOf'] });
const pageSchema = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100), nextToken: z.string().optional() });
const eventsSchema = z.object({ after: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(1000).default(100) });

export function repositoryView(repository: StoredRepository, cloneUrl: string, webhookUrl?: string): Record<string, unknown> {
  return {
    name: repository.name,
    id: repository.id,
    ...(repository.description === undefined ? {} : { description: repository.description }),
    ...(repository.defaultBranch === undefined ? {} : { defaultBranch: repository.defaultBranch }),
    cloneUrlHttp: cloneUrl,
    ...(repository.mirror === undefined ? {} : { mirrorOf: redactUrl(repository.mirror.url), pollSeconds: repository.mirror.pollSeconds, ...(repository.mirror.webhookSecret === undefined || webhookUrl === undefined ? {} : { webhookUrl }) }),
    created: new Date(repository.created).toISOString(),
    lastModified: new Date(repository.lastModified).toISOString(),
  };
}

export function repositoryRoutes(services: Services): Hono {
  const app = new Hono();
  const { repositories, externalRepositories } = services;
  const jsonLimit: BodyLimit = { maxBytes: services.context.settings.bodyLimits.jsonBytes, what: 'A request body' };
  const view = (r: StoredRepository): Record<string, unknown> => repositoryView(r, repositories.cloneUrl(r.name), externalRepositories.webhookUrl(r.name));

  app.use('*', async (_c, next) => {
    await apiCaller(_c, services);
    return next();
  });

  app.get('/', async (c) => {
    const page = pageSchema.parse(c.req.query());
    const listed = await repositories.list(page);
    return c.json({ repositories: listed.items.map(view), nextToken: listed.nextToken });
  });
  app.post('/', async (c) => {
    const body = createSchema.parse(await readJson(c, jsonLimit));
    const created = body.mirrorOf === undefined
      ? await repositories.create({ repositoryName: body.name, repositoryDescription: body.description })
      : await externalRepositories.create({ repositoryName: body.name, repositoryDescription: body.description, mirrorOf: body.mirrorOf, pollSeconds: body.pollSeconds, webhookSecret: body.webhookSecret });
    return c.json({ repository: view(created) }, 201);
  });
  app.get('/:name', async (c) => {
    const repository = await repositories.get(c.req.param('name'));
    const mirrorStatus = repository.mirror === undefined ? {} : { mirrorStatus: externalRepositories.status(repository.name) };
    return c.json({ repository: view(repository), branches: await repositories.listBranches(repository.name), ...mirrorStatus });
  });
  app.delete('/:name', async (c) => {
    const deleted = await repositories.delete(c.req.param('name'));
    if (!deleted) throw new NagareError('REPO_NOT_FOUND', `Repository ${c.req.param('name')} does not exist`);
    return c.body(null, 204);
  });
  app.get('/:name/push-events', async (c) => {
    const repository = await repositories.get(c.req.param('name'));
    const query = eventsSchema.parse(c.req.query());
    return c.json({ pushEvents: await repositories.pushEventsAfter(query.after, query.limit, { repositoryName: repository.name }) });
  });
  app.get('/:name/archive/:commit', async (c) => {
    const zip = await repositories.archive(c.req.param('name'), c.req.param('commit'));
    const name = `${c.req.param('name')}-${c.req.param('commit').slice(0, 12)}.zip`;
    return new Response(ReadableStream.from<Uint8Array>(zip), { headers: { 'content-type': 'application/zip', 'content-disposition': `attachment; filename="${name}"` } });
  });

  return app;
}
