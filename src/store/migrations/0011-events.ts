/**
 * The event log, notification rules and their delivery outbox, and EventBridge-style rules (issue 12).
 *
 * `events.sequence` is the readers' cursor (an identity on PostgreSQL, AUTOINCREMENT on SQLite, as
 * push_events). `notification_deliveries` is the outbox: one row per (rule, target, event),
 * written in the same transaction that moves the matcher's cursor past the event, and updated by
 * each attempt, so a server killed mid-delivery finds the row still PENDING after its restart.
 */
import { PostgresAdapter, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('events')
    .addColumn('sequence', postgres ? 'bigint' : 'integer', (c) => (postgres ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement()))
    .addColumn('event_id', 'text', (c) => c.notNull().unique())
    .addColumn('detail_type', 'text', (c) => c.notNull())
    .addColumn('time', 'text', (c) => c.notNull())
    .addColumn('envelope', 'text', (c) => c.notNull())
    .addColumn('trace_id', 'text')
    .execute();
  await db.schema.createIndex('events_by_detail_type').on('events').columns(['detail_type', 'sequence']).execute();
  await db.schema.createIndex('events_by_trace').on('events').columns(['trace_id', 'sequence']).execute();

  await db.schema
    .createTable('notification_rules')
    .addColumn('arn', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('json', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('last_modified', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('notification_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('rule_arn', 'text', (c) => c.notNull())
    .addColumn('target_address', 'text', (c) => c.notNull())
    .addColumn('event_sequence', 'bigint', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('notification_deliveries_once', ['rule_arn', 'target_address', 'event_sequence'])
    .execute();
  await db.schema
    .createTable('event_rules')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('json', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('last_modified', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notification_deliveries_by_rule').on('notification_deliveries').columns(['rule_arn', 'state', 'event_sequence']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('event_rules').execute();
  await db.schema.dropTable('notification_deliveries').execute();
  await db.schema.dropTable('notification_rules').execute();
  await db.schema.dropTable('events').execute();
}
