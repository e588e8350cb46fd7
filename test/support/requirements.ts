/**
 * Tests that need something the machine may lack (a Docker engine, an image, PostgreSQL) skip with
 * a message saying what is missing — except in CI, which provides everything: there a missing
 * requirement is a failing test, so that nothing is silently skipped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

/** The `skip` option for a test needing `what`: false when available, the reason otherwise. */
export function requirement(what: string, missing: string | undefined): string | false {
  if (missing === undefined) return false;
  if (process.env.CI === 'true') {
    test(`CI provides ${what}`, () => assert.fail(`${what} is missing in CI: ${missing}`));
    return false;
  }
  return missing;
}
