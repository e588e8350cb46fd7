/** Components: the interval runner's periodic work, when each last ran (and where), and whether it is paused. */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('components')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('last_ran_at', 'bigint')
    .addColumn('last_ran_by', 'text')
    .addColumn('paused', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('components').execute();
}
