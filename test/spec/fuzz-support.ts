/**
 * What the spec fuzz tests share: a seeded generator, the fixtures to mutate, and the one contract
 * every spec parser keeps for any input — a value, or SpecErrors whose every problem has a known
 * code and a position inside the file; never another exception.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES, NagareError, SpecErrors } from '../../src/core/errors.js';

export const SEED = 0x6e616761; // "naga"
const SPEC_CODES = new Set<string>(ERROR_CODES.filter((code) => code.startsWith('SPEC_') || code === 'UNSUPPORTED_FEATURE'));

export type Random = () => number;

/** mulberry32: small, fast and good enough to pick mutations reproducibly. */
export function prng(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
export const index = (random: Random, length: number): number => Math.floor(random() * length);

/** The valid and invalid fixtures of `test/fixtures/<kind>/` whose names `accept`. */
export function fixtureTexts(kind: string, accept: (name: string) => boolean): { name: string; text: string }[] {
  const root = fileURLToPath(new URL(`../fixtures/${kind}/`, import.meta.url));
  return ['valid', 'invalid'].flatMap((folder) =>
    readdirSync(`${root}${folder}`).filter(accept).sort()
      .map((name) => ({ name: `${folder}/${name}`, text: readFileSync(`${root}${folder}/${name}`, 'utf8') })));
}

/** Runs `parse` and checks the contract; returns the parsed value, or undefined when it refused. */
export function parsesOrRefusesCleanly(parse: (text: string, file: string) => unknown, text: string, file: string, where: string): unknown {
  try {
    return parse(text, file);
  } catch (error) {
    assert.ok(error instanceof NagareError, `${where}: threw ${String(error)} (${(error as Error).stack ?? ''})\n--- input ---\n${text}`);
    assert.ok(error instanceof SpecErrors, `${where}: threw a NagareError that is not SpecErrors: ${error.describe()}`);
    const lineCount = text.split('\n').length;
    for (const problem of error.errors) {
      assert.ok(SPEC_CODES.has(problem.code), `${where}: unexpected code ${problem.code}`);
      const position = problem.position;
      assert.ok(position, `${where}: ${problem.code} has no position`);
      assert.equal(position.file, file);
      assert.ok(position.line >= 1 && position.line <= lineCount + 1, `${where}: line ${position.line} outside the file`);
      assert.ok(position.column >= 1, `${where}: column ${position.column}`);
      assert.ok(problem.message.length > 0, `${where}: empty message`);
    }
    return undefined;
  }
}

export type Mutation = (lines: string[], random: Random) => string[];

/** The mutations every spec fuzz test applies: lines deleted, doubled, swapped, re-indented, and noise, scalars and keys put in. */
export function lineMutations(noise: readonly string[], replacements: readonly string[], keys: readonly string[]): Mutation[] {
  return [
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
    function insertCharacters(lines, random) {
      const copy = [...lines];
      const at = index(random, copy.length);
      const line = copy[at] ?? '';
      const column = index(random, line.length + 1);
      copy[at] = line.slice(0, column) + pick(random, noise) + line.slice(column);
      return copy;
    },
    function changeIndentation(lines, random) {
      const copy = [...lines];
      const at = index(random, copy.length);
      const line = copy[at] ?? '';
      copy[at] = random() < 0.5 ? ' '.repeat(1 + index(random, 4)) + line : line.replace(/^ {1,3}/, '');
      return copy;
    },
    function replaceScalar(lines, random) {
      const copy = [...lines];
      const at = index(random, copy.length);
      const line = copy[at] ?? '';
      const replacement = pick(random, replacements);
      copy[at] = /:\s+\S/.test(line) ? line.replace(/:\s+.*$/, `: ${replacement}`) : line.replace(/-\s+.*$/, `- ${replacement}`);
      return copy;
    },
    function replaceKey(lines, random) {
      const copy = [...lines];
      const at = index(random, copy.length);
      copy[at] = (copy[at] ?? '').replace(/^(\s*)[\w-]+:/, `$1${pick(random, keys)}:`);
      return copy;
    },
  ];
}

/** Applies 1–3 random mutations to each fixture `rounds` times; returns how many inputs were checked. */
export function mutateFixtures(fixtures: readonly { name: string; text: string }[], mutations: readonly Mutation[], rounds: number, check: (text: string, where: string) => void): number {
  const random = prng(SEED);
  let runs = 0;
  for (const { name, text } of fixtures) {
    for (let round = 0; round < rounds; round += 1) {
      let lines = text.split('\n');
      const steps = 1 + index(random, 3);
      for (let step = 0; step < steps && lines.length > 0; step += 1) lines = pick(random, mutations)(lines, random);
      check(lines.join('\n'), `${name} round ${round}`);
      runs += 1;
    }
  }
  return runs;
}

/** 2000 random strings of up to 120 characters from `alphabet`. */
export function checkNoise(alphabet: string, check: (text: string, where: string) => void): void {
  const random = prng(SEED + 1);
  for (let round = 0; round < 2000; round += 1) {
    const length = index(random, 120);
    check(Array.from({ length }, () => alphabet.charAt(index(random, alphabet.length))).join(''), `noise round ${round}`);
  }
}
