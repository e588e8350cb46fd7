/**
 * Hosted git repositories and the push events they emit. The git data itself lives in the data
 * directory; these tables hold what the APIs list and what the pipeline driver catches up from.
 * `push_events.sequence` is the one dialect-specific column: an identity on PostgreSQL, the rowid
 * (AUTOINCREMENT, never reused) on SQLite.
 */
import { PostgresAdapter, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('repositories')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text')
    .addColumn('default_branch', 'text')
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('last_modified', 'bigint', (c) => c.notNull())
    .execute();

  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('push_events')
    .addColumn('sequence', postgres ? 'bigint' : 'integer', (c) => (postgres ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement()))
    .addColumn('repository_name', 'text', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('ref_type', 'text', (c) => c.notNull())
    .addColumn('old_commit', 'text')
    .addColumn('new_commit', 'text')
    .addColumn('changed_paths', 'text', (c) => c.notNull())
    .addColumn('pushed_at', 'bigint', (c) => c.notNull())
    .addColumn('pusher', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('push_events_by_repository').on('push_events').columns(['repository_name', 'sequence']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('push_events').execute();
  await db.schema.dropTable('repositories').execute();
}
