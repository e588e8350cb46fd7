/**
 * Build batches (StartBuildBatch): one row per batch, its state as JSON, the status and project
 * indexed for the list operations; the per-project batch counter lives beside the build counter
 * (buildBatchNumber starts at 1 and is never reused after a delete).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('build_batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_name', 'text', (c) => c.notNull())
    .addColumn('batch_number', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('start_time', 'bigint', (c) => c.notNull())
    .addColumn('end_time', 'bigint')
    .addColumn('revision', 'bigint', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('build_batches_project').on('build_batches').columns(['project_name', 'start_time']).execute();
  await db.schema.createIndex('build_batches_status').on('build_batches').columns(['status']).execute();
  await db.schema.alterTable('projects').addColumn('batch_counter', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('projects').dropColumn('batch_counter').execute();
  await db.schema.dropTable('build_batches').execute();
}
