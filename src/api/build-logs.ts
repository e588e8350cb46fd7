/**
 * Build logs over HTTP: the whole log as text, or followed live as Server-Sent Events. A log is a
 * sequence of chunk blobs (`logs/<id>/<seq>`); followers read chunk by chunk, so memory stays
 * bounded however long the log, and a follower that joins late gets everything from the start.
 *
 * What a build should have is its count of chunks stored (`logNextSequence`), not its phase: a
 * build that has stored none (QUEUED, or running and silent so far, or stopped before it ran) has
 * an empty log; a build that stored n chunks must still have all n, and a missing one is
 * BUILD_LOG_MISSING (500), never an empty or silently shortened 200.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { NagareError } from '../core/errors.js';
import type { StoredBuild } from '../core/store.js';
import { logBlobKey } from '../server/builds/build-records.js';
import type { Services } from '../server/services.js';
import { streamOf } from './streams.js';

async function* chunks(services: Services, build: StoredBuild, from: number): AsyncGenerator<Uint8Array> {
  for (let sequence = from; sequence < build.logNextSequence; sequence += 1) {
    for await (const part of await services.context.blobs.read(logBlobKey(build.id, sequence))) yield part;
  }
}

/** BUILD_LOG_MISSING naming the first of the build's stored chunks that the blob store lacks. */
async function checkChunksPresent(services: Services, build: StoredBuild, from: number): Promise<void> {
  for (let sequence = from; sequence < build.logNextSequence; sequence += 1) {
    if ((await services.context.blobs.size(logBlobKey(build.id, sequence))) === undefined) throw logMissing(build, sequence);
  }
}

function logMissing(build: StoredBuild, sequence: number): NagareError {
  return new NagareError(
    'BUILD_LOG_MISSING',
    `The log of build ${build.id} is damaged: chunk ${sequence} of ${build.logNextSequence} was stored but is missing from the blob store (${logBlobKey(build.id, sequence)}); check the data directory's blobs`,
    { details: { buildId: build.id, chunk: sequence, chunks: build.logNextSequence } },
  );
}

/** The whole log as text; BUILD_LOG_MISSING before any byte is sent when a stored chunk is gone. */
export async function readLog(c: Context, services: Services, build: StoredBuild): Promise<Response> {
  await checkChunksPresent(services, build, 0);
  return c.body(streamOf(chunks(services, build, 0)), 200, { 'content-type': 'text/plain; charset=utf-8' });
}

/**
 * SSE: `event: log` with `data` lines of log text, then `event: end` with the final status.
 * A comment every 15 s keeps idle connections open through proxies. A stored chunk that is missing
 * ends the stream with `event: error` carrying BUILD_LOG_MISSING (the 200 is already sent).
 */
export function followLog(c: Context, services: Services, buildId: string): Response {
  const { notifier, store } = services.context;
  return streamSSE(c, async (stream) => {
    let next = 0;
    let lastWrite = Date.now();
    const decoder = new TextDecoder();
    for (;;) {
      const build = await store.builds.get(buildId);
      if (!build) return;
      for (let sequence = next; sequence < build.logNextSequence; sequence += 1) {
        if ((await services.context.blobs.size(logBlobKey(build.id, sequence))) === undefined) {
          await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: logMissing(build, sequence).toJSON() }) });
          return;
        }
        let text = '';
        for await (const part of await services.context.blobs.read(logBlobKey(build.id, sequence))) text += decoder.decode(part, { stream: true });
        await stream.writeSSE({ event: 'log', data: text, id: String(sequence) });
        lastWrite = Date.now();
      }
      next = build.logNextSequence;
      if (build.currentPhase === 'COMPLETED') {
        await stream.writeSSE({ event: 'end', data: JSON.stringify({ buildStatus: build.buildStatus }) });
        return;
      }
      if (stream.aborted) return;
      // A notification can slip in between the read above and this wait; the 1 s poll covers it.
      await Promise.race([notifier.wait(`log:${buildId}`, 1000), notifier.wait(`build:${buildId}`, 1000)]);
      if (Date.now() - lastWrite > 15_000) {
        await stream.write(': keep-alive\n\n');
        lastWrite = Date.now();
      }
    }
  });
}
