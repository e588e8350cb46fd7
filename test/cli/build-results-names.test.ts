/**
 * Issue 13, attack test of `nagare build artifacts -o DIR`: an artifact's name comes from the
 * build's buildspec, so it is written only as a plain file name inside DIR.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { artifactFileName } from '../../src/cli/commands/build-results.js';

test('an artifact name that is a path, a parent directory or empty is refused, never written outside -o DIR', () => {
  for (const name of ['../../etc/cron.d/evil', '/etc/passwd', 'a/b.zip', '..', '.', '', 'a\\b.zip', 'x\0.zip']) {
    assert.throws(() => artifactFileName(name), /is not a plain file name; not written/, name);
  }
  assert.equal(artifactFileName('result.zip'), 'result.zip');
});
