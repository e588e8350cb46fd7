/**
 * The one interval runner (Concourse's atc/component): every periodic piece of server work is a
 * component registered here once. Each tick of a component takes the database lock named after it
 * (a PostgreSQL advisory lock; in-process on SQLite), so that with several servers on one database
 * one server at a time runs each piece; a server whose lock is taken skips that tick. A tick still
 * running when the next is due is not doubled. Runs are recorded (when, by which server; at most
 * every RECORD_RUN_EVERY_MS) and a paused component is skipped by every server; both are visible at
 * `GET /api/v1/components`.
 */
import type { ComponentRecord, Store } from '../core/store.js';
import { NagareError } from '../core/errors.js';
import type { Logger } from './logger.js';

export interface Component {
  /** Also the lock's name and the key of its record: stable, kebab-case. */
  readonly name: string;
  readonly intervalMs: number;
  /** One pass. `signal` aborts when the server stops; a rejection is logged, the next tick runs. */
  run(signal: AbortSignal): Promise<void>;
}

export interface IntervalRunnerContext {
  readonly store: Store;
  readonly logger: Logger;
  readonly clock: () => number;
}

interface Entry {
  readonly component: Component;
  timer: NodeJS.Timeout | undefined;
  running: Promise<boolean> | undefined;
  /** When this server last recorded a run of it. */
  recordedAt: number | undefined;
}

/**
 * A run is recorded at most this often per component and server: the record says which server runs
 * it and that it still does, and writing it on every tick (several a second while events flow) was
 * a measurable part of the server's CPU per build (bench/compare-server).
 */
export const RECORD_RUN_EVERY_MS = 10_000;

export class IntervalRunner {
  readonly #entries = new Map<string, Entry>();
  readonly #stopping = new AbortController();

  constructor(
    private readonly context: IntervalRunnerContext,
    /** Recorded as `lastRanBy` (host and process id). */
    private readonly serverName: string,
  ) {}

  register(component: Component): void {
    if (this.#entries.has(component.name)) throw new Error(`component ${component.name} is registered twice`);
    this.#entries.set(component.name, { component, timer: undefined, running: undefined, recordedAt: undefined });
  }

  start(): void {
    for (const entry of this.#entries.values()) {
      if (entry.timer) continue;
      entry.timer = setInterval(() => void this.#tick(entry), entry.component.intervalMs);
      entry.timer.unref();
    }
  }

  /** Stops the timers and waits for the runs under way (their signal aborted). */
  async stop(): Promise<void> {
    this.#stopping.abort();
    for (const entry of this.#entries.values()) clearInterval(entry.timer);
    await Promise.all([...this.#entries.values()].map((entry) => entry.running ?? Promise.resolve(false)));
  }

  /** Runs the component now, as a tick would: true when this server ran it (lock taken, not paused). */
  runNow(name: string): Promise<boolean> {
    return this.#tick(this.#entry(name));
  }

  /** Pauses (or resumes) a component on every server of this database. */
  async setPaused(name: string, paused: boolean): Promise<void> {
    this.#entry(name);
    await this.context.store.components.setPaused(name, paused);
  }

  #entry(name: string): Entry {
    const entry = this.#entries.get(name);
    if (!entry) throw new NagareError('API_NOT_FOUND', `There is no component ${name}; the components are ${this.names().join(', ')}`);
    return entry;
  }

  names(): string[] {
    return [...this.#entries.keys()].sort();
  }

  /** The registered components with what the database recorded of them. */
  async list(): Promise<ComponentRecord[]> {
    const recorded = new Map((await this.context.store.components.list()).map((record) => [record.name, record]));
    return this.names().map((name) => recorded.get(name) ?? { name, lastRanAt: undefined, lastRanBy: undefined, paused: false });
  }

  #tick(entry: Entry): Promise<boolean> {
    if (this.#stopping.signal.aborted) return Promise.resolve(false);
    entry.running ??= this.#runLocked(entry)
      .catch((error: unknown) => {
        this.context.logger.error({ err: error, component: entry.component.name }, 'a periodic component failed');
        return true;
      })
      .finally(() => {
        entry.running = undefined;
      });
    return entry.running;
  }

  async #runLocked(entry: Entry): Promise<boolean> {
    const { store, clock } = this.context;
    const { component } = entry;
    const result = await store.components.runExclusive(component.name, async () => {
      if ((await store.components.get(component.name))?.paused) return false;
      const now = clock();
      if (entry.recordedAt === undefined || now - entry.recordedAt >= RECORD_RUN_EVERY_MS || now < entry.recordedAt) {
        await store.components.recordRun(component.name, now, this.serverName);
        entry.recordedAt = now;
      }
      await component.run(this.#stopping.signal);
      return true;
    });
    return result.ran && result.value;
  }
}
