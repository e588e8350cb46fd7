/** Parameters and secrets: one table, keyed by (namespace, name), versioned from 1. */
import type { Kysely } from 'kysely';
import type { ParameterType, ParametersRepo, StoredParameter } from '../core/store.js';
import type { Database } from './schema.js';
import { conflictAs } from './store-errors.js';

type Namespace = 'parameter' | 'secret';

export class KyselyParametersRepo implements ParametersRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async put(namespace: Namespace, parameter: Omit<StoredParameter, 'version'>, overwrite: boolean): Promise<number> {
    const row = { namespace, name: parameter.name, type: parameter.type, value: parameter.value, version: 1, last_modified: parameter.lastModified };
    if (!overwrite) {
      await conflictAs(this.#db.insertInto('parameters').values(row).execute(), `${namespace} ${parameter.name}`);
      return 1;
    }
    // One statement, so two writers racing each get their own version number.
    const written = await this.#db
      .insertInto('parameters')
      .values(row)
      .onConflict((conflict) =>
        conflict.columns(['namespace', 'name']).doUpdateSet((eb) => ({
          type: eb.ref('excluded.type'),
          value: eb.ref('excluded.value'),
          last_modified: eb.ref('excluded.last_modified'),
          version: eb('parameters.version', '+', 1),
        })),
      )
      .returning('version')
      .executeTakeFirstOrThrow();
    return written.version;
  }

  async get(namespace: Namespace, name: string): Promise<StoredParameter | undefined> {
    const row = await this.#db.selectFrom('parameters').selectAll().where('namespace', '=', namespace).where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : { name: row.name, type: row.type as ParameterType, value: row.value, version: row.version, lastModified: row.last_modified };
  }

  /** Sorted by name; values left out. */
  async list(namespace: Namespace): Promise<Omit<StoredParameter, 'value'>[]> {
    const rows = await this.#db.selectFrom('parameters').select(['name', 'type', 'version', 'last_modified']).where('namespace', '=', namespace).orderBy('name').execute();
    return rows.map((row) => ({ name: row.name, type: row.type as ParameterType, version: row.version, lastModified: row.last_modified }));
  }

  async delete(namespace: Namespace, name: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('parameters').where('namespace', '=', namespace).where('name', '=', name).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
