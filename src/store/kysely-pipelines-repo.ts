/** Pipelines: one row per pipeline with its definition and its execution runtime (JSON). */
import type { Kysely } from 'kysely';
import type { PipelineDefinition } from '../core/pipeline.js';
import type { PipelinesRepo, StoredPipeline } from '../core/store.js';
import type { Database } from './schema.js';
import { conflictAs } from './store-errors.js';

export class KyselyPipelinesRepo implements PipelinesRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(definition: PipelineDefinition, runtime: unknown, at: number): Promise<void> {
    const insert = this.#db
      .insertInto('pipelines')
      .values({ name: definition.name, definition: JSON.stringify(definition), version: definition.version, created: at, updated: at, runtime: JSON.stringify(runtime), revision: 0 })
      .execute();
    await conflictAs(insert, `pipeline ${definition.name}`);
  }

  async get(name: string): Promise<StoredPipeline | undefined> {
    const row = await this.#db.selectFrom('pipelines').selectAll().where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : toStored(row);
  }

  async list(): Promise<StoredPipeline[]> {
    const rows = await this.#db.selectFrom('pipelines').selectAll().orderBy('name').execute();
    return rows.map(toStored);
  }

  async delete(name: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('pipelines').where('name', '=', name).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async save(name: string, change: { definition?: PipelineDefinition; runtime: unknown }, expectedRevision: number, at: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('pipelines')
      .set({
        runtime: JSON.stringify(change.runtime),
        revision: expectedRevision + 1,
        updated: at,
        ...(change.definition ? { definition: JSON.stringify(change.definition), version: change.definition.version } : {}),
      })
      .where('name', '=', name)
      .where('revision', '=', expectedRevision)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

function toStored(row: { name: string; definition: string; created: number; updated: number; runtime: string; revision: number }): StoredPipeline {
  return {
    definition: JSON.parse(row.definition) as PipelineDefinition,
    runtime: JSON.parse(row.runtime) as unknown,
    revision: Number(row.revision),
    created: Number(row.created),
    updated: Number(row.updated),
  };
}
