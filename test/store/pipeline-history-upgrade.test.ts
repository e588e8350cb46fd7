/**
 * Stored pipeline JSON on both databases, written behind the store's back as an older or newer
 * nagare would have: migration 0007 moves the ended executions of a pre-0007 row into history and
 * trims its runtime; a row from a newer schema version, or of the wrong shape, is refused with a
 * STORE_ code instead of being handed to the execution machine. Build records the same way, and
 * migration 0015 reads the initiator of builds stored before it out of their records.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { PipelineDefinition } from '../../src/core/pipeline.js';
import type { ExecutionState, PipelineRuntime } from '../../src/core/pipeline-execution-types.js';
import { Migrator } from 'kysely';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { openStore } from '../../src/store/open-store.js';
import { openPostgres } from '../../src/store/postgres-database.js';
import { openSqlite } from '../../src/store/sqlite-database.js';
import { freshPostgresUrl, postgresMissing } from '../support/postgres.js';
import { requirement } from '../support/requirements.js';
import { sampleExecution } from './contract-pipelines.js';
import { rejectsWith, sampleBuild, sampleBuildJob, sampleRecord, T0 } from './fixtures.js';

const directory = await mkdtemp(join(tmpdir(), 'nagare-history-'));
after(() => rm(directory, { recursive: true, force: true }));

type Raw = (statement: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/** Runs SQL on the database directly (`$1`… placeholders), on a connection of its own. */
/** The database as the migrations up to `target` left it (every later migration's `down` run, newest first). */
async function migrateBackTo(kind: 'sqlite' | 'postgres', url: string, target: string): Promise<void> {
  const backend = kind === 'sqlite' ? openSqlite(url) : openPostgres(url);
  try {
    const migrationTableSchema = await backend.migrationTableSchema();
    const migrator = new Migrator({ db: backend.db, provider: migrationProvider, ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }) });
    const { error } = await migrator.migrateTo(target);
    if (error !== undefined) throw error instanceof Error ? error : new Error('migrating back failed');
  } finally {
    await backend.db.destroy();
  }
}

