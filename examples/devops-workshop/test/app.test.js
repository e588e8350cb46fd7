/* global fetch -- Node.js 18 and newer have it */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { handle, page } from '../src/app.js';

test('the page says what the workshop checks for', () => {
  assert.match(page('abc123'), /A Sample web application/);
  assert.match(page('abc123'), /Version: <code>abc123<\/code>/);
});

test('GET / answers 200 with the page, /health answers ok and other paths 404', async () => {
  const server = createServer((request, response) => handle(request, response, 'test'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const home = await fetch(`${base}/`);
    assert.equal(home.status, 200);
    assert.match(await home.text(), /A Sample web application/);
    assert.equal(await (await fetch(`${base}/health`)).text(), 'ok\n');
    assert.equal((await fetch(`${base}/missing`)).status, 404);
  } finally {
    server.close();
  }
});
