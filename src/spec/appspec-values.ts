/**
 * Values shared by the appspec readers. Paths in an appspec: revision paths (`files.source`, hook `location`) are relative to the
 * revision's root even with a leading `/` (§2.2) and may never lead out of it; instance paths
 * (`files.destination`, `permissions.object`) are absolute. Pure string work, no I/O.
 */
import path from 'node:path';
import type { Field, SpecReader } from './yaml-reader.js';

/** A revision path normalised (`/`-separated, no leading `/`, `.` for the root), or undefined when it leads out. */
export function revisionPath(written: string): string | undefined {
  const slashed = written.replace(/\\/g, '/').replace(/^\/+/, '');
  const normalised = path.posix.normalize(slashed === '' ? '.' : slashed).replace(/\/+$/, '') || '.';
  if (normalised === '..' || normalised.startsWith('../')) return undefined;
  return normalised;
}

/** An absolute instance path normalised, or undefined when `written` is not absolute. */
export function instancePath(written: string): string | undefined {
  if (!written.startsWith('/')) return undefined;
  return path.posix.normalize(written).replace(/(.)\/+$/, '$1');
}

/** A required, non-empty single value. */
export function requiredText(reader: SpecReader, field: Field, what: string, example: string): string | undefined {
  const text = reader.text(field, what);
  if (field.value === undefined || text === '') {
    reader.report('SPEC_INVALID_VALUE', `${what} is empty; write ${example}.`, field.valueNode, field.path);
    return undefined;
  }
  return text;
}
