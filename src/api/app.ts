/**
 * The HTTP surface of the server, one Hono app: the AWS JSON APIs at `/` (SigV4), the native API
 * at `/api/v1` (API tokens), git smart HTTP at `/git` (API token as the Basic password), the agent
 * protocol at `/agent/v1` (agent tokens), push webhooks at `/webhooks` (the payload's signature),
 * `/metrics` (API token), `/healthz` (open, for load balancers: it says nothing but "ok"), and the
 * dashboard: its files at GET `/` and its pages (open), its session at `/api/v1/session`.
 */
import { Hono } from 'hono';
import type { Services } from '../server/services.js';
import { agentRoutes } from './agent-routes.js';
import { awsRoutes } from './aws/aws-routes.js';
import { gitRoutes } from './git-routes.js';
import { eventRoutes } from './event-routes.js';
import { errorResponse } from './http-errors.js';
import { deployRoutes } from './deploy-routes.js';
import { nativeRoutes } from './native-routes.js';
import { notificationRoutes } from './notification-routes.js';
import { pipelineRoutes } from './pipeline-routes.js';
import { repositoryRoutes } from './repository-routes.js';
import { ruleRoutes } from './rule-routes.js';
import { bearerToken } from './request.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { sessionRoutes } from './session-routes.js';
import { webhookRoutes } from './webhook-routes.js';

export interface AppOptions {
  /** The built dashboard (dist/web); without it `/` says how to build it. */
  readonly dashboardDir?: string | undefined;
}

export function createApp(services: Services, options: AppOptions = {}): Hono {
  const app = new Hono();
  const { logger, metrics } = services.context;
  app.onError((error, c) => errorResponse(c, error, logger));
  app.notFound((c) => c.json({ error: { code: 'API_NOT_FOUND', message: `No route ${c.req.method} ${c.req.path}` } }, 404));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/metrics', async (c) => {
    if (services.context.settings.metricsPublic !== true) await services.auth.authenticate(bearerToken(c), ['API_TOKEN', 'METRICS_TOKEN']);
    return c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType });
  });
  // Before the native API: signing in is the one /api/v1 call made without credentials.
  app.route('/api/v1', sessionRoutes(services));
  app.route('/api/v1/repositories', repositoryRoutes(services));
  app.route('/api/v1/pipelines', pipelineRoutes(services));
  app.route('/api/v1/deploy', deployRoutes(services));
  app.route('/api/v1/events', eventRoutes(services));
  app.route('/api/v1/notification-rules', notificationRoutes(services));
  app.route('/api/v1/rules', ruleRoutes(services));
  app.route('/api/v1', nativeRoutes(services));
  app.route('/git', gitRoutes(services));
  app.route('/webhooks', webhookRoutes(services));
  app.route('/agent/v1', agentRoutes(services));
  app.route('/', awsRoutes(services));
  app.route('/', dashboardRoutes(options.dashboardDir));
  return app;
}
