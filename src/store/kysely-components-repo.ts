/**
 * Components of the interval runner: their rows (last run, paused) and the lock one server holds
 * while it runs one. PostgreSQL: `pg_try_advisory_lock` on one pooled connection kept for the run
 * (the database frees it if that server dies); the key is the schema and the name, so schemas
 * sharing a database do not block each other. SQLite: a lock in this process, keyed by the file,
 * since a SQLite file has one server process.
 */
import { sql, type Kysely } from 'kysely';
import type { ComponentRecord, ComponentsRepo } from '../core/store.js';
import type { ComponentsTable, Database } from './schema.js';

/** The first key of our advisory locks (the second is per schema and component): "ngr" in ASCII. */
const LOCK_SPACE = 0x6e6772;

/** SQLite locks held in this process: `<file>\0<component>`. */
const heldInProcess = new Set<string>();

export class KyselyComponentsRepo implements ComponentsRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: 'sqlite' | 'postgres',
    private readonly target: string,
  ) {}

  async runExclusive<T>(name: string, work: () => Promise<T>): Promise<{ readonly ran: true; readonly value: T } | { readonly ran: false }> {
    if (this.dialect === 'sqlite') {
      const key = `${this.target}\0${name}`;
      if (heldInProcess.has(key)) return { ran: false };
      heldInProcess.add(key);
      try {
        return { ran: true, value: await work() };
      } finally {
        heldInProcess.delete(key);
      }
    }
    return this.db.connection().execute(async (connection) => {
      const key = sql`hashtext(current_schema() || '/' || ${name})`;
      const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(${LOCK_SPACE}, ${key}) AS locked`.execute(connection);
      if (rows[0]?.locked !== true) return { ran: false } as const;
      try {
        return { ran: true, value: await work() } as const;
      } finally {
        await sql`SELECT pg_advisory_unlock(${LOCK_SPACE}, ${key})`.execute(connection);
      }
    });
  }

  async list(): Promise<ComponentRecord[]> {
    const rows = await this.db.selectFrom('components').selectAll().orderBy('name').execute();
    return rows.map(toRecord);
  }

  async get(name: string): Promise<ComponentRecord | undefined> {
    const row = await this.db.selectFrom('components').selectAll().where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : toRecord(row);
  }

  async recordRun(name: string, at: number, by: string): Promise<void> {
    await this.db
      .insertInto('components')
      .values({ name, last_ran_at: at, last_ran_by: by, paused: 0 })
      .onConflict((oc) => oc.column('name').doUpdateSet({ last_ran_at: at, last_ran_by: by }))
      .execute();
  }

  async setPaused(name: string, paused: boolean): Promise<void> {
    await this.db
      .insertInto('components')
      .values({ name, last_ran_at: null, last_ran_by: null, paused: paused ? 1 : 0 })
      .onConflict((oc) => oc.column('name').doUpdateSet({ paused: paused ? 1 : 0 }))
      .execute();
  }
}

function toRecord(row: ComponentsTable): ComponentRecord {
  return {
    name: row.name,
    lastRanAt: row.last_ran_at === null ? undefined : Number(row.last_ran_at),
    lastRanBy: row.last_ran_by ?? undefined,
    paused: Number(row.paused) === 1,
  };
}
