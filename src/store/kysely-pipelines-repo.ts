/**
 * Pipelines: one row per pipeline with its definition and its runtime (in-flight executions and
 * what the machine needs), plus one row per ended execution in `pipeline_executions` (migration
 * 0007). A save writes both in one transaction under the optimistic revision, so a crash or a lost
 * race can neither lose an ended execution nor record it twice. JSON is parsed on read
 * (pipeline-json.ts), never cast.
 */
import type { Kysely } from 'kysely';
import type { TracedEvent } from '../core/aws-event.js';
import type { PipelineDefinition } from '../core/pipeline.js';
import type { ExecutionState, PipelineRuntime } from '../core/pipeline-execution-types.js';
import type { Page, PageRequest, PipelineHistoryChange, PipelinesRepo, PrunedExecution, StoredPipeline } from '../core/store.js';
import { decodePageToken, encodePageToken, pageLimit } from './page-token.js';
import { appendEvents } from './kysely-events-repo.js';
import { executionRow, type PipelineExecutionsTables } from './pipeline-executions-table.js';
import { parseStoredDefinition, parseStoredExecution, parseStoredRuntime, storedJson } from './pipeline-json.js';
import type { Database } from './schema.js';
import { conflictAs } from './store-errors.js';

type Tables = Database & PipelineExecutionsTables;

export class KyselyPipelinesRepo implements PipelinesRepo {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Database>) {
    this.#db = db.withTables<PipelineExecutionsTables>();
  }

  async create(definition: PipelineDefinition, runtime: PipelineRuntime, at: number): Promise<void> {
    const insert = this.#db
      .insertInto('pipelines')
      .values({ name: definition.name, definition: storedJson(definition), version: definition.version, created: at, updated: at, runtime: storedJson(runtime), revision: 0 })
      .execute();
    await conflictAs(insert, `pipeline ${definition.name}`);
  }

  async get(name: string): Promise<StoredPipeline | undefined> {
    const row = await this.#db.selectFrom('pipelines').selectAll().where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : toStored(row);
  }

  async listPage(page: PageRequest): Promise<Page<StoredPipeline>> {
    const limit = pageLimit(page.limit);
    let query = this.#db.selectFrom('pipelines').selectAll().orderBy('name').limit(limit + 1);
    if (page.nextToken !== undefined) {
      const [after] = decodePageToken(page.nextToken, ['string']) as [string];
      query = query.where('name', '>', after);
    }
    const rows = await query.execute();
    const items = rows.slice(0, limit).map(toStored);
    const last = items.at(-1);
    return { items, nextToken: rows.length > limit && last !== undefined ? encodePageToken([last.definition.name]) : undefined };
  }

  async list(): Promise<StoredPipeline[]> {
    const rows = await this.#db.selectFrom('pipelines').selectAll().orderBy('name').execute();
    return rows.map(toStored);
  }

  delete(name: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('pipeline_executions').where('pipeline_name', '=', name).execute();
      const result = await trx.deleteFrom('pipelines').where('name', '=', name).executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  save(name: string, change: { definition?: PipelineDefinition; runtime: PipelineRuntime; history?: PipelineHistoryChange }, expectedRevision: number, at: number, events: readonly TracedEvent[] = []): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('pipelines')
        .set({
          runtime: storedJson(change.runtime),
          revision: expectedRevision + 1,
          // `updated` is when the definition last changed (GetPipeline metadata), not the runtime.
          ...(change.definition ? { definition: storedJson(change.definition), version: change.definition.version, updated: at } : {}),
        })
        .where('name', '=', name)
        .where('revision', '=', expectedRevision)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) return false;
      const { ended = [], reopened = [] } = change.history ?? {};
      if (reopened.length > 0) await trx.deleteFrom('pipeline_executions').where('pipeline_name', '=', name).where('execution_id', 'in', reopened).execute();
      for (const exec of ended) {
        const row = executionRow(name, exec);
        await trx
          .insertInto('pipeline_executions')
          .values(row)
          .onConflict((oc) => oc.columns(['pipeline_name', 'execution_id']).doUpdateSet({ status: row.status, end_time: row.end_time, schema_version: row.schema_version, execution: row.execution }))
          .execute();
      }
      await appendEvents(trx, events);
      return true;
    });
  }

  async getEndedExecution(pipelineName: string, executionId: string): Promise<ExecutionState | undefined> {
    const row = await this.#db.selectFrom('pipeline_executions').select('execution').where('pipeline_name', '=', pipelineName).where('execution_id', '=', executionId).executeTakeFirst();
    return row === undefined ? undefined : parseStoredExecution(row.execution, pipelineName, executionId);
  }

  async listEndedExecutions(pipelineName: string, page: { limit: number; beforeSeq?: number | undefined }): Promise<ExecutionState[]> {
    let query = this.#db.selectFrom('pipeline_executions').select(['execution_id', 'execution']).where('pipeline_name', '=', pipelineName);
    if (page.beforeSeq !== undefined) query = query.where('start_seq', '<', page.beforeSeq);
    const rows = await query.orderBy('start_seq', 'desc').limit(page.limit).execute();
    return rows.map((r) => parseStoredExecution(r.execution, pipelineName, r.execution_id));
  }

  async endedExecutionOnVersion(pipelineName: string, version: number): Promise<ExecutionState | undefined> {
    const row = await this.#db
      .selectFrom('pipeline_executions')
      .select(['execution_id', 'execution'])
      .where('pipeline_name', '=', pipelineName)
      .where('pipeline_version', '=', version)
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? undefined : parseStoredExecution(row.execution, pipelineName, row.execution_id);
  }

  pruneEndedExecutions(endedBefore: number, limit: number): Promise<PrunedExecution[]> {
    return this.#db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('pipeline_executions')
        .select(['pipeline_name', 'execution_id', 'execution'])
        .where('end_time', '<', endedBefore)
        .orderBy('end_time')
        .limit(limit)
        .execute();
      for (const row of rows) await trx.deleteFrom('pipeline_executions').where('pipeline_name', '=', row.pipeline_name).where('execution_id', '=', row.execution_id).execute();
      return rows.map((r) => ({ pipelineName: r.pipeline_name, execution: parseStoredExecution(r.execution, r.pipeline_name, r.execution_id) }));
    });
  }
}

function toStored(row: { name: string; definition: string; created: number; updated: number; runtime: string; revision: number }): StoredPipeline {
  return {
    definition: parseStoredDefinition(row.definition, row.name),
    runtime: parseStoredRuntime(row.runtime, row.name),
    revision: Number(row.revision),
    created: Number(row.created),
    updated: Number(row.updated),
  };
}
