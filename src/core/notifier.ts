/**
 * The wake-up port: a new job for waiting agents, a new log chunk, a finished build or a changed deployment for
 * followers. In one process (SQLite) an event emitter; with several servers on one PostgreSQL,
 * LISTEN/NOTIFY carries each topic to every server. Waiters also poll, so a lost wake-up only
 * delays, never loses, anything.
 */
export type Topic = 'jobs' | 'events' | `log:${string}` | `build:${string}` | `deployment:${string}`;

export interface Notifier {
  /** Wakes the waiters of `topic` in this process at once and, where shared, on every other server. Never throws. */
  notify(topic: Topic): void;
  /** Resolves on the next notification of `topic`, after `timeoutMs`, or when `signal` aborts; never rejects. */
  wait(topic: Topic, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Stops listening for other servers (the in-process notifier has nothing to close). */
  close(): Promise<void>;
}

/** Whether a string received from another server is one of our topics (payloads are untrusted text). */
export function isTopic(value: string): value is Topic {
  return value === 'jobs' || value === 'events' || /^(log|build|deployment):./.test(value);
}
