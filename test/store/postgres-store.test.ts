/**
 * The store contract on PostgreSQL (127.0.0.1:5432, or NAGARE_TEST_DATABASE_URL). Each contract
 * database is a schema of its own, reached through `options=-c search_path=…` in the URL, and
 * every schema this run created is dropped at the end, so runs never see each other's rows.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it, test } from 'node:test';
import pg from 'pg';
import { openStore } from '../../src/store/open-store.js';
import { requirement } from '../support/requirements.js';
import { rejectsWith, sampleProject } from './fixtures.js';
import { runStoreContract } from './store-contract.js';

const BASE_URL = process.env.NAGARE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const RUN = `nagare_test_${randomBytes(4).toString('hex')}`;

async function missing(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: BASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `no PostgreSQL at ${BASE_URL} (${error instanceof Error ? error.message : String(error)}); start it or set NAGARE_TEST_DATABASE_URL`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const schemas = new Set<string>();

/** A URL whose connections use `schema`, created on first use. */
async function schemaUrl(database: string): Promise<string> {
  const schema = `${RUN}_${database}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (!schemas.has(schema)) {
    schemas.add(schema);
    await admin((client) => client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`));
  }
  const url = new URL(BASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const reason = requirement('PostgreSQL', await missing()) || undefined;
if (reason === undefined) {
  after(() => admin(async (client) => {
    // One at a time, and on past a failure, so one stuck schema does not leave the others behind.
    for (const schema of schemas) {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch((error: unknown) => console.error(`could not drop ${schema}:`, error));
    }
  }));

  runStoreContract('postgres', async (database) => openStore({ url: await schemaUrl(database) }));

  void describe('postgres store', () => {
    it('keeps its tables in the schema of the search path', async () => {
      const store = await openStore({ url: await schemaUrl('placement') });
      assert.equal(store.dialect, 'postgres');
      await store.projects.create(sampleProject('alpha'));
      await store.close();
      const tables = await admin((client) => client.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [`${RUN}_placement`]));
      assert.deepEqual(tables.rows.map((row) => row.table_name), ['access_keys', 'agents', 'builds', 'credentials', 'jobs', 'kysely_migration', 'kysely_migration_lock', 'parameters', 'projects']);
    });

    it('servers starting at once on one empty database migrate it once', async () => {
      const url = await schemaUrl('race');
      const stores = await Promise.all([openStore({ url }), openStore({ url }), openStore({ url })]);
      await Promise.all(stores.map((store) => store.close()));
      const applied = await admin((client) => client.query(`SELECT name FROM ${RUN}_race.kysely_migration`));
      assert.deepEqual(applied.rows.map((row: { name: string }) => row.name), ['0001-create-tables']);
    });

    it('an unreachable server is STORE_UNAVAILABLE, naming the URL without its password', async () => {
      await assert.rejects(openStore({ url: 'postgres://nagare:hunter2@127.0.0.1:1/nagare' }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'STORE_UNAVAILABLE');
        assert.match(error.message, /postgres:\/\/nagare:\*\*\*@127\.0\.0\.1:1\/nagare/);
        assert.doesNotMatch(error.message, /hunter2/);
        return true;
      });
    });

    it('a database that does not exist is STORE_UNAVAILABLE', async () => {
      const url = new URL(BASE_URL);
      url.pathname = `/${RUN}_no_such_database`;
      await rejectsWith(openStore({ url: url.toString() }), 'STORE_UNAVAILABLE');
    });
  });
} else {
  void test('postgres store contract', { skip: reason }, () => undefined);
}
