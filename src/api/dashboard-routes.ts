/**
 * The dashboard's static files (built by `npm run build` into dist/web): `index.html` at `/` and at
 * every page's deep link, and the hashed bundles under `/assets/`. All open: the files hold no
 * data; the page asks the native API for it with the session cookie.
 *
 * No request path is ever joined to a directory: the files are listed once at the first request
 * and served from that list by exact name, so `..`, encoded slashes and links lead nowhere.
 * Hashed assets are cached for a year (their name changes with their content); index.html is
 * revalidated every time, so a new version shows at the next load.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Hono, type Context } from 'hono';

/** The client-side routes of the dashboard: each answers index.html, the page then routes itself. */
export const DASHBOARD_PAGES = ['/sign-in', '/pipelines', '/pipelines/*', '/builds', '/builds/*', '/repositories', '/repositories/*', '/deployments', '/deployments/*', '/fleet'] as const;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface StaticFile {
  readonly body: Uint8Array;
  readonly contentType: string;
}

interface Files {
  readonly index: StaticFile | undefined;
  readonly assets: ReadonlyMap<string, StaticFile>;
}

async function loadFiles(dir: string | undefined): Promise<Files> {
  if (dir === undefined) return { index: undefined, assets: new Map() };
  const read = async (file: string): Promise<StaticFile | undefined> => {
    const type = CONTENT_TYPES[path.extname(file)] ?? (file.endsWith('.html') ? 'text/html; charset=utf-8' : undefined);
    return type === undefined ? undefined : { body: await readFile(file), contentType: type };
  };
  const index = await read(path.join(dir, 'index.html')).catch(() => undefined);
  const assets = new Map<string, StaticFile>();
  const entries = await readdir(path.join(dir, 'assets'), { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = await read(path.join(dir, 'assets', entry.name));
    if (file) assets.set(entry.name, file);
  }
  return { index, assets };
}

const NOT_BUILT = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>nagare</title></head><body><main><h1>The dashboard is not built</h1><p>Run <code>npm run build</code> and start the server again. The API answers at <code>/api/v1</code>.</p></main></body></html>';

/** `dir`: the built dashboard (dist/web); undefined or empty serves a page saying how to build it. */
export function dashboardRoutes(dir: string | undefined): Hono {
  const app = new Hono();
  let files: Promise<Files> | undefined;
  const loaded = (): Promise<Files> => (files ??= loadFiles(dir));

  const page = async (c: Context): Promise<Response> => {
    const { index } = await loaded();
    const headers = { ...SECURITY_HEADERS, 'cache-control': 'no-cache' };
    if (!index) return c.html(NOT_BUILT, 200, headers);
    return c.body(index.body as Uint8Array<ArrayBuffer>, 200, { ...headers, 'content-type': index.contentType });
  };
  app.get('/', page);
  for (const route of DASHBOARD_PAGES) app.get(route, page);
  app.get('/assets/:name', async (c) => {
    const file = (await loaded()).assets.get(c.req.param('name'));
    if (!file) return c.json({ error: { code: 'API_NOT_FOUND', message: `No dashboard file ${c.req.path}` } }, 404, { 'cache-control': 'no-store' });
    return c.body(file.body as Uint8Array<ArrayBuffer>, 200, { ...SECURITY_HEADERS, 'content-type': file.contentType, 'cache-control': 'public, max-age=31536000, immutable' });
  });
  return app;
}
