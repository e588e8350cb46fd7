/** What a dialect's claim query gets and returns (see claim-job-postgres.ts, claim-job-sqlite.ts). */
import type { Kysely } from 'kysely';
import type { AgentCapabilities } from '../core/job-routing.js';
import type { Database, JobRow } from './schema.js';

export interface ClaimRequest {
  readonly agent: AgentCapabilities;
  readonly leaseExpiresAt: number;
  readonly excludeProjects: readonly string[];
}

/**
 * Leases the oldest QUEUED job the agent can run, not of an excluded project, atomically; undefined
 * when none. "Can run" is job-routing.ts `canRun`: its kind is served, its labels are a subset of
 * the agent's, its fleet is the agent's (both none counts), its target is unset or this agent.
 */
export type ClaimJob = (db: Kysely<Database>, request: ClaimRequest) => Promise<JobRow | undefined>;
