// Deterministic fuzzing of the appspec parser: every fixture mutated many times gives an AppSpec
// or spec errors with known codes and positions inside the file, never another exception.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAppSpec } from '../../src/spec/appspec.js';
import { checkNoise, fixtureTexts, lineMutations, mutateFixtures, parsesOrRefusesCleanly } from './fuzz-support.js';

const ROUNDS_PER_FIXTURE = 60;
const NOISE = [':', ': ', '-', '- ', '[', ']', '{', '}', ',', '"', "'", '#', '&a', '*a', '!', '|', '>', '\t', ' ', '  ', '\n', '~', '<<: ', '? ', '0', '..', '../', '/', '\u0000', '\r\n', '---\n'];
const REPLACEMENTS = ['{a: 1}', '[1, 2]', '0', '3601', '-1', '~', 'yes', '""', '[]', '{}', '../../etc', '/', 'u+x', '0644', 'windows', 'OVERWRITE', 'null', '*x', '&x v'];
const KEYS = ['version', 'os', 'files', 'hooks', 'permissions', 'source', 'destination', 'location', 'timeout', 'runas', 'object', 'mode', 'acls', 'type', 'Install', 'ApplicationStart'];

const MUTATIONS = lineMutations(NOISE, REPLACEMENTS, KEYS);

function checkContract(text: string, where: string): void {
  const spec = parsesOrRefusesCleanly(parseAppSpec, text, 'fuzz.yml', where) as { version?: unknown; files?: { destination: string; source: string }[]; hooks?: Record<string, { location: string; timeout: number }[]> } | undefined;
  if (spec === undefined) return;
  assert.equal(spec.version, '0.0', where);
  // Whatever is accepted stays inside the revision and has bounded timeouts.
  for (const file of spec.files ?? []) {
    assert.ok(!file.source.startsWith('..') && file.destination.startsWith('/'), `${where}: ${JSON.stringify(file)}`);
  }
  for (const scripts of Object.values(spec.hooks ?? {})) {
    for (const script of scripts) assert.ok(!script.location.startsWith('..') && script.timeout >= 1 && script.timeout <= 3600, `${where}: ${JSON.stringify(script)}`);
  }
}

void test('mutated appspecs give an AppSpec or spec errors with known codes and positions, never another exception', () => {
  const runs = mutateFixtures(fixtureTexts('appspec', (name) => name.endsWith('.yml')), MUTATIONS, ROUNDS_PER_FIXTURE, checkContract);
  assert.ok(runs >= 4000, `only ${runs} runs`);
});

void test('arbitrary text, including binary noise, never escapes the appspec parser as another exception', () => {
  checkNoise('ab: -[]{}#&*!|>\'"\n\t  0123456789.~%@`,?\\/\u00e9', checkContract);
});
