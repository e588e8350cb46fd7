/** Cursors: one row per named reader, its position as a number. */
import type { Kysely } from 'kysely';
import type { CursorsRepo } from '../core/store.js';
import type { Database } from './schema.js';

export class KyselyCursorsRepo implements CursorsRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async get(name: string): Promise<number | undefined> {
    const row = await this.#db.selectFrom('cursors').select('value').where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : Number(row.value);
  }

  /** Moves the cursor forward only: a slower writer never moves it back. */
  async advance(name: string, value: number): Promise<void> {
    await this.#db
      .insertInto('cursors')
      .values({ name, value })
      .onConflict((oc) => oc.column('name').doUpdateSet({ value }).where('cursors.value', '<', value))
      .execute();
  }
}
