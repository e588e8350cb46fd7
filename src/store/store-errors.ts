/**
 * Driver errors turned into NagareErrors in one place: a unique violation is STORE_CONFLICT,
 * a database that cannot be reached (or opened, or is locked) is STORE_UNAVAILABLE with a hint of
 * what to check. Anything else (a bug in a query) is passed on unchanged.
 */
import { NagareError } from '../core/errors.js';

const UNIQUE_SQLITE = new Set(['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE']);
const UNAVAILABLE_SQLITE = /^SQLITE_(BUSY|LOCKED|CANTOPEN|READONLY|IOERR|FULL|NOTADB|CORRUPT|PERM)/;
const UNAVAILABLE_NODE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE']);
// 08: connection exception; 28: authorisation; 3D000: no such database; 53: resources; 57P: shutdown.
const UNAVAILABLE_PG = /^(08|28|3D000|53|57P)/;
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Cannot use a pool after calling end|database connection is not open/i;

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return messageOf(error.errors[0]);
  return error instanceof Error ? error.message : String(error);
}

export function isUniqueViolation(error: unknown): boolean {
  const code = codeOf(error);
  return UNIQUE_SQLITE.has(code) || code === '23505';
}

export function isUnavailable(error: unknown): boolean {
  const code = codeOf(error) || codeOf((error as { errors?: unknown[] } | null)?.errors?.[0]);
  return UNAVAILABLE_SQLITE.test(code) || UNAVAILABLE_NODE.has(code) || UNAVAILABLE_PG.test(code) || UNAVAILABLE_MESSAGES.test(messageOf(error));
}

/**
 * The NagareError for a driver error, or the error itself. `target` names the database for the
 * message (a path, or a URL without its password).
 */
export function toStoreError(error: unknown, target: string): Error {
  if (error instanceof NagareError) return error;
  if (isUniqueViolation(error)) {
    return new NagareError('STORE_CONFLICT', `already exists: ${messageOf(error)}`, { cause: error });
  }
  if (isUnavailable(error)) {
    const hint = /^postgres/i.test(target)
      ? 'check --database-url, and that PostgreSQL is running at that address and accepts this user and database'
      : 'check that the file and its directory are writable and that no other program holds a lock on it';
    return new NagareError('STORE_UNAVAILABLE', `the database ${target} is unavailable (${messageOf(error)}); ${hint}`, { cause: error, details: { database: target } });
  }
  return error instanceof Error ? error : new Error(messageOf(error));
}

/** Rethrows STORE_CONFLICT with a message naming what already exists. */
export async function conflictAs<T>(work: Promise<T>, what: string): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof NagareError && error.code === 'STORE_CONFLICT') {
      throw new NagareError('STORE_CONFLICT', `${what} already exists`, { cause: error.cause ?? error });
    }
    throw error;
  }
}

/** A URL with its password replaced, fit for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}
