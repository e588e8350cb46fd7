// Appspec fixtures: valid/*.yml compile to valid/*.json; invalid/*.yml carry their expected errors
// in header comments (`# <the mistake>` then `# expect: CODE line:column`), as for buildspecs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { SpecErrors } from '../../src/core/errors.js';
import { parseAppSpec } from '../../src/spec/appspec.js';
import { fixtureTexts } from './fuzz-support.js';

const fixtures = fixtureTexts('appspec', (name) => name.endsWith('.yml'));
const withoutPositions = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (key, field: unknown) => (key === 'position' ? undefined : field)));

void describe('valid appspecs compile to the expected AppSpec', () => {
  for (const { name, text } of fixtures.filter((fixture) => fixture.name.startsWith('valid/'))) {
    void test(name, () => {
      const expected: unknown = JSON.parse(readFileSync(new URL(`../fixtures/appspec/${name.replace(/\.yml$/, '.json')}`, import.meta.url), 'utf8'));
      assert.deepEqual(withoutPositions(parseAppSpec(text, 'appspec.yml')), expected);
    });
  }
});

void describe('invalid appspecs are rejected with the expected code and position', () => {
  const invalid = fixtures.filter((fixture) => fixture.name.startsWith('invalid/'));
  void test('there are at least 50 malformed appspec fixtures', () => assert.ok(invalid.length >= 50, `${invalid.length}`));
  for (const { name, text } of invalid) {
    const mistake = (text.split('\n')[0] ?? '').replace(/^# /, '');
    const expected = [...text.matchAll(/^# expect: (\S+ \d+:\d+)$/gm)].map((match) => match[1]);
    void test(`${mistake} → ${expected.join(', ')}`, () => {
      assert.ok(expected.length > 0, `${name} has no "# expect: CODE line:column" line`);
      const file = name.slice('invalid/'.length);
      const thrown = (() => {
        try {
          parseAppSpec(text, file);
        } catch (error) {
          return error;
        }
        return assert.fail(`${name} was accepted`);
      })();
      assert.ok(thrown instanceof SpecErrors, `expected SpecErrors, got ${String(thrown)}`);
      assert.deepEqual(thrown.errors.map((error) => `${error.code} ${error.position?.line}:${error.position?.column}`), expected);
      for (const error of thrown.errors) {
        assert.equal(error.position?.file, file);
        assert.ok(error.message.length > 20, `message too short to act on: ${error.message}`);
      }
    });
  }
});
