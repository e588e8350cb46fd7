// The workshop's sample page ("A Sample web application"), with the version the build stamped.
import { readFileSync } from 'node:fs';

/** The build writes the commit it built into VERSION next to this file; a checkout has none. */
export function readVersion(directory) {
  try {
    return readFileSync(new URL('VERSION', directory), 'utf8').trim();
  } catch {
    return 'development';
  }
}

/** Answers GET / with the page and GET /health with `ok`; anything else is 404. */
export function handle(request, response, version) {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD' }).end();
  } else if (request.url === '/health') {
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  } else if (request.url === '/' || request.url === '/index.html') {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(version));
  } else {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  }
}

export function page(version) {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>DevOps WebApp</title></head>
<body>
<h1>A Sample web application</h1>
<p>Deployed by nagare: CodeCommit, CodeBuild, CodeDeploy and CodePipeline on your own hosts.</p>
<p>Version: <code>${version.replace(/[<>&"]/g, '')}</code></p>
</body>
</html>
`;
}
