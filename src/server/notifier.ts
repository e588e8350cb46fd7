/**
 * In-process wake-ups: a new job for waiting agents, a new log chunk or a finished build for
 * followers. With several servers on one PostgreSQL the waiters also poll, so a missed
 * notification only delays, never loses, anything.
 */
import { EventEmitter } from 'node:events';

export type Topic = 'jobs' | `log:${string}` | `build:${string}`;

export class Notifier {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  notify(topic: Topic): void {
    this.emitter.emit(topic);
  }

  /** Resolves on the next notification of `topic`, after `timeoutMs`, or when `signal` aborts. */
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
}
