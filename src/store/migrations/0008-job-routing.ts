/**
 * Issue 8, jobs for every kind of work: a job says which labels, fleet and target agent it needs;
 * an agent says which kinds it serves, its labels and its fleet; fleets are stored like projects
 * (the whole Fleet as JSON). Labels and kinds are JSON arrays of text, read by the claim queries
 * with json_each (SQLite) and jsonb containment (PostgreSQL).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('labels', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('jobs').addColumn('fleet', 'text').execute();
  await db.schema.alterTable('jobs').addColumn('target', 'text').execute();
  await db.schema.alterTable('agents').addColumn('fleet', 'text').execute();
  await db.schema.alterTable('agents').addColumn('labels', 'text', (c) => c.notNull().defaultTo('[]')).execute();
  await db.schema.alterTable('agents').addColumn('kinds', 'text', (c) => c.notNull().defaultTo('["build"]')).execute();
  await db.schema
    .createTable('fleets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('json', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('last_modified', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('fleets').execute();
  for (const column of ['fleet', 'labels', 'kinds']) await db.schema.alterTable('agents').dropColumn(column).execute();
  for (const column of ['labels', 'fleet', 'target']) await db.schema.alterTable('jobs').dropColumn(column).execute();
}
