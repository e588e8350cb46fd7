/**
 * Build batches: one row per batch, its BuildBatchState as JSON (parsed with zod on read), saved
 * under an optimistic revision so that two builds of a batch ending at once cannot lose each
 * other's update.
 */
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { BuildBatchState, BuildBatchStatus } from '../core/build-batch.js';
import { NagareError } from '../core/errors.js';
import type { BuildBatchesRepo, Page, PageRequest, StoredBuildBatch } from '../core/store.js';
import { decodePageToken, encodePageToken, pageLimit } from './page-token.js';
import type { BuildBatchesTable, Database } from './schema.js';
import { conflictAs } from './store-errors.js';

const entryStatus = z.enum(['PENDING', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'FAULT', 'TIMED_OUT', 'STOPPED']);
const batchEnv = z.object({
  image: z.string().optional(), computeType: z.string().optional(), privilegedMode: z.boolean().optional(),
  type: z.string().optional(), fleet: z.string().optional(), variables: z.record(z.string(), z.string()),
});
const storedState = z.object({
  arn: z.string(),
  initiator: z.string(),
  sourceVersion: z.string().optional(),
  buildspec: z.string(),
  kind: z.enum(['build-list', 'build-graph', 'build-matrix']),
  fastFail: z.boolean(),
  combineArtifacts: z.boolean(),
  groups: z.array(z.object({
    entry: z.object({ identifier: z.string(), buildspec: z.string().optional(), env: batchEnv, ignoreFailure: z.boolean(), dependOn: z.array(z.string()) }),
    buildIds: z.array(z.string()),
    status: entryStatus,
  })),
  phases: z.array(z.object({
    phaseType: z.enum(['SUBMITTED', 'DOWNLOAD_BATCHSPEC', 'IN_PROGRESS', 'COMBINE_ARTIFACTS', 'SUCCEEDED', 'FAILED', 'STOPPED']),
    phaseStatus: z.string().optional(), startTime: z.number(), endTime: z.number().optional(),
  })),
  stopRequested: z.boolean(),
  imageOverride: z.string().optional(),
  environmentVariablesOverride: z.array(z.object({ name: z.string(), value: z.string(), type: z.enum(['PLAINTEXT', 'PARAMETER_STORE', 'SECRETS_MANAGER']) })),
  timeoutInMinutes: z.number().optional(),
  pipeline: z.object({
    inputArtifacts: z.array(z.object({ name: z.string(), blobKey: z.string() })),
    primarySource: z.string().optional(),
    action: z.object({ pipelineName: z.string(), executionId: z.string(), stageName: z.string(), actionName: z.string(), attempt: z.number() }),
  }).optional(),
  combinedArtifactKey: z.string().optional(),
});
const STATUSES: readonly BuildBatchStatus[] = ['IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'STOPPED'];

export class KyselyBuildBatchesRepo implements BuildBatchesRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(batch: Omit<StoredBuildBatch, 'revision'>): Promise<void> {
    const insert = this.#db.insertInto('build_batches').values({
      id: batch.id, project_name: batch.projectName, batch_number: batch.batchNumber, status: batch.status,
      start_time: batch.startTime, end_time: batch.endTime ?? null, revision: 1, state: JSON.stringify(batch.state),
    }).execute();
    await conflictAs(insert, `build batch ${batch.id}`);
  }

  async get(id: string): Promise<StoredBuildBatch | undefined> {
    const row = await this.#db.selectFrom('build_batches').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toBatch(row);
  }

  async getMany(ids: readonly string[]): Promise<StoredBuildBatch[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db.selectFrom('build_batches').selectAll().where('id', 'in', [...ids]).execute();
    return rows.map(toBatch);
  }

  async update(batch: StoredBuildBatch): Promise<StoredBuildBatch | undefined> {
    const result = await this.#db.updateTable('build_batches')
      .set({ status: batch.status, end_time: batch.endTime ?? null, revision: batch.revision + 1, state: JSON.stringify(batch.state) })
      .where('id', '=', batch.id).where('revision', '=', batch.revision)
      .executeTakeFirst();
    return result.numUpdatedRows === 0n ? undefined : { ...batch, revision: batch.revision + 1 };
  }

  async listIds(filter: { readonly projectName?: string | undefined; readonly status?: string | undefined }, page: PageRequest): Promise<Page<string>> {
    const ascending = page.sortOrder === 'ASCENDING';
    const direction = ascending ? 'asc' : 'desc';
    const limit = pageLimit(page.limit);
    let query = this.#db.selectFrom('build_batches').select(['id', 'start_time']).orderBy('start_time', direction).orderBy('id', direction).limit(limit + 1);
    if (filter.projectName !== undefined) query = query.where('project_name', '=', filter.projectName);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    if (page.nextToken !== undefined) {
      const [startTime, id] = decodePageToken(page.nextToken, ['number', 'string']) as [number, string];
      query = query.where((eb) => eb.or([eb('start_time', ascending ? '>' : '<', startTime), eb.and([eb('start_time', '=', startTime), eb('id', ascending ? '>' : '<', id)])]));
    }
    const rows = await query.execute();
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items: items.map((row) => row.id), nextToken: rows.length > limit && last !== undefined ? encodePageToken([last.start_time, last.id]) : undefined };
  }

  async inProgress(limit: number): Promise<string[]> {
    const rows = await this.#db.selectFrom('build_batches').select('id').where('status', '=', 'IN_PROGRESS').orderBy('start_time').limit(limit).execute();
    return rows.map((row) => row.id);
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('build_batches').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async nextBatchNumber(projectName: string): Promise<number> {
    const row = await this.#db.updateTable('projects')
      .set((eb) => ({ batch_counter: eb('batch_counter', '+', 1) }))
      .where('name', '=', projectName)
      .returning('batch_counter')
      .executeTakeFirst();
    if (row === undefined) throw new NagareError('STORE_NOT_FOUND', `project ${projectName} does not exist`, { details: { project: projectName } });
    return row.batch_counter;
  }
}

function toBatch(row: Selectable<BuildBatchesTable>): StoredBuildBatch {
  const parsed = storedState.safeParse(JSON.parse(row.state));
  if (!parsed.success) throw new NagareError('STORE_RECORD_INVALID', `build batch ${row.id} has a stored state nagare cannot read: ${parsed.error.message}`, { details: { batch: row.id } });
  const status = STATUSES.find((candidate) => candidate === row.status);
  if (!status) throw new NagareError('STORE_RECORD_INVALID', `build batch ${row.id} has the unknown status ${row.status}`, { details: { batch: row.id } });
  const data = parsed.data;
  const state: BuildBatchState = {
    ...data,
    sourceVersion: data.sourceVersion,
    imageOverride: data.imageOverride,
    timeoutInMinutes: data.timeoutInMinutes,
    pipeline: data.pipeline ? { ...data.pipeline, primarySource: data.pipeline.primarySource } : undefined,
    combinedArtifactKey: data.combinedArtifactKey,
    groups: data.groups.map((group) => ({ ...group, entry: { ...group.entry, buildspec: group.entry.buildspec, env: { ...group.entry.env, image: group.entry.env.image, computeType: group.entry.env.computeType, privilegedMode: group.entry.env.privilegedMode, type: group.entry.env.type, fleet: group.entry.env.fleet } } })),
    phases: data.phases.map((phase) => ({ ...phase, phaseStatus: phase.phaseStatus, endTime: phase.endTime })),
  };
  return { id: row.id, projectName: row.project_name, batchNumber: row.batch_number, status, startTime: row.start_time, endTime: row.end_time ?? undefined, revision: row.revision, state };
}
