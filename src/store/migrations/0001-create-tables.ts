/**
 * The first schema: every table and the indexes its queries use. Types are chosen to mean the
 * same on SQLite and PostgreSQL (text, integer, bigint), so the DDL is written once.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('projects')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('json', 'text', (c) => c.notNull())
    .addColumn('build_counter', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('last_modified', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('builds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_name', 'text', (c) => c.notNull())
    .addColumn('build_number', 'integer', (c) => c.notNull())
    .addColumn('build_status', 'text', (c) => c.notNull())
    .addColumn('current_phase', 'text', (c) => c.notNull())
    .addColumn('start_time', 'bigint', (c) => c.notNull())
    .addColumn('end_time', 'bigint')
    .addColumn('stop_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('log_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('log_next_sequence', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('record', 'text', (c) => c.notNull())
    .execute();
  // ListBuilds (newest first, keyset on start_time, id) and ListBuildsForProject.
  await db.schema.createIndex('builds_by_start').on('builds').columns(['start_time', 'id']).execute();
  await db.schema.createIndex('builds_by_project_start').on('builds').columns(['project_name', 'start_time', 'id']).execute();
  await db.schema.createIndex('builds_by_status').on('builds').column('build_status').execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('project_name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('queued_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('payload', 'text', (c) => c.notNull())
    .execute();
  // The claim query (oldest QUEUED first), queuedBefore, and expired (LEASED by lease end).
  await db.schema.createIndex('jobs_by_state_queued').on('jobs').columns(['state', 'queued_at', 'id']).execute();
  await db.schema.createIndex('jobs_by_state_lease').on('jobs').columns(['state', 'lease_expires_at']).execute();

  await db.schema
    .createTable('agents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('registered_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('credentials_by_kind').on('credentials').column('kind').execute();

  await db.schema
    .createTable('access_keys')
    .addColumn('access_key_id', 'text', (c) => c.primaryKey())
    .addColumn('encrypted_secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('parameters')
    .addColumn('namespace', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('last_modified', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('parameters_pk', ['namespace', 'name'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['parameters', 'access_keys', 'credentials', 'agents', 'jobs', 'builds', 'projects']) {
    await db.schema.dropTable(table).execute();
  }
}
