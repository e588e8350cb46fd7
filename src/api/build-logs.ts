/**
 * Build logs over HTTP: the whole log as text, or followed live as Server-Sent Events. A log is a
 * sequence of chunk blobs (`logs/<id>/<seq>`); followers read chunk by chunk, so memory stays
 * bounded however long the log, and a follower that joins late gets everything from the start.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { StoredBuild } from '../core/store.js';
import { logBlobKey } from '../server/build-records.js';
import type { Services } from '../server/services.js';
import { streamOf } from './streams.js';

async function* chunks(services: Services, build: StoredBuild, from: number): AsyncGenerator<Uint8Array> {
  for (let sequence = from; sequence < build.logNextSequence; sequence += 1) {
    for await (const part of await services.context.blobs.read(logBlobKey(build.id, sequence))) yield part;
  }
}

export function readLog(c: Context, services: Services, build: StoredBuild): Response {
  return c.body(streamOf(chunks(services, build, 0)), 200, { 'content-type': 'text/plain; charset=utf-8' });
}

/**
 * SSE: `event: log` with `data` lines of log text, then `event: end` with the final status.
 * A comment every 15 s keeps idle connections open through proxies.
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
