/**
 * CodeDeploy in the native API (`/api/v1/deploy`), for the CLI and the dashboard, authenticated by
 * API token: the same operations as the AWS JSON API (one route per operation name, the same
 * services and shapes), and the upload of a revision bundle into the server's revision store
 * (what `nagare deploy push` sends).
 *
 *   POST /api/v1/deploy/operations/:operation            the CodeDeploy operation's JSON input → its output
 *   PUT  /api/v1/deploy/revisions/:application?key=…&bundleType=zip&description=…   bundle bytes → { revision }
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { NagareError } from '../core/errors.js';
import { MAX_REVISION_BYTES } from '../server/deployments/revisions-service.js';
import type { Services } from '../server/services.js';
import { CODEDEPLOY_OPERATIONS } from './aws/codedeploy-operations.js';
import { bearerToken, cappedBody, readJson, refuseDeclaredLength, type BodyLimit } from './request.js';

type Env = { Variables: { caller: string } };

/** The bucket of the server's revision store that `push` writes to. */
export const REVISION_BUCKET = 'nagare-revisions';
const pushQuery = z.object({ key: z.string().min(1).max(1024), bundleType: z.enum(['zip', 'tar', 'tgz']).default('zip'), description: z.string().max(1000).optional() });

export function deployRoutes(services: Services): Hono<Env> {
  const app = new Hono<Env>();
  const jsonLimit: BodyLimit = { maxBytes: 1024 * 1024, what: 'A CodeDeploy request body' };

  app.use('*', async (c, next) => {
    const caller = await services.auth.authenticate(bearerToken(c), ['API_TOKEN']);
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

  return app;
}
