/**
 * Stored JSON in an envelope `{ schemaVersion, value }`, parsed on read with a zod schema instead of
 * cast; shared by the pipeline JSON and the build records.
 */
import type { z } from 'zod';
import { NagareError } from '../core/errors.js';

/** The JSON text to store for a value: its envelope at the current schema version. */
export function storedJsonOf(value: unknown, schemaVersion: number): string {
  return JSON.stringify({ schemaVersion, value });
}

/**
 * Parses stored JSON written by storedJsonOf (or, version 0, the bare value written before the
 * envelope, in the version 1 shape): STORE_SCHEMA_TOO_NEW for a newer writer, STORE_RECORD_INVALID
 * for a shape that does not parse.
 */
export function parseStoredJson<T>(schema: z.ZodType<T>, json: string, what: string, currentVersion: number): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new NagareError('STORE_RECORD_INVALID', `The stored ${what} is not JSON`, { details: { record: what } });
  }
  // Version 0: written before the envelope, the bare value in the version 1 shape.
  const [version, value] = isEnvelope(parsed) ? [parsed.schemaVersion, parsed.value] : [0, parsed];
  if (version > currentVersion) {
    throw new NagareError('STORE_SCHEMA_TOO_NEW', `The stored ${what} has schema version ${version}; this nagare reads up to ${currentVersion}. Run the newer nagare that wrote it.`, {
      details: { record: what, schemaVersion: version },
    });
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new NagareError('STORE_RECORD_INVALID', `The stored ${what} does not have the expected shape (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown'})`, { details: { record: what } });
  }
  return result.data;
}


/**
 * `{ schemaVersion: integer ≥ 1, value }`, checked by hand: this runs on every read of a build or
 * pipeline, and a zod schema built here per call cost more than the read (bench/compare-server).
 */
function isEnvelope(parsed: unknown): parsed is { schemaVersion: number; value: unknown } {
  if (typeof parsed !== 'object' || parsed === null || !('value' in parsed) || !('schemaVersion' in parsed)) return false;
  const { schemaVersion } = parsed;
  return typeof schemaVersion === 'number' && Number.isInteger(schemaVersion) && schemaVersion >= 1;
}
