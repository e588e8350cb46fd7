/**
 * A deployment whose ending effects (the group's last deployments and target revision, the
 * instances' health, the automatic rollback) are saved but not yet carried out is marked, so that
 * the periodic sweep finds it among finished deployments without reading them all. Existing
 * deployments have none pending.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deployments').addColumn('effects_pending', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('deployments_by_effects_pending').on('deployments').columns(['effects_pending']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('deployments_by_effects_pending').execute();
  await db.schema.alterTable('deployments').dropColumn('effects_pending').execute();
}
