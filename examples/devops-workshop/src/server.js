// Serves the app on $WEBAPP_PORT (default 8080), as the workshop's Tomcat serves the war.
import { createServer } from 'node:http';
import { handle, readVersion } from './app.js';

const port = Number(process.env.WEBAPP_PORT ?? 8080);
const version = readVersion(new URL('./', import.meta.url));
const server = createServer((request, response) => handle(request, response, version));
server.listen(port, () => console.log(`devops-webapp ${version} listening on port ${port}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
