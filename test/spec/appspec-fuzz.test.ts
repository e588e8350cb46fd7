// Deterministic fuzzing of the appspec parser: every fixture mutated many times gives an AppSpec
// or spec errors with known codes and positions inside the file, never another exception.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAppSpec } from '../../src/spec/appspec.js';
import { checkNoise, fixtureTexts, index, mutateFixtures, parsesOrRefusesCleanly, pick, type Mutation } from './fuzz-support.js';

const ROUNDS_PER_FIXTURE = 60;
const NOISE = [':', ': ', '-', '- ', '[', ']', '{', '}', ',', '"', "'", '#', '&a', '*a', '!', '|', '>', '\t', ' ', '  ', '\n', '~', '<<: ', '? ', '0', '..', '../', '/', '\u0000', '\r\n', '---\n'];
const REPLACEMENTS = ['{a: 1}', '[1, 2]', '0', '3601', '-1', '~', 'yes', '""', '[]', '{}', '../../etc', '/', 'u+x', '0644', 'windows', 'OVERWRITE', 'null', '*x', '&x v'];
const KEYS = ['version', 'os', 'files', 'hooks', 'permissions', 'source', 'destination', 'location', 'timeout', 'runas', 'object', 'mode', 'acls', 'type', 'Install', 'ApplicationStart'];

const MUTATIONS: readonly Mutation[] = [
  (lines, random) => lines.filter((_line, at) => at !== index(random, lines.length)),
  (lines, random) => {
    const copy = [...lines];
    const at = index(random, copy.length);
    copy.splice(at, 0, copy[at] ?? '');
    return copy;
  },
  (lines, random) => {
    const copy = [...lines];
    const at = index(random, copy.length);
    const line = copy[at] ?? '';
    const column = index(random, line.length + 1);
    copy[at] = line.slice(0, column) + pick(random, NOISE) + line.slice(column);
    return copy;
  },
  (lines, random) => {
    const copy = [...lines];
    const at = index(random, copy.length);
    const line = copy[at] ?? '';
    copy[at] = random() < 0.5 ? ' '.repeat(1 + index(random, 4)) + line : line.replace(/^ {1,3}/, '');
    return copy;
  },
  (lines, random) => {
    const copy = [...lines];
    const at = index(random, copy.length);
    const line = copy[at] ?? '';
    const replacement = pick(random, REPLACEMENTS);
    copy[at] = /:\s+\S/.test(line) ? line.replace(/:\s+.*$/, `: ${replacement}`) : line.replace(/-\s+.*$/, `- ${replacement}`);
    return copy;
  },
  (lines, random) => {
    const copy = [...lines];
    const at = index(random, copy.length);
    copy[at] = (copy[at] ?? '').replace(/^(\s*-?\s*)[\w-]+:/, `$1${pick(random, KEYS)}:`);
    return copy;
  },
];

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
