/**
 * Incoming push webhooks at `POST /webhooks/repositories/<name>`, from GitHub, Gitea and GitLab.
 * No API token: a delivery is authenticated by its signature over the raw body (or GitLab's
 * token) alone, so an unsigned request is 401 before anything is looked up. A verified push
 * answers 202 at once and the mirror is fetched in the background; other verified events are
 * acknowledged with 202 and `ignored`.
 */
import { Hono } from 'hono';
import { NagareError } from '../core/errors.js';
import type { Services } from '../server/services.js';

/** GitHub's own limit for a delivery's payload. */
const MAX_BODY_BYTES = 25 * 1024 * 1024;

export function webhookRoutes(services: Services): Hono {
  const app = new Hono();

  app.post('/repositories/:name', async (c) => {
    const length = Number(c.req.header('content-length') ?? '0');
    if (length > MAX_BODY_BYTES) throw new NagareError('API_PAYLOAD_TOO_LARGE', `A webhook payload may be at most ${MAX_BODY_BYTES} bytes`);
    const body = new Uint8Array(await c.req.arrayBuffer());
    if (body.byteLength > MAX_BODY_BYTES) throw new NagareError('API_PAYLOAD_TOO_LARGE', `A webhook payload may be at most ${MAX_BODY_BYTES} bytes`);
    const outcome = await services.externalRepositories.receiveWebhook(c.req.param('name'), c.req.raw.headers, body);
    return c.json({ repository: c.req.param('name'), ...outcome }, 202);
  });

  return app;
}
