// The pipeline corpus (test/compat/pipelines/): real-world-shaped pipeline definitions, each
// validated as expectations.json says — compiled (GitHub, connection, batch, V2 triggers and
// Commands actions included) or refused with the code and feature named.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SpecErrors } from '../../src/core/errors.js';
import { parsePipeline } from '../../src/spec/pipeline.js';

const corpus = fileURLToPath(new URL('./pipelines/', import.meta.url));
const expectations = JSON.parse(readFileSync(path.join(corpus, 'expectations.json'), 'utf8')) as Record<string, string>;
const files = readdirSync(corpus).filter((name) => name !== 'expectations.json').sort();

void describe('pipelines of the compat corpus are accepted or refused as expected', () => {
  void test('the corpus has at least 10 pipelines, each with an expectation', () => {
    assert.ok(files.length >= 10);
    assert.deepEqual(files, Object.keys(expectations).sort());
  });
  for (const name of files) {
    const expected = expectations[name] ?? 'missing';
    void test(`${name}: ${expected}`, () => {
      const text = readFileSync(path.join(corpus, name), 'utf8');
      if (expected === 'valid') {
        const definition = parsePipeline(text, name);
        assert.ok(definition.stages.length >= 2);
        return;
      }
      const [code, feature] = expected.split(' ');
      try {
        parsePipeline(text, name);
      } catch (error) {
        assert.ok(error instanceof SpecErrors, String(error));
        assert.deepEqual(error.errors.map((e) => [e.code, e.details['feature']]), [[code, feature]]);
        assert.ok((error.errors[0]?.message ?? '').length > 60, 'the refusal says what to do');
        return;
      }
      assert.fail(`${name} was accepted`);
    });
  }
});
