/**
 * The SQLite claim: the same UPDATE … RETURNING inside BEGIN IMMEDIATE, run synchronously on the
 * better-sqlite3 handle. IMMEDIATE takes the write lock before reading, so another process on the
 * same file waits (busy_timeout) instead of leasing the same row; running it with no await in
 * between means no other query of this process can interleave, and holding Kysely's connection
 * while it runs keeps it out of any Kysely transaction. Labels are JSON text: "no label of the job
 * is missing from the agent's" is the NOT EXISTS over json_each; `IS` makes "no fleet" match only
 * "no fleet".
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { ClaimJob, ClaimRequest } from './claim-job.js';
import type { JobRow } from './schema.js';
import { toStoreError } from './store-errors.js';

const CLAIM_SQL = `
  UPDATE jobs
     SET state = 'LEASED', lease_owner = @agentId, lease_expires_at = @leaseExpiresAt, attempts = attempts + 1
   WHERE id = (
     SELECT id FROM jobs
      WHERE state = 'QUEUED' AND project_name NOT IN (SELECT value FROM json_each(@excludeProjects))
        AND kind IN (SELECT value FROM json_each(@kinds))
        AND NOT EXISTS (SELECT 1 FROM json_each(jobs.labels) AS needed WHERE needed.value NOT IN (SELECT value FROM json_each(@labels)))
        AND fleet IS @fleet
        AND (target IS NULL OR target = @agentId)
      ORDER BY queued_at, id
      LIMIT 1)
     AND state = 'QUEUED'
  RETURNING *`;

export function sqliteClaimJob(database: BetterSqlite3.Database, target: string): ClaimJob {
  let claim: ((request: ClaimRequest) => JobRow | undefined) | undefined;
  return (db, request) =>
    db.connection().execute(() => {
      try {
        // Prepared on first use: the jobs table exists only once migrations have run.
        claim ??= prepare(database);
        return Promise.resolve(claim(request));
      } catch (error) {
        return Promise.reject(toStoreError(error, target));
      }
    });
}

function prepare(database: BetterSqlite3.Database): (request: ClaimRequest) => JobRow | undefined {
  const statement = database.prepare<[Record<string, unknown>], JobRow>(CLAIM_SQL);
  const transaction = database.transaction((request: ClaimRequest) =>
    statement.get({
      agentId: request.agent.id,
      leaseExpiresAt: request.leaseExpiresAt,
      excludeProjects: JSON.stringify(request.excludeProjects),
      kinds: JSON.stringify(request.agent.kinds),
      labels: JSON.stringify(request.agent.labels),
      fleet: request.agent.fleet ?? null,
    }),
  );
  return (request) => transaction.immediate(request);
}
