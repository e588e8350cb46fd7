/**
 * The store contract on PostgreSQL (127.0.0.1:5432, or NAGARE_TEST_DATABASE_URL). Each contract
 * database is a schema of its own, reached through `options=-c search_path=…` in the URL, and
 * every schema this run created is dropped at the end, so runs never see each other's rows.
 */
import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { openStore } from '../../src/store/open-store.js';
import { freshPostgresSchema, freshPostgresUrl, POSTGRES_BASE_URL, postgresAdmin, postgresMissing } from '../support/postgres.js';
import { requirement } from '../support/requirements.js';
import { rejectsWith, sampleProject } from './fixtures.js';
import { runStoreContract } from './store-contract.js';

const reason = requirement('PostgreSQL', await postgresMissing()) || undefined;
if (reason === undefined) {
  const schemaUrl = freshPostgresUrl;
  const admin = postgresAdmin;

  runStoreContract('postgres', async (database) => openStore({ url: await schemaUrl(database) }));

  void describe('postgres store', () => {
    it('keeps its tables in the schema of the search path', async () => {
      const { url, schema } = await freshPostgresSchema('placement');
      const store = await openStore({ url });
      assert.equal(store.dialect, 'postgres');
      await store.projects.create(sampleProject('alpha'));
      await store.close();
      const tables = await admin((client) => client.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`, [schema]));
      assert.deepEqual(tables.rows.map((row) => row.table_name), ['access_keys', 'agents', 'build_batches', 'builds', 'components', 'credentials', 'cursors', 'deploy_applications', 'deploy_instances', 'deploy_revisions', 'deployment_configs', 'deployment_groups', 'deployments', 'event_rules', 'events', 'fleets', 'jobs', 'kysely_migration', 'kysely_migration_lock', 'notification_deliveries', 'notification_rules', 'parameters', 'pipeline_executions', 'pipelines', 'projects', 'push_events', 'repositories', 'webhook_deliveries']);
    });

    it('servers starting at once on one empty database migrate it once', async () => {
      const { url, schema } = await freshPostgresSchema('race');
      const stores = await Promise.all([openStore({ url }), openStore({ url }), openStore({ url })]);
      await Promise.all(stores.map((store) => store.close()));
      const applied = await admin((client) => client.query(`SELECT name FROM ${schema}.kysely_migration`));
      assert.deepEqual(applied.rows.map((row: { name: string }) => row.name), ['0001-create-tables', '0002-repositories', '0003-pipelines', '0004-external-repositories', '0005-cursors', '0006-webhook-deliveries', '0007-pipeline-executions', '0008-job-routing', '0009-components', '0010-deployments', '0011-events', '0012-build-batches', '0013-agent-image-map', '0014-deployment-effects-pending', '0015-dashboard-lists']);
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
      const url = new URL(POSTGRES_BASE_URL);
      url.pathname = '/nagare_test_no_such_database';
      await rejectsWith(openStore({ url: url.toString() }), 'STORE_UNAVAILABLE');
    });
  });
} else {
  void test('postgres store contract', { skip: reason }, () => undefined);
}
