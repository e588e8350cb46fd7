/**
 * `on-failure` values (reference §1.6, decisions.md item 1): ABORT, CONTINUE, RETRY,
 * RETRY-<count>, RETRY-<regex>, RETRY-<count>-<regex>, keywords in any case.
 */
import type { OnFailure } from '../core/buildspec.js';

export const DEFAULT_RETRY_COUNT = 3;
export const DEFAULT_RETRY_PATTERN = '.*';
export const MAX_RETRY_COUNT = 100;

export type OnFailureResult = { readonly ok: true; readonly value: OnFailure } | { readonly ok: false; readonly problem: string };

const FORMS = 'ABORT, CONTINUE, RETRY, RETRY-<count>, RETRY-<regex> or RETRY-<count>-<regex>';

/**
 * After `RETRY-`, the first `-`-separated field, when it is all digits, is the count and everything
 * after the next `-` is the regex; otherwise everything after `RETRY-` is the regex.
 */
export function parseOnFailure(text: string): OnFailureResult {
  const keyword = text.toUpperCase();
  if (keyword === 'ABORT') return { ok: true, value: { kind: 'ABORT' } };
  if (keyword === 'CONTINUE') return { ok: true, value: { kind: 'CONTINUE' } };
  if (keyword === 'RETRY') return retry(DEFAULT_RETRY_COUNT, DEFAULT_RETRY_PATTERN);
  if (!keyword.startsWith('RETRY-')) {
    return { ok: false, problem: `\`${text}\` is not an on-failure value; use ${FORMS}.` };
  }
  const rest = text.slice('RETRY-'.length);
  const dash = rest.indexOf('-');
  const first = dash === -1 ? rest : rest.slice(0, dash);
  if (!/^[0-9]+$/.test(first)) return pattern(text, DEFAULT_RETRY_COUNT, rest);
  const count = Number(first);
  if (count > MAX_RETRY_COUNT) {
    return { ok: false, problem: `\`${text}\` asks for ${first} retries; the count must be between 0 and ${MAX_RETRY_COUNT}.` };
  }
  return dash === -1 ? retry(count, DEFAULT_RETRY_PATTERN) : pattern(text, count, rest.slice(dash + 1));
}

function pattern(text: string, count: number, regex: string): OnFailureResult {
  if (regex === '') {
    return { ok: false, problem: `\`${text}\` ends with \`-\` but has no regex after it; remove the trailing \`-\` or add a pattern.` };
  }
  try {
    new RegExp(regex);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, problem: `The retry pattern \`${regex}\` in \`${text}\` is not a valid regular expression (${reason}).` };
  }
  return retry(count, regex);
}

function retry(count: number, regex: string): OnFailureResult {
  return { ok: true, value: { kind: 'RETRY', count, pattern: regex } };
}
