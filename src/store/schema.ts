/**
 * The tables as Kysely sees them. The same DDL runs on SQLite and PostgreSQL (migrations/), so
 * the types are one: JSON is kept as text, booleans as 0/1 integers, and times as bigint epoch
 * milliseconds. `pg` would return bigint as strings; the PostgreSQL pool parses int8 into numbers
 * (postgres-database.ts), so every column below reads back as the type written here.
 */
import type { Generated } from 'kysely';

export interface ProjectsTable {
  name: string;
  /** The whole BuildProject as JSON. */
  json: string;
  build_counter: number;
  /** Added by 0012-build-batches. */
  batch_counter: Generated<number>;
  created: number;
  last_modified: number;
}

export interface BuildsTable {
  id: string;
  project_name: string;
  build_number: number;
  build_status: string;
  current_phase: string;
  start_time: number;
  end_time: number | null;
  stop_requested: number;
  log_bytes: number;
  log_next_sequence: number;
  /** StoredBuild.record as JSON. */
  record: string;
}

export interface JobsTable {
  id: string;
  kind: string;
  project_name: string;
  state: 'QUEUED' | 'LEASED' | 'DONE';
  queued_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  attempts: number;
  started: number;
  payload: string;
  /** string[] as JSON. */
  labels: string;
  fleet: string | null;
  target: string | null;
}

export interface AgentsTable {
  id: string;
  name: string;
  /** Record<string, string> as JSON. */
  tags: string;
  registered_at: number;
  last_seen_at: number;
  fleet: string | null;
  /** string[] as JSON. */
  labels: string;
  /** JobKind[] as JSON. */
  kinds: string;
}

export interface FleetsTable {
  name: string;
  /** The whole Fleet as JSON. */
  json: string;
  created: number;
  last_modified: number;
}

export interface CredentialsTable {
  id: string;
  kind: string;
  hash: string;
  name: string;
  agent_id: string | null;
  created_at: number;
}

export interface AccessKeysTable {
  access_key_id: string;
  encrypted_secret: string;
  created_at: number;
}

export interface ParametersTable {
  namespace: string;
  name: string;
  type: string;
  value: string;
  version: number;
  last_modified: number;
}

export interface PipelinesTable {
  name: string;
  definition: string;
  version: number;
  created: number;
  updated: number;
  runtime: string;
  revision: number;
}

export interface CursorsTable {
  name: string;
  value: number;
}

export interface ComponentsTable {
  name: string;
  last_ran_at: number | null;
  last_ran_by: string | null;
  /** 0 or 1 (SQLite has no boolean). */
  paused: number;
}

export interface BuildBatchesTable {
  id: string;
  project_name: string;
  batch_number: number;
  status: string;
  start_time: number;
  end_time: number | null;
  /** Bumped by every update: an update names the revision it read (optimistic concurrency). */
  revision: number;
  /** BuildBatchState as JSON. */
  state: string;
}

export interface Database {
  build_batches: BuildBatchesTable;
  components: ComponentsTable;
  cursors: CursorsTable;
  pipelines: PipelinesTable;
  projects: ProjectsTable;
  builds: BuildsTable;
  jobs: JobsTable;
  agents: AgentsTable;
  fleets: FleetsTable;
  credentials: CredentialsTable;
  access_keys: AccessKeysTable;
  parameters: ParametersTable;
}

/** A jobs row as read back (by Kysely or by a raw claim query). */
export type JobRow = JobsTable;
