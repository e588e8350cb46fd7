/**
 * Ended pipeline executions get their own table (issue 8, "History that scales"): the pipeline row
 * keeps only what the execution machine still needs, so an event no longer reads and writes every
 * execution the pipeline ever ran. Existing rows are upgraded here: their ended executions are
 * copied out, their runtime trimmed, and definition and runtime rewritten in the versioned envelope.
 * Builds also get an index on their end time, by which retention finds old ones.
 */
import { sql, type Kysely } from 'kysely';
import { retainedExecutionIds } from '../../core/pipeline-execution-history.js';
import { ENDED_STATUSES } from '../../core/pipeline-execution-types.js';
import { executionRow } from '../pipeline-executions-table.js';
import { parseStoredDefinition, parseStoredRuntime, storedJson } from '../pipeline-json.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('pipeline_executions')
    .addColumn('pipeline_name', 'text', (c) => c.notNull())
    .addColumn('execution_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('trigger_type', 'text', (c) => c.notNull())
    .addColumn('pipeline_version', 'integer', (c) => c.notNull())
    .addColumn('start_seq', 'bigint', (c) => c.notNull())
    .addColumn('start_time', 'bigint', (c) => c.notNull())
    .addColumn('end_time', 'bigint', (c) => c.notNull())
    .addColumn('schema_version', 'integer', (c) => c.notNull())
    .addColumn('execution', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('pipeline_executions_pkey', ['pipeline_name', 'execution_id'])
    .execute();
  await db.schema.createIndex('pipeline_executions_by_start').on('pipeline_executions').columns(['pipeline_name', 'start_seq']).execute();
  await db.schema.createIndex('pipeline_executions_by_end').on('pipeline_executions').column('end_time').execute();
  // Retention finds old builds by when they ended.
  await db.schema.createIndex('builds_by_end').on('builds').column('end_time').execute();

  const { rows } = await sql<{ name: string; definition: string; runtime: string }>`select name, definition, runtime from pipelines`.execute(db);
  for (const row of rows) {
    const runtime = parseStoredRuntime(row.runtime, row.name);
    for (const exec of runtime.executions.filter((e) => ENDED_STATUSES.includes(e.status))) {
      const r = executionRow(row.name, exec);
      await sql`insert into pipeline_executions (pipeline_name, execution_id, status, trigger_type, pipeline_version, start_seq, start_time, end_time, schema_version, execution)
        values (${r.pipeline_name}, ${r.execution_id}, ${r.status}, ${r.trigger_type}, ${r.pipeline_version}, ${r.start_seq}, ${r.start_time}, ${r.end_time}, ${r.schema_version}, ${r.execution})`.execute(db);
    }
    const keep = retainedExecutionIds(runtime);
    const trimmed = { ...runtime, executions: runtime.executions.filter((e) => keep.has(e.pipelineExecutionId)) };
    await sql`update pipelines set runtime = ${storedJson(trimmed)}, definition = ${storedJson(parseStoredDefinition(row.definition, row.name))} where name = ${row.name}`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('builds_by_end').execute();
  await db.schema.dropTable('pipeline_executions').execute();
}
