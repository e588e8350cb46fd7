/**
 * PostgreSQL for tests: the machine's server (127.0.0.1:5432, or NAGARE_TEST_DATABASE_URL), one
 * fresh schema per database a test asks for, all dropped when the test file ends.
 */
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';

export const POSTGRES_BASE_URL = process.env.NAGARE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why PostgreSQL cannot be used, or undefined when it can. */
export async function postgresMissing(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_BASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `no PostgreSQL at ${POSTGRES_BASE_URL} (${error instanceof Error ? error.message : String(error)}); start it or set NAGARE_TEST_DATABASE_URL`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const run = `nagare_test_${randomBytes(4).toString('hex')}`;
const created = new Set<string>();
// Registered when the test file imports this module: hooks added later, from inside a running
// test or hook, would attach to that test instead of the file.
after(dropSchemas);

/** A database URL whose connections use a new schema of their own. */
export async function freshPostgresUrl(name: string): Promise<string> {
  return (await freshPostgresSchema(name)).url;
}

/** A new schema (created on first use, dropped after the test file) and a URL that uses it. */
export async function freshPostgresSchema(name: string): Promise<{ url: string; schema: string }> {
  const schema = `${run}_${name}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (!created.has(schema)) {
    created.add(schema);
    await postgresAdmin((client) => client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`));
  }
  const url = new URL(POSTGRES_BASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), schema };
}

async function dropSchemas(): Promise<void> {
  if (created.size === 0) return;
  await postgresAdmin(async (client) => {
    for (const schema of created) {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch((error: unknown) => console.error(`could not drop ${schema}:`, error));
    }
  });
}

/** Runs `work` on a connection of its own to the base database. */
export async function postgresAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_BASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
