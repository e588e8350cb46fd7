/** Builds: the queried fields as columns, the rest of the AWS Build as a JSON record. */
import { buildRecordSchema } from '../protocol/build-record.js';
import { parseStoredJson, storedJsonOf } from './stored-json.js';
import { PostgresAdapter, type Kysely, type Selectable, type Transaction, type Updateable } from 'kysely';
import type { PhaseType, StatusType } from '../core/build-phases.js';
import { NagareError } from '../core/errors.js';
import type { TracedEvent } from '../core/aws-event.js';
import type { BuildFilter, BuildPatch, BuildsRepo, JobToClose, NewJob, Page, PageRequest, StoredBuild } from '../core/store.js';
import { appendEvents } from './kysely-events-repo.js';
import { insertJob } from './kysely-job-queue.js';
import { decodePageToken, encodePageToken, pageLimit } from './page-token.js';
import type { BuildsTable, Database } from './schema.js';
import { conflictAs } from './store-errors.js';

export class KyselyBuildsRepo implements BuildsRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(build: StoredBuild): Promise<void> {
    await insertBuild(this.#db, build);
  }

  async insertQueued(build: StoredBuild, job: NewJob, events: readonly TracedEvent[] = []): Promise<void> {
    await this.#db.transaction().execute(async (transaction) => {
      await insertBuild(transaction, build);
      await insertJob(transaction, job);
      await appendEvents(transaction, events);
    });
  }

  async queuedWithoutJob(limit: number): Promise<StoredBuild[]> {
    const rows = await this.#db
      .selectFrom('builds')
      .selectAll('builds')
      .where('builds.current_phase', '=', 'QUEUED')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('jobs').select('jobs.id').whereRef('jobs.id', '=', 'builds.id'))))
      .orderBy('builds.start_time')
      .orderBy('builds.id')
      .limit(limit)
      .execute();
    return rows.map(toBuild);
  }

  async get(id: string): Promise<StoredBuild | undefined> {
    const row = await this.#db.selectFrom('builds').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toBuild(row);
  }

  /** The builds that exist, in the order asked, each once. */
  async getMany(ids: readonly string[]): Promise<StoredBuild[]> {
    if (ids.length === 0) return [];
    const unique = [...new Set(ids)];
    const rows = await this.#db.selectFrom('builds').selectAll().where('id', 'in', unique).execute();
    const byId = new Map(rows.map((row) => [row.id, toBuild(row)]));
    return unique.flatMap((id) => byId.get(id) ?? []);
  }

  async update(id: string, patch: BuildPatch, events?: (before: StoredBuild, after: StoredBuild) => readonly TracedEvent[]): Promise<StoredBuild | undefined> {
    const changes = toColumns(patch);
    if (Object.keys(changes).length === 0) return this.get(id);
    if (events === undefined) {
      const row = await this.#db.updateTable('builds').set(changes).where('id', '=', id).returningAll().executeTakeFirst();
      return row === undefined ? undefined : toBuild(row);
    }
    return this.#db.transaction().execute((trx) => updateWithEvents(trx, id, () => patch, events));
  }

  async endWithJob(id: string, job: JobToClose, patch: (before: StoredBuild) => BuildPatch, events: (before: StoredBuild, after: StoredBuild) => readonly TracedEvent[]): Promise<StoredBuild | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      let close = trx.updateTable('jobs').set({ state: 'DONE' }).where('id', '=', id).where('state', '=', job.state);
      if (job.leaseOwner !== undefined) close = close.where('lease_owner', '=', job.leaseOwner);
      if (job.leaseEndedBefore !== undefined) close = close.where('lease_expires_at', '<', job.leaseEndedBefore);
      const closed = await close.executeTakeFirst();
      if (closed.numUpdatedRows === 0n) return undefined;
      // A build is ended once: one that has (stopped, timed out) keeps its end.
      const ended = await updateWithEvents(trx, id, (before) => (before.currentPhase === 'COMPLETED' ? undefined : patch(before)), events);
      // No build, or one that needs no end: the job's close is undone with the transaction.
      if (ended === undefined) throw new NothingToEnd();
      return ended;
    }).catch((error: unknown) => {
      if (error instanceof NothingToEnd) return undefined;
      throw error;
    });
  }

  /** STORE_NOT_FOUND when there is no such build. */
  async recordLogChunk(id: string, sequence: number, bytes: number): Promise<'appended' | 'duplicate' | 'gap'> {
    const appended = await this.#db
      .updateTable('builds')
      .set((eb) => ({ log_next_sequence: eb('log_next_sequence', '+', 1), log_bytes: eb('log_bytes', '+', bytes) }))
      .where('id', '=', id)
      .where('log_next_sequence', '=', sequence)
      .returning('id')
      .executeTakeFirst();
    if (appended !== undefined) return 'appended';
    // The sequence only grows, so a chunk behind it was already recorded; one ahead left a hole.
    const row = await this.#db.selectFrom('builds').select('log_next_sequence').where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw new NagareError('STORE_NOT_FOUND', `build ${id} does not exist`, { details: { buildId: id } });
    return sequence < row.log_next_sequence ? 'duplicate' : 'gap';
  }

  async listIds(filter: BuildFilter, page: PageRequest): Promise<Page<string>> {
    const ascending = page.sortOrder === 'ASCENDING';
    const direction = ascending ? 'asc' : 'desc';
    const limit = pageLimit(page.limit);
    let query = this.#db.selectFrom('builds').select(['id', 'start_time']).orderBy('start_time', direction).orderBy('id', direction).limit(limit + 1);
    if (filter.projectName !== undefined) query = query.where('project_name', '=', filter.projectName);
    if (filter.buildStatus !== undefined) query = query.where('build_status', '=', filter.buildStatus);
    if (filter.initiator !== undefined) query = query.where('initiator', '=', filter.initiator);
    if (page.nextToken !== undefined) {
      const [startTime, id] = decodePageToken(page.nextToken, ['number', 'string']) as [number, string];
      query = query.where((eb) => eb.or([eb('start_time', ascending ? '>' : '<', startTime), eb.and([eb('start_time', '=', startTime), eb('id', ascending ? '>' : '<', id)])]));
    }
    const rows = await query.execute();
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items: items.map((row) => row.id), nextToken: rows.length > limit && last !== undefined ? encodePageToken([last.start_time, last.id]) : undefined };
  }

  async endedBefore(endedBefore: number, limit: number): Promise<StoredBuild[]> {
    const rows = await this.#db
      .selectFrom('builds')
      .selectAll()
      .where('current_phase', '=', 'COMPLETED')
      .where('end_time', '<', endedBefore)
      .orderBy('end_time')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toBuild);
  }

  /** The ids that were deleted. */
  async delete(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db.deleteFrom('builds').where('id', 'in', [...new Set(ids)]).returning('id').execute();
    return rows.map((row) => row.id);
  }

  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.#db.selectFrom('builds').select((eb) => ['build_status', eb.fn.countAll<number>().as('count')]).groupBy('build_status').execute();
    return Object.fromEntries(rows.map((row) => [row.build_status, Number(row.count)]));
  }
}

