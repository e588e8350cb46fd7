/** Compute fleets: one row per fleet, the fleet itself as JSON, parsed on read. */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { NagareError } from '../core/errors.js';
import type { Fleet, FleetsRepo } from '../core/store.js';
import type { Database } from './schema.js';
import { conflictAs } from './store-errors.js';

const storedFleet = z.object({
  name: z.string(),
  id: z.string(),
  arn: z.string(),
  baseCapacity: z.number(),
  environmentType: z.string(),
  computeType: z.string(),
  overflowBehavior: z.enum(['QUEUE', 'ON_DEMAND']).optional(),
  tags: z.array(z.object({ key: z.string(), value: z.string() })),
  created: z.number(),
  lastModified: z.number(),
});

export class KyselyFleetsRepo implements FleetsRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(fleet: Fleet): Promise<void> {
    const insert = this.#db.insertInto('fleets').values({ name: fleet.name, json: JSON.stringify(fleet), created: fleet.created, last_modified: fleet.lastModified }).execute();
    await conflictAs(insert, `fleet ${fleet.name}`);
  }

  async update(fleet: Fleet): Promise<void> {
    const result = await this.#db.updateTable('fleets').set({ json: JSON.stringify(fleet), last_modified: fleet.lastModified }).where('name', '=', fleet.name).executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new NagareError('STORE_NOT_FOUND', `fleet ${fleet.name} does not exist`, { details: { fleet: fleet.name } });
  }

  async get(name: string): Promise<Fleet | undefined> {
    const row = await this.#db.selectFrom('fleets').select('json').where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : toFleet(row.json);
  }

  async list(): Promise<Fleet[]> {
    const rows = await this.#db.selectFrom('fleets').select('json').orderBy('name').execute();
    return rows.map((row) => toFleet(row.json));
  }

  async delete(name: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('fleets').where('name', '=', name).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function toFleet(json: string): Fleet {
  const parsed = storedFleet.parse(JSON.parse(json));
  return { ...parsed, overflowBehavior: parsed.overflowBehavior };
}
