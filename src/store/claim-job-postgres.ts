/**
 * The PostgreSQL claim, graphile-worker style: one statement; the inner SELECT locks the oldest
 * QUEUED row this agent can run with FOR UPDATE SKIP LOCKED, so concurrent claimers each take a
 * different job and never wait on one another. (A claimer may find nothing while another commits;
 * it retries on its next poll.) Labels are JSON text: `labels::jsonb <@ agent's` is "every label
 * the job needs, the agent has"; IS NOT DISTINCT FROM makes "no fleet" match only "no fleet".
 */
import { sql } from 'kysely';
import type { ClaimJob } from './claim-job.js';
import type { JobRow } from './schema.js';

export const postgresClaimJob: ClaimJob = async (db, { agent, leaseExpiresAt, excludeProjects }) => {
  const result = await sql<JobRow>`
    UPDATE jobs
       SET state = 'LEASED', lease_owner = ${agent.id}, lease_expires_at = ${leaseExpiresAt}, attempts = attempts + 1
     WHERE id = (
       SELECT id FROM jobs
        WHERE state = 'QUEUED' AND project_name <> ALL(${[...excludeProjects]}::text[])
          AND kind = ANY(${[...agent.kinds]}::text[])
          AND labels::jsonb <@ ${JSON.stringify(agent.labels)}::jsonb
          AND fleet IS NOT DISTINCT FROM ${agent.fleet ?? null}::text
          AND (target IS NULL OR target = ${agent.id})
        ORDER BY queued_at, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED)
    RETURNING *`.execute(db);
  return result.rows[0];
};
