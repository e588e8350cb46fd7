/**
 * The Engine API client's own rules (the calls themselves run against a real engine in the
 * executor contract suite and the pull tests): which names are image references, how a pull names
 * its image and tag, and what a stand-in engine shows of the HTTP handling.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { test } from 'node:test';
import { DockerEngine, DockerEngineError, isImageReference, pullQuery } from '../../src/executors/docker-engine.js';

void test('image references: a name, a registry with a port, a tag and a digest are accepted as Docker accepts them', () => {
  for (const image of ['busybox', 'nagare/base:latest', 'aws/codebuild/standard:7.0', '127.0.0.1:5000/team/app:v1', 'localhost:5000/app',
    'public.ecr.aws/codebuild/amazonlinux2-x86_64-standard:5.0', `ubuntu@sha256:${'a'.repeat(64)}`, 'my_org/app-name.v2:1.0-rc_1']) {
    assert.equal(isImageReference(image), true, image);
  }
});

void test('image references: upper case paths, path traversal, query and fragment characters, spaces and empty names are refused', () => {
  for (const image of ['Nagare/Base', '../x', 'x/../y', 'x?y', 'x#y', 'x y', '', 'x:', 'x:-tag', `x:${'t'.repeat(129)}`, 'x@sha256:short', `${'a/'.repeat(300)}a`]) {
    assert.equal(isImageReference(image), false, image);
  }
});

void test('a pull names the tag after the last colon that follows the last slash, latest when none, and keeps a digest in the name', () => {
  assert.deepEqual(pullQuery('busybox'), { fromImage: 'busybox', tag: 'latest' });
  assert.deepEqual(pullQuery('nagare/base:test'), { fromImage: 'nagare/base', tag: 'test' });
  assert.deepEqual(pullQuery('127.0.0.1:5000/team/app'), { fromImage: '127.0.0.1:5000/team/app', tag: 'latest' });
  assert.deepEqual(pullQuery('127.0.0.1:5000/team/app:v1'), { fromImage: '127.0.0.1:5000/team/app', tag: 'v1' });
  const digest = `ubuntu@sha256:${'a'.repeat(64)}`;
  assert.deepEqual(pullQuery(digest), { fromImage: digest });
});

/**
 * A stand-in engine on a Unix socket, for what a real engine cannot be made to do on demand:
 * refuse a stream, answer late, send bytes right behind its 101.
 */
async function fakeEngine(handle: (request: http.IncomingMessage, response: http.ServerResponse) => void, upgrade?: (request: http.IncomingMessage, socket: Duplex) => void): Promise<{ socketPath: string; close: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nagare-fake-engine-'));
  const socketPath = path.join(dir, 'docker.sock');
  const server = http.createServer(handle);
  const sockets = new Set<Duplex>();
  server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });
  if (upgrade) server.on('upgrade', (request: http.IncomingMessage, socket: Duplex) => upgrade(request, socket));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

void test('an engine error is a DockerEngineError with the status and the engine\'s message; no engine is a status of undefined', async () => {
  const engine = await fakeEngine((_request, response) => {
    response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'No such image: nagare/none:1' }));
  });
  try {
    await assert.rejects(new DockerEngine(engine.socketPath).inspectImage('nagare/none:1'), (error: unknown) => error instanceof DockerEngineError && error.statusCode === 404 && error.message.includes('No such image: nagare/none:1'));
  } finally {
    await engine.close();
  }
  await assert.rejects(new DockerEngine('/nonexistent/docker.sock').ping(), (error: unknown) => error instanceof DockerEngineError && error.statusCode === undefined);
});

void test('a pull sends the credential as padded URL-safe base64 JSON, passes progress on, and fails with the engine\'s error line', async () => {
  let header = '';
  let query = '';
  const engine = await fakeEngine((request, response) => {
    header = String(request.headers['x-registry-auth'] ?? '');
    query = request.url ?? '';
    response.writeHead(200, { 'content-type': 'application/json' });
    // A line cut inside a multi-byte character, across two writes.
    const line = Buffer.from(`${JSON.stringify({ status: 'Pulling fs layer — ü', id: 'abc' })}\n`);
    response.write(line.subarray(0, line.indexOf(0xc3) + 1));
    setTimeout(() => {
      response.write(line.subarray(line.indexOf(0xc3) + 1));
      response.end(`${JSON.stringify({ errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' })}\n`);
    }, 20);
  });
  try {
    const events: string[] = [];
    const auth = { username: 'builder', password: 'p?ss>w', serveraddress: '127.0.0.1:5000' };
    await assert.rejects(new DockerEngine(engine.socketPath).pull('127.0.0.1:5000/team/app:v1', auth, (event) => events.push(`${event.id}: ${event.status}`)), /manifest unknown/);
    assert.deepEqual(events, ['abc: Pulling fs layer — ü']);
    assert.equal(header.length % 4, 0, 'padded');
    assert.doesNotMatch(header, /[+/]/, 'URL-safe alphabet');
    assert.deepEqual(JSON.parse(Buffer.from(header, 'base64url').toString('utf8')), auth);
    assert.equal(query, `/images/create?fromImage=${encodeURIComponent('127.0.0.1:5000/team/app')}&tag=v1`);
  } finally {
    await engine.close();
  }
});

void test('a hijacked stream carries the bytes the engine sent right behind its 101; a stream refused with a plain answer rejects and leaves nothing open', async () => {
  const engine = await fakeEngine(() => undefined, (request, socket) => {
    if (request.url?.includes('refuse')) {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nstream that never ends');
      return;
    }
    socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nfirst bytes|');
    socket.on('data', (chunk: Buffer) => socket.end(`echo:${chunk.toString()}`));
  });
  try {
    const docker = new DockerEngine(engine.socketPath, 2_000);
    const stream = await docker.startExec('abc');
    const received: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => received.push(chunk));
    stream.write('hello');
    await new Promise((resolve) => stream.on('close', resolve));
    assert.equal(Buffer.concat(received).toString(), 'first bytes|echo:hello');
    const before = process.getActiveResourcesInfo().length;
    await assert.rejects(docker.startExec('refuse/x'), (error: unknown) => error instanceof DockerEngineError && error.statusCode === 200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(process.getActiveResourcesInfo().length <= before, 'the refused stream\'s socket is closed');
  } finally {
    await engine.close();
  }
});

void test('waiting for a container that does not stop gives up after its time, with no request left open', async () => {
  const engine = await fakeEngine((request, response) => {
    if (request.url?.includes('gone')) response.writeHead(404).end('{"message":"No such container"}');
    else response.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
  });
  try {
    const docker = new DockerEngine(engine.socketPath);
    await docker.waitStopped('gone/x', 1_000);
    const before = process.getActiveResourcesInfo().length;
    await assert.rejects(docker.waitStopped('running', 300));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(process.getActiveResourcesInfo().length <= before);
  } finally {
    await engine.close();
  }
});
