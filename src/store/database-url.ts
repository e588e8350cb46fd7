/**
 * The database URL forms nagare accepts:
 *   sqlite:///abs/path/nagare.db   (three slashes: an absolute path)
 *   sqlite://relative/nagare.db    (relative to the working directory)
 *   /abs/path/nagare.db, ./nagare.db, :memory:   (a plain path is a SQLite file)
 *   postgres://user:password@host:5432/db?options=-c%20search_path%3Dnagare   (or postgresql://)
 */
import { NagareError } from '../core/errors.js';

export type DatabaseLocation = { readonly dialect: 'sqlite'; readonly path: string } | { readonly dialect: 'postgres'; readonly url: string };

export function parseDatabaseUrl(url: string): DatabaseLocation {
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: 'postgres', url };
  if (/^sqlite:\/\//i.test(url)) {
    const path = decodeURIComponent(url.slice('sqlite://'.length));
    if (path === '') throw invalid(url);
    return { dialect: 'sqlite', path };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || url.trim() === '') throw invalid(url);
  return { dialect: 'sqlite', path: url };
}

/** The default: a SQLite file in the data directory. */
export function defaultDatabaseUrl(dataDirectory: string): string {
  return `sqlite://${dataDirectory.replace(/\/+$/, '')}/nagare.db`;
}

function invalid(url: string): NagareError {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  return new NagareError(
    'STORE_UNAVAILABLE',
    `unsupported database URL ${scheme === undefined ? `'${url}'` : `scheme '${scheme}:'`}; use sqlite:///path/to/nagare.db or postgres://user@host:5432/database`,
    { details: { scheme: scheme ?? '' } },
  );
}
