/**
 * One retry on a connection reset: a request sent on a connection the server closes under it
 * (the keep-alive race) is sent once more on a new connection by the agent client (every agent
 * call, even a heartbeat made with `retry: false`) and by the CLI's client for idempotent
 * methods; a POST of the CLI is not repeated, and a second reset in a row is the caller's error.
 * The server is a real TCP socket that resets the first connections' requests.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { AgentClient } from '../../src/client/agent-client.js';
import { NagareClient } from '../../src/client/nagare-client.js';

interface ResettingServer {
  readonly url: string;
  readonly requests: () => number;
  close(): Promise<void>;
}

/** Answers `body` as JSON, after resetting the connection of the first `resets` requests. */
async function resettingServer(resets: number, body: unknown): Promise<ResettingServer> {
  let seen = 0;
  const server = net.createServer((socket) => {
    socket.once('data', () => {
      seen += 1;
      if (seen <= resets) {
        socket.resetAndDestroy();
        return;
      }
      const text = JSON.stringify(body);
      socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

void test('an agent heartbeat made with retry: false is sent once more after a connection reset', async () => {
  const server = await resettingServer(1, { stopRequested: false });
  try {
    const client = new AgentClient({ serverUrl: server.url });
    assert.deepEqual(await client.heartbeat('p:1', {}, { retry: false }), { stopRequested: false });
    assert.equal(server.requests(), 2);
  } finally {
    await server.close();
  }
});

void test('a second reset in a row is not retried again for a call made with retry: false', async () => {
  const server = await resettingServer(2, { stopRequested: false });
  try {
    const client = new AgentClient({ serverUrl: server.url });
    await assert.rejects(client.heartbeat('p:1', {}, { retry: false }), /could not be reached/);
    assert.equal(server.requests(), 2);
  } finally {
    await server.close();
  }
});

void test('the CLI client sends a GET once more after a connection reset', async () => {
  const server = await resettingServer(1, { projects: [] });
  try {
    const client = new NagareClient({ server: server.url, token: 'token' });
    assert.deepEqual(await client.listProjects(), { projects: [] });
    assert.equal(server.requests(), 2);
  } finally {
    await server.close();
  }
});

void test('the CLI client does not repeat a POST after a connection reset', async () => {
  const server = await resettingServer(1, { project: {} });
  try {
    const client = new NagareClient({ server: server.url, token: 'token' });
    await assert.rejects(client.createProject({ name: 'p' }), /Cannot reach the nagare server/);
    assert.equal(server.requests(), 1);
  } finally {
    await server.close();
  }
});
