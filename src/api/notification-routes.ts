/**
 * Notification rules in the native API (`/api/v1/notification-rules`), with the CodeStar
 * Notifications field names (`Name`, `EventTypeIds`, `Resource`, `Targets`, `DetailType` …). A
 * rule is named by its ARN or its name in the path. Targets are shown without their secrets.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { NotificationRule } from '../core/notification-rule.js';
import type { Caller } from '../server/auth/auth-service.js';
import type { RuleStatus } from '../server/events/notifications-service.js';
import type { Services } from '../server/services.js';
import { bearerToken, readJson, type BodyLimit } from './request.js';

type Env = { Variables: { caller: Caller } };

const targetSchema = z.object({
  TargetType: z.enum(['Webhook', 'Slack']),
  TargetAddress: z.string().min(1).max(320),
  Secret: z.string().max(1024).optional(),
  SecretName: z.string().min(1).max(1024).optional(),
}).strict();
const ruleSchema = z.object({
  Name: z.string(),
  EventTypeIds: z.array(z.string().max(200)).max(100),
  Resource: z.string().max(2048),
  Targets: z.array(targetSchema).max(10),
  DetailType: z.enum(['BASIC', 'FULL']).default('FULL'),
  Status: z.enum(['ENABLED', 'DISABLED']).optional(),
  Tags: z.record(z.string().min(1).max(128), z.string().max(256)).optional(),
  ClientRequestToken: z.string().max(256).optional(),
}).strict();
const updateSchema = ruleSchema.omit({ Resource: true, Tags: true, ClientRequestToken: true }).partial().strict();
const unsubscribeSchema = z.object({ TargetAddress: z.string().min(1).max(320) }).strict();
const filterSchema = z.object({ resourceType: z.string().optional(), serviceName: z.string().optional() });

export function ruleView(rule: NotificationRule): Record<string, unknown> {
  return {
    Arn: rule.arn,
    Name: rule.name,
    Resource: rule.resource,
    EventTypes: rule.eventTypeIds.map((id) => ({ EventTypeId: id })),
    Targets: rule.targets.map((t) => ({ TargetAddress: t.targetAddress, TargetType: t.targetType, TargetStatus: 'ACTIVE', Signed: t.secret.kind !== 'none' })),
    DetailType: rule.detailType,
    CreatedBy: rule.createdBy,
    Status: rule.status,
    CreatedTimestamp: new Date(rule.created).toISOString(),
    LastModifiedTimestamp: new Date(rule.lastModified).toISOString(),
    Tags: rule.tags,
  };
}

function statusView(status: RuleStatus): Record<string, unknown> {
  const delivery = (d: RuleStatus['pending'][number]): Record<string, unknown> => ({ deliveryId: d.id, targetAddress: d.targetAddress, eventSequence: d.eventSequence, attempts: d.attempts, lastError: d.lastError, nextAttemptAt: new Date(d.nextAttemptAt).toISOString(), updatedAt: new Date(d.updatedAt).toISOString() });
  return { deliveries: status.counts, deadLetters: status.deadLetters.map(delivery), pending: status.pending.map(delivery) };
}

export function notificationRoutes(services: Services): Hono<Env> {
  const app = new Hono<Env>();
  const { auth, notifications, notificationOutbox } = services;
  const jsonLimit: BodyLimit = { maxBytes: 256 * 1024, what: 'A notification rule' };

  app.use('*', async (c, next) => {
    c.set('caller', await auth.authenticate(bearerToken(c), ['API_TOKEN']));
    return next();
  });

  app.get('/', async (c) => c.json({ NotificationRules: (await notifications.list()).map((r) => ({ Id: r.arn.replace(/^.*\//, ''), Arn: r.arn, Name: r.name, Resource: r.resource, Status: r.status })) }));
  app.post('/', async (c) => c.json(await notifications.create(ruleSchema.parse(await readJson(c, jsonLimit)), c.get('caller')), 201));
  app.get('/event-types', (c) => {
    const filter = filterSchema.parse(c.req.query());
    const filters = [
      ...(filter.resourceType ? [{ Name: 'RESOURCE_TYPE' as const, Value: filter.resourceType }] : []),
      ...(filter.serviceName ? [{ Name: 'SERVICE_NAME' as const, Value: filter.serviceName }] : []),
    ];
    return c.json({ EventTypes: notifications.listEventTypes(filters).map((t) => ({ EventTypeId: t.eventTypeId, ServiceName: t.serviceName, EventTypeName: t.eventTypeName, ResourceType: t.resourceType })) });
  });
  app.get('/:rule', async (c) => {
    const rule = await notifications.get(c.req.param('rule'));
    return c.json({ ...ruleView(rule), ...statusView(await notifications.status(rule.arn)) });
  });
  app.patch('/:rule', async (c) => {
    await notifications.update(c.req.param('rule'), updateSchema.parse(await readJson(c, jsonLimit)), c.get('caller'));
    return c.json({});
  });
  app.delete('/:rule', async (c) => c.json(await notifications.delete(c.req.param('rule'))));
  app.post('/:rule/subscribe', async (c) => c.json(await notifications.subscribe(c.req.param('rule'), targetSchema.parse(await readJson(c, jsonLimit)), c.get('caller'))));
  app.post('/:rule/unsubscribe', async (c) => c.json(await notifications.unsubscribe(c.req.param('rule'), unsubscribeSchema.parse(await readJson(c, jsonLimit)).TargetAddress)));
  app.post('/:rule/test', async (c) => {
    const rule = await notifications.get(c.req.param('rule'));
    const results = await notificationOutbox.test(rule);
    return c.json({ results: results.map((r) => ({ TargetAddress: r.targetAddress, delivered: r.error === undefined, ...(r.error === undefined ? {} : { error: r.error }) })) });
  });
  return app;
}
