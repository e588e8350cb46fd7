/**
 * The dashboard's session (`/api/v1/session`) and its live feed (`/api/v1/live`).
 *
 * - POST /session `{ token }`: signs in with an API token; answers the caller and the CSRF token and
 *   sets the session cookie (HttpOnly, SameSite=Strict, Path=/, Secure when served over TLS).
 * - GET /session: the caller and CSRF token of the cookie's session (a reloaded page asks again).
 * - DELETE /session: signs out (clears the cookie); a change like any other, so it needs the CSRF token.
 * - GET /live: Server-Sent Events naming what changed (ids and statuses only, never a build's
 *   environment or anything secret); pages fetch what they show again when told.
 */
import { Hono, type Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { NagareError } from '../core/errors.js';
import type { DomainEvent, DomainEventType } from '../server/events/event-bus.js';
import type { Services } from '../server/services.js';
import { SESSION_COOKIE, apiCaller, sessionOf } from './auth/session-auth.js';
import { readJson } from './request.js';

const signInSchema = z.object({ token: z.string().min(1).max(512) }).strict();
/** Events a page may care about; effects requests and the like stay inside the server. */
const FEED: readonly DomainEventType[] = ['BuildStateChanged', 'BuildBatchStateChanged', 'BuildPhaseChanged', 'PipelineExecutionChanged', 'StageChanged', 'ActionChanged', 'ApprovalNeeded', 'Pushed', 'DeploymentChanged'];
/** Events kept for a slow reader before it is told to fetch everything again. */
const MAX_QUEUED = 500;

/** What the feed says of an event: which thing changed and its new status, nothing more. */
export function feedView(event: DomainEvent): Record<string, unknown> {
  switch (event.type) {
    case 'BuildStateChanged':
      return { type: event.type, buildId: event.build.id, projectName: event.build.projectName, status: event.build.buildStatus };
    case 'BuildBatchStateChanged':
      return { type: event.type, batchId: event.batch.id, projectName: event.batch.projectName, status: event.batch.status };
    case 'BuildPhaseChanged':
      return { type: event.type, buildId: event.buildId, phase: event.currentPhase };
    case 'PipelineExecutionChanged':
      return { type: event.type, pipelineName: event.pipelineName, executionId: event.executionId, status: event.status };
    case 'StageChanged':
      return { type: event.type, pipelineName: event.pipelineName, executionId: event.executionId, stage: event.stage, status: event.status };
    case 'ActionChanged':
      return { type: event.type, pipelineName: event.pipelineName, executionId: event.executionId, stage: event.stage, action: event.action, status: event.status };
    case 'ApprovalNeeded':
      return { type: event.type, pipelineName: event.pipelineName };
    case 'Pushed':
      return { type: event.type, repositoryName: event.push.repositoryName };
    case 'DeploymentChanged':
      return { type: event.type, deploymentId: event.deployment.deploymentId, applicationName: event.deployment.applicationName, deploymentGroupName: event.deployment.deploymentGroupName, status: event.deployment.rollout.status };
    case 'PipelineEffectsRequested':
      return { type: event.type, pipelineName: event.pipelineName };
  }
}

function isTls(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

export function sessionRoutes(services: Services): Hono {
  const app = new Hono();
  const jsonLimit = { maxBytes: 4096, what: 'A sign-in request' };

  app.post('/session', async (c) => {
    const { token } = signInSchema.parse(await readJson(c, jsonLimit));
    const session = await services.sessions.signIn(token);
    setCookie(c, SESSION_COOKIE, session.cookie, { httpOnly: true, sameSite: 'Strict', secure: isTls(c), path: '/', expires: new Date(session.expiresAt) });
    return c.json({ caller: session.caller.name, csrfToken: session.csrfToken, expiresAt: new Date(session.expiresAt).toISOString() });
  });
  app.get('/session', async (c) => {
    const session = await sessionOf(c, services);
    if (!session) throw new NagareError('AUTH_MISSING', 'No session: sign in with an API token');
    c.header('cache-control', 'no-store');
    return c.json({ caller: session.caller.name, csrfToken: session.csrfToken, expiresAt: new Date(session.expiresAt).toISOString() });
  });
  app.delete('/session', async (c) => {
    await apiCaller(c, services);
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isTls(c) });
    return c.body(null, 204);
  });

  app.get('/live', async (c) => {
    await apiCaller(c, services);
    return streamSSE(c, async (stream) => {
      const queue: Record<string, unknown>[] = [];
      let wake: (() => void) | undefined;
      const push = (view: Record<string, unknown>): void => {
        if (queue.length >= MAX_QUEUED) queue.splice(0, queue.length, { type: 'Resync' });
        else queue.push(view);
        wake?.();
      };
      const unsubscribes = FEED.map((type) => services.context.events.subscribe(type, (event) => push(feedView(event))));
      stream.onAbort(() => wake?.());
      try {
        await stream.writeSSE({ event: 'ready', data: '{}' });
        while (!stream.aborted) {
          const next = queue.shift();
          if (next) {
            await stream.writeSSE({ event: 'change', data: JSON.stringify(next) });
            continue;
          }
          // A comment every 15 s keeps idle connections open through proxies.
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 15_000);
            wake = () => { clearTimeout(timer); resolve(); };
          });
          wake = undefined;
          if (queue.length === 0 && !stream.aborted) await stream.write(': keep-alive\n\n');
        }
      } finally {
        for (const unsubscribe of unsubscribes) unsubscribe();
      }
    });
  });
  return app;
}
