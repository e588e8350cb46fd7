// Fixture-driven pipeline definition tests: valid/<name>.json|yml compile to valid/<name>.expected.json;
// invalid/<name>.yml carry their expected errors in header comments (`# <the mistake>` then
// `# expect: CODE line:column`), invalid/<name>.json in a sibling <name>.expect with the same lines.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SpecErrors } from '../../src/core/errors.js';
import { parsePipeline } from '../../src/spec/pipeline.js';

const fixtures = fileURLToPath(new URL('../fixtures/pipeline/', import.meta.url));
const definitions = (folder: string): string[] =>
  readdirSync(`${fixtures}${folder}`).filter((name) => /\.(json|yml)$/.test(name) && !name.endsWith('.expected.json')).sort();

/** The compiled definition as JSON: undefined fields dropped. */
function comparable(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

void describe('valid pipeline definitions compile to the expected PipelineDefinition', () => {
  for (const name of definitions('valid')) {
    void test(name, () => {
      const text = readFileSync(`${fixtures}valid/${name}`, 'utf8');
      const expected: unknown = JSON.parse(readFileSync(`${fixtures}valid/${name.replace(/\.(json|yml)$/, '.expected.json')}`, 'utf8'));
      assert.deepEqual(comparable(parsePipeline(text, name)), expected);
    });
  }
});

interface Expectation {
  readonly mistake: string;
  readonly errors: readonly string[];
}

function expectationOf(name: string): Expectation {
  const sidecar = `${fixtures}invalid/${name.replace(/\.json$/, '.expect')}`;
  const text = name.endsWith('.json') && existsSync(sidecar) ? readFileSync(sidecar, 'utf8') : readFileSync(`${fixtures}invalid/${name}`, 'utf8');
  const first = text.split('\n')[0] ?? '';
  const errors = [...text.matchAll(/^# expect: (\S+ \d+:\d+)$/gm)].map((match) => match[1] ?? '');
  assert.ok(first.startsWith('# ') && !first.startsWith('# expect:'), `${name} must start with "# <the mistake>"`);
  assert.ok(errors.length > 0, `${name} must have at least one "# expect: CODE line:column" line`);
  return { mistake: first.slice(2), errors };
}

void describe('invalid pipeline definitions are rejected with the expected code and position', () => {
  for (const name of definitions('invalid')) {
    const { mistake, errors } = expectationOf(name);
    void test(`${mistake} → ${errors.join(', ')}`, () => {
      const text = readFileSync(`${fixtures}invalid/${name}`, 'utf8');
      const thrown = (() => {
        try {
          parsePipeline(text, name);
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
