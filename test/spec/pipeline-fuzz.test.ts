// Deterministic fuzzing: mutate every pipeline fixture (JSON and YAML) many times and check that
// parsePipeline either returns a PipelineDefinition or throws spec errors with known codes and
// positions inside the file, never anything else (no TypeError, no stack trace for bad input).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkNoise, fixtureTexts, index, mutateFixtures, parsesOrRefusesCleanly, pick, type Mutation, type Random } from './fuzz-support.js';
import { parsePipeline } from '../../src/spec/pipeline.js';

const ROUNDS_PER_FIXTURE = 60;


const NOISE = [':', ': ', '-', '- ', '[', ']', '{', '}', ',', '"', "'", '#', '&a', '*a', '!', '|', '>', '@', '`', '\t', ' ', '\n', '~', '<<: ', '? ', '0', '€', '\u0000', '\r\n', '---\n'];
const VALUES = ['{}', '[]', '[{}]', '[1, 2]', '0', '-1', '1.5', '1000000', '"1"', 'null', 'true', '""', '"x"', '"Source"', '"Src"', '"V2"', '"QUEUED"',
  '"CodeDeploy"', '"Manual"', '"Commands"', '"[{\\"name\\":1}]"', '[{"name": "Src"}]', '{"includes": []}', '{"result": "FAIL"}', '&x v', '*x'];
const KEYS = ['name', 'stages', 'actions', 'runOrder', 'inputArtifacts', 'outputArtifacts', 'configuration', 'namespace', 'timeoutInMinutes', 'commands',
  'triggers', 'variables', 'executionMode', 'pipelineType', 'onFailure', 'tags', 'branches', 'push', 'pipeline', 'x-y'];


function atRandomLine(lines: string[], random: Random, change: (line: string) => string): string[] {
  const copy = [...lines];
  const at = index(random, copy.length);
  copy[at] = change(copy[at] ?? '');
  return copy;
}

const MUTATIONS: readonly Mutation[] = [
  function deleteLine(lines, random) {
    const copy = [...lines];
    copy.splice(index(random, copy.length), 1);
    return copy;
  },
  function duplicateLine(lines, random) {
    const copy = [...lines];
    const at = index(random, copy.length);
    copy.splice(at, 0, copy[at] ?? '');
    return copy;
  },
  function swapLines(lines, random) {
    const copy = [...lines];
    const a = index(random, copy.length);
    const b = index(random, copy.length);
    [copy[a], copy[b]] = [copy[b] ?? '', copy[a] ?? ''];
    return copy;
  },
  (lines, random) => atRandomLine(lines, random, (line) => {
    const column = index(random, line.length + 1);
    return line.slice(0, column) + pick(random, NOISE) + line.slice(column);
  }),
  (lines, random) => atRandomLine(lines, random, (line) => (random() < 0.5 ? ' '.repeat(1 + index(random, 4)) + line : line.replace(/^ {1,3}/, ''))),
  // Replace the value after a key, JSON or YAML style, keeping a trailing comma.
  (lines, random) => atRandomLine(lines, random, (line) => line.replace(/(:\s*)("[^"]*"|[^,{[\s][^,]*|\[[^\]]*\]|\{[^}]*\})(,?)\s*$/, `$1${pick(random, VALUES)}$3`)),
  // Rename a key.
  (lines, random) => atRandomLine(lines, random, (line) => line.replace(/^(\s*-?\s*)("?)[\w-]+\2:/, `$1$2${pick(random, KEYS)}$2:`)),
  // Drop a comma, a classic JSON mistake.
  (lines, random) => atRandomLine(lines, random, (line) => line.replace(/,\s*$/, '')),
];

function fixtures(): { name: string; text: string }[] {
  return fixtureTexts('pipeline', (name) => /\.(json|yml)$/.test(name) && !name.endsWith('.expected.json'));
}

/** Asserts the one contract of parsePipeline for any input. */
function checkContract(text: string, where: string): void {
  const result = parsesOrRefusesCleanly(parsePipeline, text, 'fuzz.json', where);
  if (result === undefined) return;
  const definition = result as { stages?: unknown[]; name?: unknown };
  assert.ok(Array.isArray(definition.stages) && definition.stages.length >= 2, `${where}: accepted with fewer than 2 stages`);
  assert.equal(typeof definition.name, 'string');
}

void test('mutated pipeline definitions give a PipelineDefinition or spec errors with known codes and positions, never another exception', () => {
  const runs = mutateFixtures(fixtures(), MUTATIONS, ROUNDS_PER_FIXTURE, checkContract);
  assert.ok(runs >= 4000, `only ${runs} runs`);
});

void test('arbitrary text, including binary noise, never escapes as another exception', () => {
  checkNoise('{}[]":,ab -#&*!|>\'\n\t 0123456789.~%@`?\\\u00e9\u3042', checkContract);
});
