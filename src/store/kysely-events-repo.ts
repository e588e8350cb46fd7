/**
 * The event log. `appendEvents` is shared with the writes that cause events, inside their
 * transaction. On PostgreSQL it first takes a transaction-scoped advisory lock: identity values
 * are handed out at insert but become visible at commit, so without it two writers could commit
 * sequences out of order and a reader past N would miss a later-committed N-1. SQLite has one
 * writer at a time already.
 */
import { PostgresAdapter, sql, type Kysely, type Transaction } from 'kysely';
import type { AwsEvent, StoredEvent, TracedEvent } from '../core/aws-event.js';
import type { EventsRepo } from '../core/store.js';
import { pageLimit } from './page-token.js';
import type { Database } from './schema.js';

/** The advisory lock's key: any fixed number no other lock of nagare uses. */
const EVENT_APPEND_LOCK = 1_200_011;

/** Rows per INSERT of events: well under SQLite's limit of bound parameters per statement (5 a row). */
const ROWS_PER_INSERT = 500;

/** Appends in the given transaction, in order; returns the events with their sequences. */
export async function appendEvents<DB>(transaction: Transaction<DB>, events: readonly TracedEvent[]): Promise<StoredEvent[]> {
  if (events.length === 0) return [];
  // Repositories see the database through their own table types; the events table is the same everywhere.
  const trx = transaction as unknown as Transaction<Pick<Database, 'events'>>;
  if (trx.getExecutor().adapter instanceof PostgresAdapter) await sql`select pg_advisory_xact_lock(${EVENT_APPEND_LOCK})`.execute(trx);
  // One statement per ROWS_PER_INSERT events (a change has a handful). Sequences are handed out in
  // the order of the rows; RETURNING promises no order, so they are sorted before being paired.
  const stored: StoredEvent[] = [];
  for (let start = 0; start < events.length; start += ROWS_PER_INSERT) {
    const slice = events.slice(start, start + ROWS_PER_INSERT);
    const rows = await trx
      .insertInto('events')
      .values(slice.map(({ traceId, ...event }) => ({ event_id: event.id, detail_type: event['detail-type'], time: event.time, envelope: JSON.stringify(event), trace_id: traceId ?? null })))
      .returning('sequence')
      .execute();
    const sequences = rows.map((row) => Number(row.sequence)).sort((a, b) => a - b);
    slice.forEach(({ traceId, ...event }, i) => stored.push({ sequence: sequences[i] ?? Number.NaN, event, traceId }));
  }
  return stored;
}


export class KyselyEventsRepo implements EventsRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  append(events: readonly TracedEvent[]): Promise<StoredEvent[]> {
    return this.#db.transaction().execute((trx) => appendEvents(trx, events));
  }

  async after(afterSequence: number, limit: number, filter: { readonly detailTypes?: readonly string[] | undefined; readonly traceId?: string | undefined } = {}): Promise<StoredEvent[]> {
    let query = this.#db.selectFrom('events').selectAll().where('sequence', '>', afterSequence).orderBy('sequence').limit(pageLimit(limit));
    if (filter.detailTypes !== undefined && filter.detailTypes.length > 0) query = query.where('detail_type', 'in', [...filter.detailTypes]);
    if (filter.traceId !== undefined) query = query.where('trace_id', '=', filter.traceId);
    return (await query.execute()).map(storedEventOf);
  }

  async lastSequence(): Promise<number> {
    const row = await this.#db.selectFrom('events').select((eb) => eb.fn.max('sequence').as('last')).executeTakeFirst();
    return row?.last === null || row?.last === undefined ? 0 : Number(row.last);
  }
}

export function storedEventOf(row: { readonly sequence: number; readonly envelope: string; readonly trace_id?: string | null }): StoredEvent {
  return { sequence: Number(row.sequence), event: parseEnvelope(row.envelope), ...(row.trace_id ? { traceId: row.trace_id } : {}) };
}

/** Stored envelopes were written by appendEvents; checked field by field rather than cast. */
function parseEnvelope(text: string): AwsEvent {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null) throw new Error('a stored event is not a JSON object');
  const v = value as Record<string, unknown>;
  const str = (key: string): string => {
    const field = v[key];
    if (typeof field !== 'string') throw new Error(`a stored event has no string ${key}`);
    return field;
  };
  const resources = Array.isArray(v.resources) ? v.resources.filter((r): r is string => typeof r === 'string') : [];
  const detail = typeof v.detail === 'object' && v.detail !== null && !Array.isArray(v.detail) ? (v.detail as Record<string, unknown>) : {};
  return { version: '0', id: str('id'), 'detail-type': str('detail-type'), source: str('source'), account: str('account'), time: str('time'), region: str('region'), resources, detail };
}
