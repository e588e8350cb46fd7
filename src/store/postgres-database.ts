/**
 * The PostgreSQL backend: a `pg` pool. int8 (bigint: our epoch-millisecond times, counts) is
 * parsed into numbers for this pool only, instead of pg's default strings; times stay far below
 * 2^53. The search path and other settings come from the URL (`?options=-c search_path=…`).
 */
import { Kysely, PostgresDialect, sql, type DatabaseIntrospector, type TableMetadata } from 'kysely';
import pg from 'pg';
import { NagareError } from '../core/errors.js';
import { postgresClaimJob } from './claim-job-postgres.js';
import type { Backend } from './backend.js';
import { errorMappingDialect } from './error-mapping-dialect.js';
import type { Database } from './schema.js';
import { redactUrl } from './store-errors.js';

const INT8_OID = 20;
const CONNECT_TIMEOUT_MS = 10_000;

const parseInt8 = (value: string): number => Number(value);

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export function openPostgres(url: string): Backend {
  const target = redactUrl(url);
  const pool = new pg.Pool({ connectionString: url, types, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, max: 10 });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const dialect = errorMappingDialect(new PostgresDialect({ pool }), target);
  const db = new Kysely<Database>({ dialect: { ...dialect, createIntrospector: (kysely) => currentSchemaIntrospector(kysely) } });
  return { dialect: 'postgres', db, target, claimJob: postgresClaimJob, migrationTableSchema: () => currentSchema(db, target) };
}

/** The schema new tables go to: the first existing one of the search path. */
async function currentSchema(db: Kysely<Database>, target: string): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`SELECT current_schema() AS schema`.execute(db);
  const schema = rows[0]?.schema;
  if (schema === null || schema === undefined) {
    throw new NagareError('STORE_UNAVAILABLE', `no schema of the search path exists in ${target}; create the schema, or fix search_path in the URL's options`, { details: { database: target } });
  }
  return schema;
}

/**
 * What the migrator asks of the database's tables, read from this server's schema only. Kysely's
 * own introspector reads every schema's columns through functions (has_schema_privilege,
 * pg_get_serial_sequence) that fail with "schema … does not exist" when another schema is dropped
 * meanwhile — another nagare's or a test's on a shared database — which failed the migration.
 */
function currentSchemaIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
  const getTables = async (): Promise<TableMetadata[]> => {
    const { rows } = await sql<{ name: string; schema: string; kind: string }>`
      SELECT c.relname AS name, n.nspname AS schema, c.relkind AS kind
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'p')`.execute(db);
    return rows.map((row) => ({ name: row.name, schema: row.schema, isView: row.kind === 'v', columns: [] }));
  };
  return {
    getSchemas: async () => (await sql<{ name: string }>`SELECT nspname AS name FROM pg_catalog.pg_namespace`.execute(db)).rows,
    getTables,
    getMetadata: async () => ({ tables: await getTables() }),
  };
}
