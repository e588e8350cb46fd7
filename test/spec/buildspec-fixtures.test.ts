// Fixture-driven spec tests: valid/*.yml compile to valid/*.json; invalid/*.yml carry their
// expected errors in header comments (`# <the mistake>` then `# expect: CODE line:column`).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BuildSpec } from '../../src/core/buildspec.js';
import { SpecErrors } from '../../src/core/errors.js';
import { parseBuildspec } from '../../src/spec/buildspec.js';

const fixtures = fileURLToPath(new URL('../fixtures/buildspec/', import.meta.url));
const yamlFiles = (folder: string): string[] => readdirSync(`${fixtures}${folder}`).filter((name) => name.endsWith('.yml')).sort();

/**
 * The compiled spec as JSON: undefined fields dropped, phase positions left out (they are checked
 * elsewhere), warnings as `CODE line:column message` and only when there are some.
 */
function comparable(value: BuildSpec): unknown {
  const { warnings, ...spec } = value;
  const compiled: unknown = JSON.parse(JSON.stringify(spec, (key, field: unknown) => (key === 'position' ? undefined : field)));
  if (warnings.length === 0) return compiled;
  return { ...(compiled as object), warnings: warnings.map((w) => `${w.code} ${w.position.line}:${w.position.column} ${w.message}`) };
}

void describe('valid buildspecs compile to the expected BuildSpec', () => {
  for (const name of yamlFiles('valid')) {
    void test(name.replace(/\.yml$/, ''), () => {
      const text = readFileSync(`${fixtures}valid/${name}`, 'utf8');
      const expected: unknown = JSON.parse(readFileSync(`${fixtures}valid/${name.replace(/\.yml$/, '.json')}`, 'utf8'));
      assert.deepEqual(comparable(parseBuildspec(text, 'buildspec.yml')), expected);
    });
  }
});

interface Expectation {
  readonly mistake: string;
  readonly errors: readonly string[];
}

function expectationOf(name: string, text: string): Expectation {
  const first = text.split('\n')[0] ?? '';
  const errors = [...text.matchAll(/^# expect: (\S+ \d+:\d+)$/gm)].map((match) => match[1] ?? '');
  assert.ok(first.startsWith('# ') && !first.startsWith('# expect:'), `${name} must start with "# <the mistake>"`);
  assert.ok(errors.length > 0, `${name} must have at least one "# expect: CODE line:column" line`);
  return { mistake: first.slice(2), errors };
}

void describe('invalid buildspecs are rejected with the expected code and position', () => {
  for (const name of yamlFiles('invalid')) {
    const text = readFileSync(`${fixtures}invalid/${name}`, 'utf8');
    const { mistake, errors } = expectationOf(name, text);
    void test(`${mistake} → ${errors.join(', ')}`, () => {
      const thrown = (() => {
        try {
          parseBuildspec(text, name);
        } catch (error) {
          return error;
        }
        return assert.fail(`${name} was accepted`);
      })();
      assert.ok(thrown instanceof SpecErrors, `expected SpecErrors, got ${String(thrown)}`);
      assert.deepEqual(thrown.errors.map((error) => `${error.code} ${error.position?.line}:${error.position?.column}`), errors);
      for (const error of thrown.errors) {
        assert.equal(error.position?.file, name);
        assert.ok(error.message.length > 20, `message too short to act on: ${error.message}`);
      }
    });
  }
});
