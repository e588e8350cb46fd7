/** What a dialect's claim query gets and returns (see claim-job-postgres.ts, claim-job-sqlite.ts). */
import type { Kysely } from 'kysely';
import type { Database, JobRow } from './schema.js';

export interface ClaimRequest {
  readonly agentId: string;
  readonly leaseExpiresAt: number;
  readonly excludeProjects: readonly string[];
}

/** Leases the oldest QUEUED job not of an excluded project, atomically; undefined when none. */
export type ClaimJob = (db: Kysely<Database>, request: ClaimRequest) => Promise<JobRow | undefined>;
