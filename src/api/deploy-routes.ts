/**
 * CodeDeploy in the native API (`/api/v1/deploy`), for the CLI and the dashboard, authenticated by
 * API token or dashboard session (a change made with the session carries its CSRF token): the same
 * operations as the AWS JSON API (one route per operation name, the same services and shapes), the
 * upload of a revision bundle into the server's revision store (what `nagare deploy push` sends),
 * and the dashboard's read-only views (protocol/native-deployments.ts).
 *
 *   POST /api/v1/deploy/operations/:operation            the CodeDeploy operation's JSON input → its output
 *   PUT  /api/v1/deploy/revisions/:application?key=…&bundleType=zip&description=…   bundle bytes → { revision }
 *   GET  /api/v1/deploy/deployments?application=&group=&status=&limit=&nextToken=   newest first → { deployments, nextToken }
 *   GET  /api/v1/deploy/deployments/:id                  → { deployment } with its instances' lifecycle events
 *   GET  /api/v1/deploy/fleet?nextToken=&instancesNextToken=   application → group → instances → revision, agent health
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { NagareError } from '../core/errors.js';
import { MAX_REVISION_BYTES } from '../server/deployments/revisions-service.js';
import type { Services } from '../server/services.js';
import { CODEDEPLOY_OPERATIONS } from './aws/codedeploy-operations.js';
import { apiCaller } from './auth/session-auth.js';
import { deployedFleet } from './deployed-fleet.js';
import { deploymentSummaryView, deploymentView } from './deploy-views.js';
import { cappedBody, readJson, refuseDeclaredLength, type BodyLimit } from './request.js';

type Env = { Variables: { caller: string } };

/** The bucket of the server's revision store that `push` writes to. */
export const REVISION_BUCKET = 'nagare-revisions';
const pushQuery = z.object({ key: z.string().min(1).max(1024), bundleType: z.enum(['zip', 'tar', 'tgz']).default('zip'), description: z.string().max(1000).optional() });
const DEPLOYMENT_STATUSES = ['Created', 'Queued', 'InProgress', 'Succeeded', 'Failed', 'Stopped'] as const;
const listQuery = z.object({
  application: z.string().min(1).max(100).optional(),
  group: z.string().min(1).max(100).optional(),
  status: z.enum(DEPLOYMENT_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  nextToken: z.string().max(1000).optional(),
});
const fleetQuery = z.object({ nextToken: z.string().max(1000).optional(), instancesNextToken: z.string().max(1000).optional() });
/** BatchGetDeployments' bound, kept by the service. */
const GET_MANY = 25;

export function deployRoutes(services: Services): Hono<Env> {
  const app = new Hono<Env>();
  const jsonLimit: BodyLimit = { maxBytes: 1024 * 1024, what: 'A CodeDeploy request body' };

  app.use('*', async (c, next) => {
    const caller = await apiCaller(c, services);
    c.set('caller', caller.name);
    return next();
  });

  app.post('/operations/:operation', async (c) => {
    const name = c.req.param('operation');
    const operation = Object.hasOwn(CODEDEPLOY_OPERATIONS, name) ? CODEDEPLOY_OPERATIONS[name] : undefined;
    if (!operation) throw new NagareError('API_UNKNOWN_OPERATION', `nagare serves no CodeDeploy operation ${name}`);
    return c.json(await operation(services, await readJson(c, jsonLimit), { accessKeyId: '', userName: c.get('caller') }));
  });

  app.put('/revisions/:application', async (c) => {
    const { key, bundleType, description } = pushQuery.parse(c.req.query());
    const applicationName = c.req.param('application');
    await services.deployments.applications.application(applicationName);
    if (!c.req.raw.body) throw new NagareError('API_INVALID_INPUT', 'A revision upload needs a body');
    const limit: BodyLimit = { maxBytes: MAX_REVISION_BYTES, what: 'A revision bundle' };
    refuseDeclaredLength(c, limit);
    const revision = await services.deployments.revisions.push(REVISION_BUCKET, key, bundleType, cappedBody(c.req.raw.body, limit));
    await services.deployments.revisions.register(applicationName, revision, description);
    return c.json({ revision });
  });

  app.get('/deployments', async (c) => {
    const query = listQuery.parse(c.req.query());
    if (query.group !== undefined && query.application === undefined) throw new NagareError('API_INVALID_INPUT', 'Give application with group');
    const page = await services.deployments.list({ applicationName: query.application, deploymentGroupName: query.group, statuses: query.status && [query.status] }, { limit: query.limit, nextToken: query.nextToken });
    const found = [];
    for (let at = 0; at < page.items.length; at += GET_MANY) found.push(...(await services.deployments.getMany(page.items.slice(at, at + GET_MANY))));
    const byId = new Map(found.map((deployment) => [deployment.deploymentId, deployment]));
    const deployments = page.items.flatMap((id) => {
      const deployment = byId.get(id);
      return deployment ? [deploymentSummaryView(deployment)] : [];
    });
    return c.json({ deployments, ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }) });
  });
  app.get('/deployments/:id', async (c) => c.json({ deployment: deploymentView(await services.deployments.get(c.req.param('id'))) }));
  app.get('/fleet', async (c) => c.json(await deployedFleet(services, fleetQuery.parse(c.req.query()))));

  return app;
}
