/**
 * The log sink of an agent: ordered chunks of at most 1 MiB, numbered from 0; with a server that
 * cannot keep up, memory stays bounded (the backlog goes to a spool file) and nothing is dropped
 * unless the build is stopped;
 * a lost lease ends the upload.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/agent/agent-logger.js';
import { LogUploader, MAX_CHUNK_BYTES } from '../../src/agent/log-uploader.js';
import { AgentApiError, type AgentClient } from '../../src/client/agent-client.js';

/** A stand-in for the server's log endpoint: keeps chunks by sequence, refuses gaps like the server. */
function fakeServer(options: { delayMs?: number; leaseLostAt?: number; limitBytes?: number } = {}): { client: AgentClient; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  const client = {
    async appendLog(_buildId: string, sequence: number, chunk: Uint8Array): Promise<'appended' | 'duplicate'> {
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 0));
      if (options.leaseLostAt !== undefined && sequence >= options.leaseLostAt) throw new AgentApiError(409, 'AGENT_LEASE_EXPIRED', 'lease expired');
      if (sequence < chunks.length) return 'duplicate';
      if (options.limitBytes !== undefined && Buffer.concat(chunks).length + chunk.byteLength > options.limitBytes) throw new AgentApiError(413, 'AGENT_LOG_LIMIT', 'the log is full');
      if (sequence > chunks.length) throw new AgentApiError(409, 'AGENT_LOG_GAP', 'gap', { expected: chunks.length });
      chunks.push(Buffer.from(chunk));
      return 'appended';
    },
  } as unknown as AgentClient;
  return { client, chunks };
}

async function spoolFile(): Promise<string> {
  return path.join(await mkdtemp(path.join(os.tmpdir(), 'nagare-spool-')), 'log.spool');
}

test('a large write is sent in order as chunks of at most 1 MiB', async () => {
  const { client, chunks } = fakeServer();
  const uploader = new LogUploader({ client, buildId: 'p:1', spoolFile: await spoolFile(), logger: silentLogger, chunkBytes: 4 * MAX_CHUNK_BYTES });
  const text = Array.from({ length: 60_000 }, (_, i) => `line ${i}\n`).join('') + 'x'.repeat(2 * MAX_CHUNK_BYTES) + '\n';
  uploader.write(text);
  await uploader.drain();
  assert.ok(chunks.length >= 3);
  assert.ok(chunks.every((c) => c.length <= MAX_CHUNK_BYTES));
  assert.equal(Buffer.concat(chunks).toString(), text);
});

test('small writes are batched until the flush interval', async () => {
  const { client, chunks } = fakeServer();
  const uploader = new LogUploader({ client, buildId: 'p:1', spoolFile: await spoolFile(), logger: silentLogger, flushMs: 50 });
  for (let i = 0; i < 100; i += 1) uploader.write(`line ${i}\n`);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(chunks.length, 1);
  await uploader.drain();
  uploader.close();
});

test('with a slow server the backlog beyond the memory limit is spooled to disk and nothing is lost', async () => {
  const { client, chunks } = fakeServer({ delayMs: 5 });
  const spool = await spoolFile();
  const uploader = new LogUploader({ client, buildId: 'p:1', spoolFile: spool, logger: silentLogger, chunkBytes: 1024, maxQueuedBytes: 4096 });
  const lines = Array.from({ length: 5000 }, (_, i) => `output line ${i} ${'.'.repeat(i % 50)}\n`);
  for (const line of lines) uploader.write(line);
  assert.ok(existsSync(spool), 'the backlog went to the spool file');
  await uploader.drain();
  assert.equal(Buffer.concat(chunks).toString(), lines.join(''));
  uploader.close();
});

test('a lost lease ends the upload: later output is discarded and drain returns', async () => {
  const { client, chunks } = fakeServer({ leaseLostAt: 2 });
  const uploader = new LogUploader({ client, buildId: 'p:1', spoolFile: await spoolFile(), logger: silentLogger, chunkBytes: 16 });
  for (let i = 0; i < 20; i += 1) uploader.write(`line ${i} of the log\n`);
  await uploader.drain();
  assert.ok(uploader.leaseLost);
  assert.equal(chunks.length, 2);
  uploader.write('more\n');
  await uploader.drain();
  assert.equal(chunks.length, 2);
});

test('finding 11: a stop drops the unsent backlog but for its last lines; sequence numbers stay contiguous', async () => {
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const { client: server, chunks } = fakeServer();
  const client = { appendLog: async (...args: Parameters<AgentClient['appendLog']>) => (await held, server.appendLog(...args)) } as unknown as AgentClient;
  const spool = await spoolFile();
  const uploader = new LogUploader({ client, buildId: 'p:1', spoolFile: spool, logger: silentLogger, chunkBytes: 64 * 1024, maxQueuedBytes: 256 * 1024 });
  const lines = Array.from({ length: 200_000 }, (_, i) => `line ${i}\n`);
  for (const line of lines) uploader.write(line);
  assert.ok(existsSync(spool), 'the backlog was spooled');
  uploader.dropBacklog(1024);
  uploader.write('after the stop\n');
  release();
  await uploader.drain();
  const sent = Buffer.concat(chunks).toString();
  assert.ok(sent.length < 80 * 1024, `${sent.length} bytes sent of ${lines.join('').length}`);
  assert.ok(sent.startsWith('line 0\n'), 'the chunk in flight still went');
  assert.match(sent, /\[nagare\] \d+ bytes of log were not sent: the build was stopped\n(line \d+\n)+line 199999\nafter the stop\n$/);
  uploader.close();
});

test('finding 11: after the server refuses a chunk at its log limit, the last piece is not handed to complete (it would be a gap and fail the result)', async () => {
  const { client, chunks } = fakeServer({ limitBytes: 3 * 1024 });
  const uploader = new LogUploader({ client, buildId: 'p:1', spoolFile: await spoolFile(), logger: silentLogger, chunkBytes: 1024, flushMs: 10_000 });
  uploader.write('x'.repeat(8 * 1024));
  await uploader.drain();
  uploader.write('the last line\n');
  assert.equal(await uploader.finish(64 * 1024), undefined, 'no tail for complete to carry');
  assert.equal(Buffer.concat(chunks).length, 3 * 1024, 'the server kept what fitted');
  uploader.close();
});

test('without a refused chunk the last small piece is handed to complete with the next sequence number', async () => {
  const { client, chunks } = fakeServer();
  const uploader = new LogUploader({ client, buildId: 'p:1', spoolFile: await spoolFile(), logger: silentLogger, chunkBytes: 1024, flushMs: 10_000 });
  uploader.write('x'.repeat(2 * 1024));
  await uploader.drain();
  uploader.write('the last line\n');
  assert.deepEqual(await uploader.finish(64 * 1024), { sequence: chunks.length, data: Buffer.from('the last line\n') });
  uploader.close();
});