async function rawOn(kind: 'sqlite' | 'postgres', url: string, work: (raw: Raw) => Promise<void>): Promise<void> {
  if (kind === 'sqlite') {
    const db = new BetterSqlite3(url);
    try {
      await work((statement, params = []) => {
        const prepared = db.prepare(statement.replace(/\$\d+/g, '?'));
        return Promise.resolve(prepared.reader ? (prepared.all(...params) as Record<string, unknown>[]) : (prepared.run(...params), []));
      });
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(async (statement, params = []) => (await client.query(statement, params)).rows as Record<string, unknown>[]);
  } finally {
    await client.end();
  }
}

const definition: PipelineDefinition = {
  name: 'legacy',
  pipelineType: 'V2',
  executionMode: 'PARALLEL',
  roleArn: undefined,
  artifactStore: undefined,
  variables: [],
  triggers: [],
  stages: [{ name: 'Source', actions: [] }],
  version: 1,
};

function entered(exec: ExecutionState, seq: number): ExecutionState {
  return { ...exec, definition, executionMode: 'PARALLEL', stages: { Source: { status: exec.status === 'InProgress' ? 'InProgress' : 'Failed', run: 1, enteredSeq: seq, enteredAt: T0, lastUpdateTime: T0 } } };
}

const kinds: ['sqlite' | 'postgres', string | false][] = [['sqlite', false], ['postgres', requirement('PostgreSQL', await postgresMissing())]];

for (const [kind, skip] of kinds) {
  void describe(`${kind}: stored pipeline JSON`, { skip }, () => {
    const urlFor = async (name: string): Promise<string> => (kind === 'sqlite' ? join(directory, `${name}.db`) : freshPostgresUrl(`history_${name}`));

    it('migration 0007 moves the ended executions of an older row into history and trims its runtime', async () => {
      const url = await urlFor('upgrade');
      await (await openStore({ url })).close();
      // Back to the schema before 0007, with a row as an older nagare wrote it: bare JSON, every execution inline.
      const executions = [entered(sampleExecution('old-1', 'Succeeded', 1), 2), entered(sampleExecution('old-2', 'Failed', 3), 4), entered(sampleExecution('running', 'InProgress', 5), 6)];
      const legacyRuntime: PipelineRuntime = { definition, executions, transitions: {}, sequence: 6 };
      await migrateBackTo(kind, url, '0006-webhook-deliveries');
      await rawOn(kind, url, async (raw) => {
        await raw('INSERT INTO pipelines (name, definition, version, created, updated, runtime, revision) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
          'legacy', JSON.stringify(definition), 1, T0, T0, JSON.stringify(legacyRuntime), 3,
        ]);
      });
      const store = await openStore({ url });
      try {
        const stored = await store.pipelines.get('legacy');
        // Only `running` is in flight or the latest to enter a stage: the ended ones are in history only.
        assert.deepEqual(stored?.runtime.executions.map((e) => e.pipelineExecutionId), ['running']);
        assert.deepEqual((await store.pipelines.listEndedExecutions('legacy', { limit: 10 })).map((e) => [e.pipelineExecutionId, e.status]), [['old-2', 'Failed'], ['old-1', 'Succeeded']]);
        assert.deepEqual(await store.pipelines.getEndedExecution('legacy', 'old-1'), executions[0]);
        assert.equal(stored?.revision, 3);
      } finally {
        await store.close();
      }
      await rawOn(kind, url, async (raw) => {
        const [row] = await raw(`SELECT runtime, definition FROM pipelines WHERE name = 'legacy'`);
        assert.equal((JSON.parse(String(row?.runtime)) as { schemaVersion: number }).schemaVersion, 1);
        assert.equal((JSON.parse(String(row?.definition)) as { schemaVersion: number }).schemaVersion, 1);
      });
    });

    it('a row from a newer schema version is STORE_SCHEMA_TOO_NEW, one of another shape STORE_RECORD_INVALID', async () => {
      const url = await urlFor('versions');
      const store = await openStore({ url });
      try {
        await store.pipelines.create(definition, { definition, executions: [], transitions: {}, sequence: 0 }, T0);
        await store.pipelines.create({ ...definition, name: 'mangled' }, { definition, executions: [], transitions: {}, sequence: 0 }, T0);
        await rawOn(kind, url, async (raw) => {
          await raw(`UPDATE pipelines SET runtime = $1 WHERE name = 'legacy'`, [JSON.stringify({ schemaVersion: 99, value: { anything: true } })]);
          await raw(`UPDATE pipelines SET runtime = $1 WHERE name = 'mangled'`, [JSON.stringify({ schemaVersion: 1, value: { definition, executions: 'not a list', transitions: {}, sequence: 0 } })]);
        });
        await rejectsWith(store.pipelines.get('legacy'), 'STORE_SCHEMA_TOO_NEW');
        await rejectsWith(store.pipelines.get('mangled'), 'STORE_RECORD_INVALID');
      } finally {
        await store.close();
      }
    });

    it('migration 0015 gives the builds stored before it their initiator, from records with or without the envelope', async () => {
      const url = await urlFor('initiators');
      const store = await openStore({ url });
      const withInitiator = (id: string, initiator: string) => sampleBuild(id, { startTime: T0 + Number(id.split(':')[1]), record: sampleRecord(id, { job: { ...sampleBuildJob(id), initiator } }) });
      try {
        for (const build of [withInitiator('app:1', 'alice'), withInitiator('app:2', 'bob'), withInitiator('app:3', 'alice')]) await store.builds.insert(build);
      } finally {
        await store.close();
      }
      await migrateBackTo(kind, url, '0014-deployment-effects-pending');
      // app:1 as a nagare before the envelope wrote it: the bare record.
      await rawOn(kind, url, (raw) => raw(`UPDATE builds SET record = $1 WHERE id = 'app:1'`, [JSON.stringify(withInitiator('app:1', 'alice').record)]).then(() => undefined));
      const upgraded = await openStore({ url });
      try {
        assert.deepEqual((await upgraded.builds.listIds({ initiator: 'alice' }, { limit: 10 })).items, ['app:3', 'app:1']);
        assert.deepEqual((await upgraded.builds.listIds({ initiator: 'bob' }, { limit: 10 })).items, ['app:2']);
      } finally {
        await upgraded.close();
      }
    });

    it('a build record from before the envelope reads back typed; a newer version is STORE_SCHEMA_TOO_NEW, another shape STORE_RECORD_INVALID', async () => {
      const url = await urlFor('build-records');
      const store = await openStore({ url });
      try {
        for (const id of ['old:1', 'new:1', 'bad:1']) await store.builds.insert(sampleBuild(id));
        await rawOn(kind, url, async (raw) => {
          await raw(`UPDATE builds SET record = $1 WHERE id = 'old:1'`, [JSON.stringify(sampleRecord('old:1'))]);
          await raw(`UPDATE builds SET record = $1 WHERE id = 'new:1'`, [JSON.stringify({ schemaVersion: 99, value: {} })]);
          await raw(`UPDATE builds SET record = $1 WHERE id = 'bad:1'`, [JSON.stringify({ schemaVersion: 1, value: { ...sampleRecord('bad:1'), phases: 'not a list' } })]);
        });
        assert.deepEqual((await store.builds.get('old:1'))?.record, sampleRecord('old:1'));
        await rejectsWith(store.builds.get('new:1'), 'STORE_SCHEMA_TOO_NEW');
        await rejectsWith(store.builds.get('bad:1'), 'STORE_RECORD_INVALID');
      } finally {
        await store.close();
      }
    });
  });
}
