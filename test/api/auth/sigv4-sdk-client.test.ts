/**
 * The requests a real CodeBuildClient sends (content-length, user-agent, amz-sdk-* headers and all)
 * are captured off a local socket and verified from their raw bytes, as the server will see them.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { BatchGetProjectsCommand, CodeBuildClient, ListProjectsCommand } from '@aws-sdk/client-codebuild';
import { isNagareError } from '../../../src/core/errors.js';
import { verifySigV4, type SigV4Request } from '../../../src/api/auth/sigv4.js';
import { ACCESS_KEY_ID, lookup, SECRET_ACCESS_KEY } from './sdk-signer.js';

async function toSigV4Request(message: IncomingMessage): Promise<SigV4Request> {
  const chunks: Buffer[] = [];
  for await (const chunk of message) chunks.push(chunk as Buffer);
  const url = message.url ?? '/';
  const questionMark = url.indexOf('?');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return {
    method: message.method ?? 'GET',
    path: questionMark === -1 ? url : url.slice(0, questionMark),
    query: questionMark === -1 ? '' : url.slice(questionMark + 1),
    headers,
    body: new Uint8Array(Buffer.concat(chunks)),
  };
}

/** Runs `calls` against a local server that records each request and answers `{}`. */
async function captureRequests(calls: (client: CodeBuildClient) => Promise<unknown>): Promise<SigV4Request[]> {
  const captured: SigV4Request[] = [];
  const server = createServer((message, response) => {
    toSigV4Request(message).then((request) => {
      captured.push(request);
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end('{}');
    }, (error: unknown) => response.destroy(error as Error));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new CodeBuildClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'eu-west-3',
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
    maxAttempts: 1,
  });
  try {
    await calls(client);
  } finally {
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return captured;
}

test('requests sent by a real CodeBuildClient verify from the captured raw request', async () => {
  const captured = await captureRequests(async (client) => {
    await client.send(new ListProjectsCommand({ sortBy: 'NAME' }));
    await client.send(new BatchGetProjectsCommand({ names: ['hello node', 'ünïcode/name'] }));
  });
  assert.equal(captured.length, 2);
  for (const request of captured) {
    assert.match(request.headers['x-amz-target'] ?? '', /^CodeBuild_20161006\./);
    assert.ok(request.headers['user-agent'], 'the SDK sends a user-agent, which it does not sign');
    assert.deepEqual(await verifySigV4(request, lookup, Date.now()), { accessKeyId: ACCESS_KEY_ID, region: 'eu-west-3', service: 'codebuild' });
  }
});

test('a captured SDK request replayed with another body is rejected', async () => {
  const [request] = await captureRequests((client) => client.send(new BatchGetProjectsCommand({ names: ['staging'] })));
  assert.ok(request);
  const body = new TextEncoder().encode(JSON.stringify({ names: ['production'] }));
  await assert.rejects(verifySigV4({ ...request, body }, lookup, Date.now()), (error: unknown) => isNagareError(error) && error.code === 'AUTH_INVALID_SIGNATURE');
});
