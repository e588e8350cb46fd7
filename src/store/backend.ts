/** What each backend file (sqlite-database.ts, postgres-database.ts) hands to openStore. */
import type { Kysely } from 'kysely';
import type { ClaimJob } from './claim-job.js';
import type { Database } from './schema.js';

export interface Backend {
  readonly dialect: 'sqlite' | 'postgres';
  readonly db: Kysely<Database>;
  /** The database named for messages: a file path, or a URL without its password. */
  readonly target: string;
  readonly claimJob: ClaimJob;
  /**
   * Where the migrator keeps its own tables; undefined for the default. Kysely looks for them in
   * every schema unless told, so PostgreSQL names the schema its tables go to.
   */
  migrationTableSchema(): Promise<string | undefined>;
}
