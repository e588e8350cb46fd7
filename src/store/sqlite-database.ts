/**
 * The SQLite backend: one better-sqlite3 connection on a file, in WAL mode so readers never block
 * the writer, NORMAL sync (durable at each WAL checkpoint; safe against application crashes),
 * foreign keys on, and a busy timeout for another process holding the write lock.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteDialect, type SqliteDatabase } from 'kysely';
import { NagareError } from '../core/errors.js';
import { sqliteClaimJob } from './claim-job-sqlite.js';
import type { Backend } from './backend.js';
import { errorMappingDialect } from './error-mapping-dialect.js';
import type { Database } from './schema.js';

const BUSY_TIMEOUT_MS = 5000;
/** Distinct SQL texts kept prepared; `IN (?, ?, …)` lists of every length make the set open-ended. */
const STATEMENT_CACHE_SIZE = 500;

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
  const db = new Kysely<Database>({ dialect: errorMappingDialect(new NagareSqliteDialect({ database: cachingStatements(database) }), path) });
  return { dialect: 'sqlite', db, target: path, claimJob: sqliteClaimJob(database, path), migrationTableSchema: () => Promise.resolve(undefined) };
}

/**
 * Kysely prepares every query it runs; preparing (parsing and planning the SQL) cost about as much
 * as running nagare's small queries (bench/queue). The handle Kysely gets keeps prepared statements
 * by SQL text. A statement still iterating (a streamed query) is busy and cannot be reused, so a
 * busy one is prepared afresh.
 */
function cachingStatements(database: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => database.close(),
    prepare(sql) {
      const cached = statements.get(sql);
      if (cached && !cached.busy) return cached;
      const statement = database.prepare(sql);
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
      statements.set(sql, statement);
      return statement;
    },
  };
}
