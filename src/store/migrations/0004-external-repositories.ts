/**
 * External repositories: a hosted repository may mirror a git URL. The mirror's URL, its poll
 * interval and its webhook secret (sealed by the server's key) are three nullable columns of
 * `repositories`; a row without a URL is a hosted repository as before.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // One column per statement: SQLite adds a single column per ALTER TABLE.
  await db.schema.alterTable('repositories').addColumn('mirror_url', 'text').execute();
  await db.schema.alterTable('repositories').addColumn('mirror_poll_seconds', 'integer').execute();
  await db.schema.alterTable('repositories').addColumn('mirror_webhook_secret', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('repositories').dropColumn('mirror_webhook_secret').execute();
  await db.schema.alterTable('repositories').dropColumn('mirror_poll_seconds').execute();
  await db.schema.alterTable('repositories').dropColumn('mirror_url').execute();
}
