/**
 * An agent's image map (`--image-map PATTERN=IMAGE`, issue 9), as it registered it: `nagare agent
 * list` and the dashboard show which images an agent swaps for others. Existing agents have none.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('agents').addColumn('image_map', 'text', (c) => c.notNull().defaultTo('[]')).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('agents').dropColumn('image_map').execute();
}
