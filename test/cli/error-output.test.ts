/**
 * Finding 12 of issue 7: errors that were not nagare's own came out as raw stacks. The CLI says
 * them in one line with a code (the stack only with NAGARE_DEBUG=1), and the server logs an
 * unexpected error as one JSON record with the error as a field.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Hono } from 'hono';
import { errorResponse } from '../../src/api/http-errors.js';
import { createLogger } from '../../src/server/logger.js';
import { runCliFromSources } from '../support/cli-server.js';

const STACK_LINE = /^\s+at /m;

test('finding 12: nagare up given a data directory inside a file prints one line with a code, no stack', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nagare-error-output-'));
  const file = path.join(dir, 'a-file');
  await writeFile(file, 'not a directory\n');
  const run = await runCliFromSources(['up', '--data-dir', path.join(file, 'data'), '--port', '0']);
  assert.equal(run.status, 3);
  assert.doesNotMatch(run.stderr, STACK_LINE, run.stderr);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  assert.match(run.stderr, /^nagare: INTERNAL ENOTDIR/);
  assert.match(run.stderr, /NAGARE_DEBUG=1/);

  const debug = await runCliFromSources(['up', '--data-dir', path.join(file, 'data'), '--port', '0'], { NAGARE_DEBUG: '1' });
  assert.match(debug.stderr, STACK_LINE, 'NAGARE_DEBUG=1 shows the stack');
});

test('finding 12: the server logs an unexpected error as one JSON record with the error as a field', async () => {
  let written = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written += chunk.toString();
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination });
  const app = new Hono();
  app.onError((error, c) => errorResponse(c, error, logger));
  app.get('/boom', () => {
    throw new TypeError('something nagare did not expect');
  });
  const response = await app.request('/boom');
  assert.equal(response.status, 500);
  const body = await response.text();
  assert.doesNotMatch(body, /something nagare did not expect|\bat /, 'the caller sees no internals');

  const lines = written.trim().split('\n');
  assert.equal(lines.length, 1, written);
  const record = JSON.parse(lines[0] ?? '') as { level: number; msg: string; err: { type: string; message: string; stack: string } };
  assert.equal(record.level, 50);
  assert.equal(record.err.type, 'TypeError');
  assert.equal(record.err.message, 'something nagare did not expect');
  assert.match(record.err.stack, /at /, 'the stack is kept, inside the record');
});
