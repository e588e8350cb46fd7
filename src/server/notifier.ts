/**
 * In-process wake-ups (the Notifier port of core/notifier.ts): the whole story with SQLite, and the
 * local fan-out under the PostgreSQL notifier, which feeds it what other servers announce.
 */
import { EventEmitter } from 'node:events';
import type { Notifier, Topic } from '../core/notifier.js';

export type { Topic } from '../core/notifier.js';

export class InProcessNotifier implements Notifier {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  notify(topic: Topic): void {
    this.emitter.emit(topic);
  }

  wait(topic: Topic, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.emitter.off(topic, done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.emitter.once(topic, done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
