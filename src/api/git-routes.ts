/**
 * git's smart HTTP at `/git/<name>.git/…`, for the ordinary git client. Every request needs an
 * API token as the HTTP Basic password (any user name); without one, or with a wrong one, the
 * answer is 401 with `WWW-Authenticate: Basic realm="nagare"` so that git asks its credential
 * helpers or the user. Errors are plain text, which git shows as it is.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import { isNagareError } from '../core/errors.js';
import type { Services } from '../server/services.js';
import { httpStatusOf } from './http-errors.js';
import { bearerToken, cappedBody, payloadTooLarge, refuseDeclaredLength, type BodyLimit } from './request.js';

const REPOSITORY_PATH = /^\/git\/([^/]+)\.git\/(.*)$/;

export function gitRoutes(services: Services): Hono {
  const app = new Hono();
  const { auth, repositories, context } = services;

  app.all('/*', async (c) => {
    try {
      const caller = await auth.authenticate(bearerToken(c), ['API_TOKEN']);
      const url = new URL(c.req.url);
      const match = REPOSITORY_PATH.exec(url.pathname);
      if (!match) return plain(c, 404, 'Not a repository URL: use /git/<name>.git');
      const limit: BodyLimit = { maxBytes: context.settings.bodyLimits.gitPushBytes, what: 'A git request body (a push)' };
      refuseDeclaredLength(c, limit);
      // Past the cap the stream fails, git http-backend is killed (its quarantined objects never
      // land) and the answer is 413 rather than git's own failure.
      let refused = false;
      const body = c.req.raw.body && ReadableStream.from((async function* capped() {
        try {
          yield* cappedBody(c.req.raw.body, limit);
        } catch (error) {
          refused = true;
          throw error;
        }
      })());
      const response = await repositories.serveGit({
        repositoryName: match[1] ?? '',
        path: match[2] ?? '',
        method: c.req.method,
        query: url.search.slice(1),
        headers: c.req.raw.headers,
        body,
        signal: c.req.raw.signal,
        caller: caller.name,
      });
      if (refused) throw payloadTooLarge(limit);
      return response;
    } catch (error) {
      if (!isNagareError(error)) {
        context.logger.error({ err: error, path: c.req.path }, 'unexpected error in git smart HTTP');
        return plain(c, 500, 'nagare failed to handle this request; the server log has the details');
      }
      if (error.code === 'REPO_GIT_FAILED') context.logger.error({ err: error, path: c.req.path }, 'git failed');
      const status = httpStatusOf(error.code);
      if (status === 401) c.header('WWW-Authenticate', 'Basic realm="nagare", charset="UTF-8"');
      return plain(c, status, `${error.code} ${error.message}`);
    }
  });

  return app;
}

function plain(c: Context, status: ReturnType<typeof httpStatusOf>, message: string): Response {
  return c.text(`${message}\n`, status);
}
