// Deterministic fuzzing: mutate every buildspec fixture thousands of times and check that the
// parser either returns a BuildSpec or throws spec errors with known codes and positions, never
// anything else (no TypeError, no stack trace for bad input).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkNoise, fixtureTexts, lineMutations, mutateFixtures, parsesOrRefusesCleanly } from './fuzz-support.js';
import { parseBuildspec } from '../../src/spec/buildspec.js';

const ROUNDS_PER_FIXTURE = 50;


const NOISE = [':', ': ', '-', '- ', '[', ']', '{', '}', ',', '"', "'", '#', '&a', '*a', '!', '!!str ', '|', '>', '%', '@', '`', '\t', ' ', '  ', '\n', '~', '<<: ', '? ', '0', '€', '\u0000', '\r\n', '---\n'];
const REPLACEMENTS = ['{a: 1}', '[1, 2]', '42', '3.10', '~', 'yes', 'NO', '""', '[]', '{}', '&x v', '*x', '!Ref x', '|\n  block', '- item', 'RETRY-5-x', 'CODEBUILD_X', 'null'];


const MUTATIONS = lineMutations(NOISE, REPLACEMENTS, ['batch', 'Build', 'commands', 'files', 'version', 'variables', 'x-y']);

function fixtures(): { name: string; text: string }[] {
  return fixtureTexts('buildspec', (name) => name.endsWith('.yml'));
}

/** Asserts the one contract of parseBuildspec for any input. */
function checkContract(text: string, where: string): void {
  const result = parsesOrRefusesCleanly(parseBuildspec, text, 'fuzz.yml', where);
  if (result === undefined) return;
  const spec = result as { version?: unknown; phases?: unknown };
  assert.ok(spec.version === '0.1' || spec.version === '0.2', `${where}: accepted with version ${String(spec.version)}`);
  assert.equal(typeof spec.phases, 'object');
}

void test('mutated buildspecs give a BuildSpec or spec errors with known codes and positions, never another exception', () => {
  const runs = mutateFixtures(fixtures(), MUTATIONS, ROUNDS_PER_FIXTURE, checkContract);
  assert.ok(runs >= 5000, `only ${runs} runs`);
});

void test('arbitrary text, including binary noise, never escapes as another exception', () => {
  checkNoise('ab: -[]{}#&*!|>\'"\n\t  0123456789.~%@`,?\\\u00e9\u3042', checkContract);
});
