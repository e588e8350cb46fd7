/**
 * The job queue. Every transition is one conditional UPDATE (… WHERE state = … AND lease_owner = …)
 * so that a late or duplicate report changes nothing; claiming is the dialect's own query
 * (claim-job-postgres.ts, claim-job-sqlite.ts).
 */
import type { Kysely } from 'kysely';
import { plainAgent, type AgentCapabilities } from '../core/job-routing.js';
import type { Job, JobKind, JobQueue, NewJob } from '../core/store.js';
import type { ClaimJob } from './claim-job.js';
import type { Database, JobRow } from './schema.js';
import { conflictAs } from './store-errors.js';

export class KyselyJobQueue implements JobQueue {
  readonly #db: Kysely<Database>;
  readonly #claimJob: ClaimJob;

  constructor(db: Kysely<Database>, claimJob: ClaimJob) {
    this.#db = db;
    this.#claimJob = claimJob;
  }

  async enqueue(job: NewJob): Promise<void> {
    await insertJob(this.#db, job);
  }

  async get(jobId: string): Promise<Job | undefined> {
    const row = await this.#db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
    return row === undefined ? undefined : toJob(row);
  }

  async getMany(jobIds: readonly string[]): Promise<Job[]> {
    if (jobIds.length === 0) return [];
    const rows = await this.#db.selectFrom('jobs').selectAll().where('id', 'in', [...new Set(jobIds)]).execute();
    return rows.map(toJob);
  }

  async claim(agentId: string, now: number, leaseMs: number, excludeProjects: readonly string[], capabilities?: AgentCapabilities): Promise<Job | undefined> {
    const agent = { ...(capabilities ?? plainAgent(agentId)), id: agentId };
    const row = await this.#claimJob(this.#db, { agent, leaseExpiresAt: now + leaseMs, excludeProjects });
    return row === undefined ? undefined : toJob(row);
  }

  /** False too when the lease already ended before `now`: the job may be handed on at any moment. */
  async renew(jobId: string, agentId: string, now: number, leaseMs: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('jobs')
      .set({ lease_expires_at: now + leaseMs })
      .where('id', '=', jobId)
      .where('state', '=', 'LEASED')
      .where('lease_owner', '=', agentId)
      .where('lease_expires_at', '>=', now)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async markStarted(jobId: string, agentId: string): Promise<boolean> {
    const result = await this.#db.updateTable('jobs').set({ started: 1 }).where('id', '=', jobId).where('state', '=', 'LEASED').where('lease_owner', '=', agentId).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async complete(jobId: string, agentId: string): Promise<boolean> {
    const result = await this.#db.updateTable('jobs').set({ state: 'DONE' }).where('id', '=', jobId).where('state', '=', 'LEASED').where('lease_owner', '=', agentId).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** False when the job is unknown or already DONE. */
  async cancel(jobId: string): Promise<boolean> {
    const result = await this.#db.updateTable('jobs').set({ state: 'DONE' }).where('id', '=', jobId).where('state', '<>', 'DONE').executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async expired(now: number): Promise<Job[]> {
    const rows = await this.#db.selectFrom('jobs').selectAll().where('state', '=', 'LEASED').where('lease_expires_at', '<', now).orderBy('lease_expires_at').orderBy('id').execute();
    return rows.map(toJob);
  }

  async extendLeases(until: number): Promise<number> {
    const result = await this.#db.updateTable('jobs').set({ lease_expires_at: until }).where('state', '=', 'LEASED').where('lease_expires_at', '<', until).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Only a LEASED job that never started; it keeps its place (queued_at) in the queue. */
  async requeue(jobId: string, now: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('jobs')
      .set({ state: 'QUEUED', lease_owner: null, lease_expires_at: null })
      .where('id', '=', jobId)
      .where('state', '=', 'LEASED')
      .where('started', '=', 0)
      .where('lease_expires_at', '<', now)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async queuedBefore(before: number): Promise<Job[]> {
    const rows = await this.#db.selectFrom('jobs').selectAll().where('state', '=', 'QUEUED').where('queued_at', '<', before).orderBy('queued_at').orderBy('id').execute();
    return rows.map(toJob);
  }

  async leased(): Promise<Job[]> {
    const rows = await this.#db.selectFrom('jobs').selectAll().where('state', '=', 'LEASED').orderBy('lease_expires_at').orderBy('id').execute();
    return rows.map(toJob);
  }

  async leasedPerProject(): Promise<Record<string, number>> {
    const rows = await this.#db
      .selectFrom('jobs')
      .select((eb) => ['project_name', eb.fn.countAll<number>().as('count')])
      .where('state', '=', 'LEASED')
      .groupBy('project_name')
      .execute();
    return Object.fromEntries(rows.map((row) => [row.project_name, Number(row.count)]));
  }

  /** Number of QUEUED jobs. */
  async depth(): Promise<number> {
    const row = await this.#db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('count')).where('state', '=', 'QUEUED').executeTakeFirstOrThrow();
    return Number(row.count);
  }
}

/** The job's INSERT, shared with the builds repository's build-and-job transaction (`db` may be a transaction). */
export async function insertJob(db: Kysely<Database>, job: NewJob): Promise<void> {
  const insert = db
    .insertInto('jobs')
    .values({ id: job.id, kind: job.kind, project_name: job.projectName, state: 'QUEUED', queued_at: job.queuedAt, lease_owner: null, lease_expires_at: null, attempts: 0, started: 0, payload: JSON.stringify(job.payload),
      labels: JSON.stringify(job.labels ?? []), fleet: job.fleet ?? null, target: job.target ?? null })
    .execute();
  await conflictAs(insert, `job ${job.id}`);
}

function toJob(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind as JobKind,
    labels: parseStrings(row.labels),
    fleet: row.fleet ?? undefined,
    target: row.target ?? undefined,
    projectName: row.project_name,
    state: row.state,
    queuedAt: row.queued_at,
    leaseOwner: row.lease_owner ?? undefined,
    leaseExpiresAt: row.lease_expires_at ?? undefined,
    attempts: row.attempts,
    started: row.started !== 0,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
  };
}

/** A JSON array of strings as stored by this file; anything else reads as no labels. */
export function parseStrings(text: string): string[] {
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
