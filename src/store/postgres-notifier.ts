/**
 * Wake-ups across servers on one PostgreSQL (graphile-worker's way): one dedicated connection
 * LISTENs on a channel named after the schema (so that databases shared by several schemas, as in
 * the tests, do not wake each other) and sends NOTIFY with the topic as payload. A topic is
 * delivered at once to this process's waiters through `local`, and to the others by PostgreSQL
 * (the topics of one turn of the event loop in one statement);
 * our own echoes are skipped by backend pid. The connection reconnects after a loss; meanwhile
 * wake-ups stay local and the waiters' polls carry the rest.
 */
import pg from 'pg';
import { isTopic, type Notifier, type Topic } from '../core/notifier.js';

const RECONNECT_MS = 1000;

export interface PostgresNotifierOptions {
  readonly url: string;
  /** This process's own waiters (the in-process notifier). */
  readonly local: Notifier;
  /** Told when the connection fails (it is retried); never thrown. */
  readonly onError?: (error: unknown) => void;
}

export class PostgresNotifier implements Notifier {
  readonly #options: PostgresNotifierOptions;
  #client: pg.Client | undefined;
  #channel = '';
  #backendPid = -1;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;
  /** Topics to send at the end of this turn of the event loop. */
  readonly #pending = new Set<Topic>();

  private constructor(options: PostgresNotifierOptions) {
    this.#options = options;
  }

  /** Resolves once listening; rejects when the database cannot be reached at all. */
  static async open(options: PostgresNotifierOptions): Promise<PostgresNotifier> {
    const notifier = new PostgresNotifier(options);
    await notifier.#connect();
    return notifier;
  }

  notify(topic: Topic): void {
    this.#options.local.notify(topic);
    if (!this.#client) return;
    // The topics of one turn of the event loop go in one statement, each once: a change wakes
    // several topics at once (a build's, its log's, the event log's), a round trip each was
    // measurable per build (bench/compare-server).
    if (this.#pending.size === 0) setImmediate(() => this.#flush());
    this.#pending.add(topic);
  }

  #flush(): void {
    const topics = [...this.#pending];
    this.#pending.clear();
    const client = this.#client;
    if (!client || topics.length === 0) return;
    client.query('SELECT pg_notify($1, topic) FROM unnest($2::text[]) AS topic', [this.#channel, topics]).catch((error: unknown) => this.#options.onError?.(error));
  }

  wait(topic: Topic, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.#options.local.wait(topic, timeoutMs, signal);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#options.url, connectionTimeoutMillis: 10_000 });
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, undefined));
    client.on('notification', (message) => {
      if (message.processId === this.#backendPid || message.channel !== this.#channel) return;
      const topic = message.payload ?? '';
      if (isTopic(topic)) this.#options.local.notify(topic);
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ schema: string | null; pid: number }>('SELECT current_schema() AS schema, pg_backend_pid() AS pid');
      this.#channel = `nagare_wakeups_${rows[0]?.schema ?? 'public'}`;
      this.#backendPid = rows[0]?.pid ?? -1;
      await client.query(`LISTEN ${client.escapeIdentifier(this.#channel)}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
  }

  #lost(client: pg.Client, error: unknown): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    if (error !== undefined) this.#options.onError?.(error);
    client.end().catch(() => undefined);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed) return;
    this.#retry = setTimeout(() => {
      this.#connect().catch((error: unknown) => {
        this.#options.onError?.(error);
        this.#scheduleReconnect();
      });
    }, RECONNECT_MS);
    this.#retry.unref();
  }
}
