/**
 * EventBridge-style rules in the native API (`/api/v1/rules`, API token), for `nagare rule`:
 * the same service and field names as `AWSEvents.*` at `/`.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { Services } from '../server/services.js';
import { ruleShape } from './aws/events-operations.js';
import { bearerToken, readJson, type BodyLimit } from './request.js';

const putSchema = z.object({
  EventPattern: z.string().max(4096).optional(),
  ScheduleExpression: z.string().max(256).optional(),
  State: z.enum(['ENABLED', 'DISABLED']).optional(),
  Description: z.string().max(512).optional(),
  Targets: z.array(z.object({ Id: z.string().min(1).max(64), Arn: z.string().min(1).max(1600) }).strict()).max(5).optional(),
}).strict();

export function ruleRoutes(services: Services): Hono {
  const app = new Hono();
  const { auth, eventRules } = services;
  const limit: BodyLimit = { maxBytes: 64 * 1024, what: 'A rule' };

  app.use('*', async (c, next) => {
    await auth.authenticate(bearerToken(c), ['API_TOKEN']);
    return next();
  });
  app.get('/', async (c) => c.json({ Rules: (await eventRules.listRules()).map((r) => ({ ...ruleShape(r), Targets: r.targets.map((t) => ({ Id: t.id, Arn: t.arn })) })) }));
  app.put('/:name', async (c) => {
    const body = putSchema.parse(await readJson(c, limit));
    const { RuleArn } = await eventRules.putRule({ Name: c.req.param('name'), EventPattern: body.EventPattern, ScheduleExpression: body.ScheduleExpression, State: body.State, Description: body.Description });
    const targets = body.Targets === undefined ? { FailedEntryCount: 0, FailedEntries: [] } : await eventRules.putTargets(c.req.param('name'), body.Targets);
    return c.json({ RuleArn, ...targets });
  });
  app.delete('/:name', async (c) => {
    const rule = await eventRules.describeRule(c.req.param('name'));
    // `nagare rule delete` removes the targets first, as the console does.
    await eventRules.removeTargets(rule.name, rule.targets.map((t) => t.id));
    await eventRules.deleteRule(rule.name);
    return c.json({ deleted: rule.name });
  });
  return app;
}
