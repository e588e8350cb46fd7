/**
 * The event log over HTTP (`/api/v1/events`), API token as the rest of /api/v1:
 * - `GET /api/v1/events?after=N&limit=L&type=<detail-type>&trace=<trace id>` — a page of events in order, with the
 *   cursor to pass as `after` next (`nextAfter`);
 * - `GET /api/v1/events/stream?after=N&type=…` — Server-Sent Events: `event: aws` with the
 *   envelope as `data` and the sequence as `id` (a reconnecting EventSource sends it back as
 *   `Last-Event-ID`); `after=latest` starts with what happens next.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { Services } from '../server/services.js';
import { bearerToken } from './request.js';

const listSchema = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  trace: z.string().regex(/^[0-9a-f]{32}$/, 'a trace id is 32 lowercase hexadecimal digits').optional(),
});
const streamSchema = z.object({ after: z.union([z.literal('latest'), z.coerce.number().int().min(0)]).optional() });

export function eventRoutes(services: Services): Hono {
  const app = new Hono();
  const { auth, events } = services;

  app.use('*', async (c, next) => {
    await auth.authenticate(bearerToken(c), ['API_TOKEN']);
    return next();
  });

  app.get('/', async (c) => {
    const { after, limit, trace } = listSchema.parse(c.req.query());
    const detailTypes = c.req.queries('type') ?? [];
    const page = await events.list({ after, limit, detailTypes, traceId: trace });
    return c.json({ events: page.map((e) => ({ sequence: e.sequence, event: e.event, ...(e.traceId ? { traceId: e.traceId } : {}) })), nextAfter: page.at(-1)?.sequence ?? after });
  });

  app.get('/stream', async (c) => {
    const query = streamSchema.parse(c.req.query());
    const detailTypes = c.req.queries('type') ?? [];
    const lastEventId = Number(c.req.header('last-event-id'));
    let after = query.after === 'latest' ? await events.lastSequence() : query.after ?? (Number.isSafeInteger(lastEventId) && lastEventId > 0 ? lastEventId : 0);
    return streamSSE(c, async (stream) => {
      let lastWrite = Date.now();
      while (!stream.aborted) {
        const page = await events.list({ after, limit: 500, detailTypes });
        for (const stored of page) {
          await stream.writeSSE({ event: 'aws', id: String(stored.sequence), data: JSON.stringify(stored.event) });
          after = stored.sequence;
          lastWrite = Date.now();
        }
        if (page.length === 500) continue;
        await events.waitForMore(1000);
        if (Date.now() - lastWrite > 15_000) {
          await stream.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
      }
    });
  });
  return app;
}
