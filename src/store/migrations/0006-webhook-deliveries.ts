/**
 * Webhook deliveries seen: the provider's delivery id per repository, kept for a window so that a
 * replayed delivery (same id, same valid signature) is recognised after a restart too.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('repository_name', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_deliveries_pkey', ['repository_name', 'delivery_id'])
    .execute();
  await db.schema.createIndex('webhook_deliveries_received_at').on('webhook_deliveries').column('received_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute();
}
