/** `--max-log-mib` of `nagare build`, `up`, `server` and `agent` (finding 11). */
import { NagareError } from '../core/errors.js';
import { DEFAULT_LOG_LIMIT_BYTES } from '../core/log-limits.js';

/** Whole mebibytes from 1; 256 MiB when unset. Returns bytes. */
export function parseLogLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LOG_LIMIT_BYTES;
  const mib = Number(value);
  if (!Number.isInteger(mib) || mib < 1 || mib > 1024 * 1024) {
    throw new NagareError('CONFIG_INVALID', `--max-log-mib must be a whole number of MiB from 1, not '${value}'`);
  }
  return mib * 1024 * 1024;
}
