/**
 * Issue 11, the dashboard's lists without whole-table reads. Builds get their initiator as a column
 * (it was only inside the JSON record), copied from the record of every existing build, so that
 * `GET /api/v1/builds?status=&initiator=` pages through an index, newest first, as the unfiltered
 * list does: one index per filter, ordered as the list is. The status index replaces the one on the
 * status alone (its prefix). Deployments get an index on their creation time, by which the list
 * without an application is ordered, and their status index is ordered the same way.
 */
import { PostgresAdapter, sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema.alterTable('builds').addColumn('initiator', 'text').execute();
  // A record is `{ schemaVersion, value }`, or (version 0, before the envelope) the bare value.
  if (postgres) {
    await sql`update builds set initiator = coalesce(record::jsonb #>> '{value,job,initiator}', record::jsonb #>> '{job,initiator}')`.execute(db);
  } else {
    await sql`update builds set initiator = coalesce(json_extract(record, '$.value.job.initiator'), json_extract(record, '$.job.initiator'))`.execute(db);
  }
  await db.schema.dropIndex('builds_by_status').execute();
  await db.schema.createIndex('builds_by_status_start').on('builds').columns(['build_status', 'start_time', 'id']).execute();
  await db.schema.createIndex('builds_by_initiator_start').on('builds').columns(['initiator', 'start_time', 'id']).execute();

  await db.schema.dropIndex('deployments_by_status').execute();
  await db.schema.createIndex('deployments_by_status_create').on('deployments').columns(['status', 'create_time', 'id']).execute();
  await db.schema.createIndex('deployments_by_create').on('deployments').columns(['create_time', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('deployments_by_create').execute();
  await db.schema.dropIndex('deployments_by_status_create').execute();
  await db.schema.createIndex('deployments_by_status').on('deployments').columns(['status']).execute();
  await db.schema.dropIndex('builds_by_initiator_start').execute();
  await db.schema.dropIndex('builds_by_status_start').execute();
  await db.schema.createIndex('builds_by_status').on('builds').column('build_status').execute();
  await db.schema.alterTable('builds').dropColumn('initiator').execute();
}
