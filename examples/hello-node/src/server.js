import { createServer } from 'node:http';
import { greet } from './greet.js';

const port = Number(process.env.PORT ?? 8080);
createServer((req, res) => {
  const name = new URL(req.url ?? '/', 'http://localhost').searchParams.get('name');
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(greet(name) + '\n');
}).listen(port, () => console.log(`hello-node listening on ${port}`));