/** Version 1: core's BuildRecord; rows written before the envelope (version 0) have the same shape. */
const BUILD_RECORD_SCHEMA_VERSION = 1;

/** Thrown inside `endWithJob`'s transaction to undo the job's close. */
class NothingToEnd extends Error {}

/**
 * The build row is locked (PostgreSQL) so that "before" is what this update changed; the patch is
 * made from it. Undefined, changing nothing, when there is no such build or the patch declines.
 */
async function updateWithEvents(trx: Transaction<Database>, id: string, patch: (before: StoredBuild) => BuildPatch | undefined, events: (before: StoredBuild, after: StoredBuild) => readonly TracedEvent[]): Promise<StoredBuild | undefined> {
  const postgres = trx.getExecutor().adapter instanceof PostgresAdapter;
  const select = trx.selectFrom('builds').selectAll().where('id', '=', id);
  const beforeRow = await (postgres ? select.forUpdate() : select).executeTakeFirst();
  if (beforeRow === undefined) return undefined;
  const before = toBuild(beforeRow);
  const made = patch(before);
  if (made === undefined) return undefined;
  const changes = toColumns(made);
  const row = Object.keys(changes).length === 0 ? beforeRow : await trx.updateTable('builds').set(changes).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  const after = toBuild(row);
  await appendEvents(trx, events(before, after));
  return after;
}

/** `db` may be a transaction. */
async function insertBuild(db: Kysely<Database>, build: StoredBuild): Promise<void> {
  const insert = db
    .insertInto('builds')
    .values({
      id: build.id,
      project_name: build.projectName,
      build_number: build.buildNumber,
      build_status: build.buildStatus,
      current_phase: build.currentPhase,
      start_time: build.startTime,
      end_time: build.endTime ?? null,
      initiator: build.record.job.initiator,
      stop_requested: build.stopRequested ? 1 : 0,
      log_bytes: build.logBytes,
      log_next_sequence: build.logNextSequence,
      record: storedJsonOf(build.record, BUILD_RECORD_SCHEMA_VERSION),
    })
    .execute();
  await conflictAs(insert, `build ${build.id}`);
}

function toBuild(row: Selectable<BuildsTable>): StoredBuild {
  return {
    id: row.id,
    projectName: row.project_name,
    buildNumber: row.build_number,
    buildStatus: row.build_status as StatusType,
    currentPhase: row.current_phase as PhaseType,
    startTime: row.start_time,
    endTime: row.end_time ?? undefined,
    stopRequested: row.stop_requested !== 0,
    logBytes: row.log_bytes,
    logNextSequence: row.log_next_sequence,
    record: parseStoredJson(buildRecordSchema, row.record, `record of build ${row.id}`, BUILD_RECORD_SCHEMA_VERSION),
  };
}

function toColumns(patch: BuildPatch): Updateable<BuildsTable> {
  const columns: Updateable<BuildsTable> = {};
  if (patch.buildStatus !== undefined) columns.build_status = patch.buildStatus;
  if (patch.currentPhase !== undefined) columns.current_phase = patch.currentPhase;
  // An explicit `endTime: undefined` in the patch clears it.
  if ('endTime' in patch) columns.end_time = patch.endTime ?? null;
  if (patch.stopRequested !== undefined) columns.stop_requested = patch.stopRequested ? 1 : 0;
  if (patch.logBytes !== undefined) columns.log_bytes = patch.logBytes;
  if (patch.logNextSequence !== undefined) columns.log_next_sequence = patch.logNextSequence;
  if (patch.record !== undefined) columns.record = storedJsonOf(patch.record, BUILD_RECORD_SCHEMA_VERSION);
  return columns;
}
