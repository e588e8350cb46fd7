/**
 * The SQLite backend: one better-sqlite3 connection on a file, in WAL mode so readers never block
 * the writer, NORMAL sync (durable at each WAL checkpoint; safe against application crashes),
 * foreign keys on, and a busy timeout for another process holding the write lock.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteDialect } from 'kysely';
import { NagareError } from '../core/errors.js';
import { sqliteClaimJob } from './claim-job-sqlite.js';
import type { Backend } from './backend.js';
import { errorMappingDialect } from './error-mapping-dialect.js';
import type { Database } from './schema.js';

const BUSY_TIMEOUT_MS = 5000;

/**
 * SQLite does roll back DDL, but Kysely's adapter says otherwise (to be safe on every SQLite
 * driver); saying so lets the migrator run each migration in a transaction, all or nothing.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class NagareSqliteDialect extends SqliteDialect {
  override createAdapter(): SqliteAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

export function openSqlite(path: string): Backend {
  let database: BetterSqlite3.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    database = new BetterSqlite3(path);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
    database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  } catch (error) {
    throw new NagareError('STORE_UNAVAILABLE', `cannot open the SQLite database ${path} (${error instanceof Error ? error.message : String(error)}); check that the data directory is writable and that the file is a SQLite database`, { cause: error, details: { database: path } });
  }
  const db = new Kysely<Database>({ dialect: errorMappingDialect(new NagareSqliteDialect({ database }), path) });
  return { dialect: 'sqlite', db, target: path, claimJob: sqliteClaimJob(database, path), migrationTableSchema: () => Promise.resolve(undefined) };
}
