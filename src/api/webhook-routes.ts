/**
 * Incoming push webhooks at `POST /webhooks/repositories/<name>`, from GitHub, Gitea and GitLab.
 * No API token: a delivery is authenticated by its signature over the raw body (or GitLab's
 * token) alone, so a request with no signature header is 401 before its body is read, and a
 * signed one is read only up to the webhook limit. A verified push answers 202 at once and the
 * mirror is fetched in the background; other verified events are acknowledged with 202 and `ignored`.
 */
import { Hono } from 'hono';
import { NagareError } from '../core/errors.js';
import { readWebhookDelivery } from '../server/repositories/external-repositories-webhooks.js';
import type { Services } from '../server/services.js';
import { readBody } from './request.js';

export function webhookRoutes(services: Services): Hono {
  const app = new Hono();
  const limit = { maxBytes: services.context.settings.bodyLimits.webhookBytes, what: 'A webhook payload' };

  app.post('/repositories/:name', async (c) => {
    if (!readWebhookDelivery(c.req.raw.headers)) {
      throw new NagareError('AUTH_MISSING', 'An unsigned webhook: nagare accepts push webhooks from GitHub (X-Hub-Signature-256), Gitea (X-Gitea-Signature) and GitLab (X-Gitlab-Token) signed with the repository\'s webhook secret');
    }
    const body = await readBody(c, limit);
    const outcome = await services.externalRepositories.receiveWebhook(c.req.param('name'), c.req.raw.headers, body);
    return c.json({ repository: c.req.param('name'), ...outcome }, 202);
  });

  return app;
}
