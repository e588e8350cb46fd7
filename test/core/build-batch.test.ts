// The batch planner and scheduler of core/build-batch.ts, one test per rule of the batch digest (§5.7–5.8).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advanceBatch, planBatch, type BatchEntry, type BatchEntryStatus } from '../../src/core/build-batch.js';
import { parseBuildspec } from '../../src/spec/buildspec.js';

const PHASES = 'phases:\n  build:\n    commands: [make]\n';

function entriesOf(batch: string): BatchEntry[] {
  const spec = parseBuildspec(`version: 0.2\nbatch:\n${batch}${PHASES}`, 'buildspec.yml');
  return planBatch(spec.batch ?? assert.fail('no batch'));
}

const GRAPH = entriesOf('  build-graph:\n    - identifier: compile\n    - identifier: test\n      depend-on: [compile]\n    - identifier: lint\n    - identifier: package\n      depend-on: [test, lint]\n');

function run(entries: BatchEntry[], statuses: Record<string, BatchEntryStatus>, options: { fastFail?: boolean; parallel?: number; stopRequested?: boolean } = {}) {
  return advanceBatch(entries, statuses, { fastFail: options.fastFail ?? false, parallel: options.parallel ?? 10, stopRequested: options.stopRequested });
}

void test('a build matrix is one build per element of the cartesian product, static settings applied to all', () => {
  const entries = entriesOf('  build-matrix:\n    static:\n      ignore-failure: true\n      env:\n        image: base\n        variables: {SHARED: yes}\n    dynamic:\n      buildspec: [unit.yml, e2e.yml]\n      env:\n        variables:\n          NODE: [18, 20, 22]\n');
  assert.equal(entries.length, 6);
  assert.deepEqual(entries.map((entry) => entry.identifier), ['build1', 'build2', 'build3', 'build4', 'build5', 'build6']);
  assert.deepEqual(entries.map((entry) => `${entry.buildspec} ${entry.env.variables['NODE']}`), ['unit.yml 18', 'unit.yml 20', 'unit.yml 22', 'e2e.yml 18', 'e2e.yml 20', 'e2e.yml 22']);
  for (const entry of entries) {
    assert.equal(entry.env.image, 'base');
    assert.equal(entry.env.variables['SHARED'], 'yes');
    assert.equal(entry.ignoreFailure, true);
    assert.deepEqual(entry.dependOn, []);
  }
});

void test('dynamic images and compute types multiply the matrix too, and override static env', () => {
  const entries = entriesOf('  build-matrix:\n    static:\n      env: {image: old, compute-type: SMALL}\n    dynamic:\n      env:\n        image: [a, b]\n        compute-type: [BUILD_GENERAL1_SMALL, BUILD_GENERAL1_LARGE]\n');
  assert.deepEqual(entries.map((entry) => `${entry.env.image}/${entry.env.computeType}`), ['a/BUILD_GENERAL1_SMALL', 'a/BUILD_GENERAL1_LARGE', 'b/BUILD_GENERAL1_SMALL', 'b/BUILD_GENERAL1_LARGE']);
});

void test('build-list builds all start at once, within the parallel limit', () => {
  const entries = entriesOf('  build-list:\n    - identifier: a\n    - identifier: b\n    - identifier: c\n');
  assert.deepEqual(run(entries, {}).start, ['a', 'b', 'c']);
  assert.deepEqual(run(entries, {}, { parallel: 2 }).start, ['a', 'b']);
  assert.deepEqual(run(entries, { a: 'IN_PROGRESS', b: 'IN_PROGRESS' }, { parallel: 2 }).start, []);
  assert.deepEqual(run(entries, { a: 'SUCCEEDED', b: 'IN_PROGRESS' }, { parallel: 2 }).start, ['c']);
});

void test('a build-graph build starts only when all its depend-on builds succeeded', () => {
  assert.deepEqual(run(GRAPH, {}).start, ['compile', 'lint']);
  assert.deepEqual(run(GRAPH, { compile: 'SUCCEEDED', lint: 'IN_PROGRESS' }).start, ['test']);
  assert.deepEqual(run(GRAPH, { compile: 'SUCCEEDED', lint: 'IN_PROGRESS', test: 'SUCCEEDED' }).start, []);
  assert.deepEqual(run(GRAPH, { compile: 'SUCCEEDED', lint: 'SUCCEEDED', test: 'SUCCEEDED' }).start, ['package']);
  const done = run(GRAPH, { compile: 'SUCCEEDED', lint: 'SUCCEEDED', test: 'SUCCEEDED', package: 'SUCCEEDED' });
  assert.equal(done.status, 'SUCCEEDED');
});

void test('dependents of a failed build never start and end STOPPED; the batch FAILS once the rest ends', () => {
  const step = run(GRAPH, { compile: 'FAILED', lint: 'IN_PROGRESS' });
  assert.deepEqual(step.cancel, ['test', 'package']);
  assert.deepEqual(step.stop, []);
  assert.equal(step.status, 'IN_PROGRESS');
  assert.equal(run(GRAPH, { compile: 'FAILED', lint: 'SUCCEEDED', test: 'STOPPED', package: 'STOPPED' }).status, 'FAILED');
});

void test('fast-fail stops every running build and every pending one after a failure', () => {
  const step = run(GRAPH, { compile: 'FAILED', lint: 'IN_PROGRESS' }, { fastFail: true });
  assert.deepEqual(step.stop, ['lint']);
  assert.deepEqual(step.cancel, ['test', 'package']);
  assert.equal(run(GRAPH, { compile: 'FAILED', lint: 'STOPPED', test: 'STOPPED', package: 'STOPPED' }, { fastFail: true }).status, 'FAILED');
});

void test('an ignore-failure build that fails neither fails the batch nor blocks its dependents', () => {
  const entries = entriesOf('  fast-fail: true\n  build-graph:\n    - identifier: flaky\n      ignore-failure: true\n    - identifier: after\n      depend-on: [flaky]\n');
  const step = run(entries, { flaky: 'FAILED' }, { fastFail: true });
  assert.deepEqual(step.start, ['after']);
  assert.deepEqual(step.stop, []);
  assert.equal(run(entries, { flaky: 'FAILED', after: 'SUCCEEDED' }).status, 'SUCCEEDED');
});

void test('a stop request stops running builds, cancels pending ones and ends the batch STOPPED', () => {
  const step = run(GRAPH, { compile: 'IN_PROGRESS' }, { stopRequested: true });
  assert.deepEqual(step.stop, ['compile']);
  assert.deepEqual(step.cancel, ['test', 'lint', 'package']);
  assert.equal(run(GRAPH, { compile: 'STOPPED', lint: 'STOPPED', test: 'STOPPED', package: 'STOPPED' }, { stopRequested: true }).status, 'STOPPED');
});

void test('a batch larger than 100 builds is refused before anything runs', () => {
  assert.throws(() => entriesOf('  build-matrix:\n    dynamic:\n      env:\n        variables:\n          A: [1,2,3,4,5,6,7,8,9,10,11]\n          B: [1,2,3,4,5,6,7,8,9,10]\n'), /at most 100/);
});

void test('debug-session is accepted and ignored with a warning naming it', () => {
  const spec = parseBuildspec(`version: 0.2\nbatch:\n  build-list:\n    - identifier: a\n      debug-session: true\n${PHASES}`, 'buildspec.yml');
  assert.equal(spec.batch?.warnings.length, 1);
  assert.match(spec.batch?.warnings[0]?.message ?? '', /debug-session.*ignored/);
  assert.deepEqual([spec.batch?.warnings[0]?.position.line, spec.batch?.warnings[0]?.position.column], [5, 7]);
});

void test('a batch buildspec whose builds name their own buildspecs needs no phases', () => {
  const spec = parseBuildspec('version: 0.2\nbatch:\n  build-list:\n    - identifier: a\n      buildspec: ci/a.yml\n', 'buildspec.yml');
  assert.equal(spec.batch?.tasks[0]?.buildspec, 'ci/a.yml');
});

void test('any graph, any outcomes, any parallel limit: every build ends, none starts before its prerequisites succeed, and the batch status follows', () => {
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let round = 0; round < 300; round += 1) {
    const count = 1 + Math.floor(random() * 8);
    const entries: BatchEntry[] = Array.from({ length: count }, (_, index) => ({
      identifier: `b${index}`,
      buildspec: undefined,
      env: { image: undefined, computeType: undefined, privilegedMode: undefined, type: undefined, fleet: undefined, variables: {} },
      ignoreFailure: random() < 0.3,
      // Only earlier builds: no cycles, as the parser guarantees.
      dependOn: Array.from({ length: index }, (_, other) => `b${other}`).filter(() => random() < 0.3),
    }));
    const outcome = new Map(entries.map((entry) => [entry.identifier, random() < 0.25 ? 'FAILED' as const : 'SUCCEEDED' as const]));
    const options = { fastFail: random() < 0.5, parallel: 1 + Math.floor(random() * 3) };
    const statuses: Record<string, BatchEntryStatus> = {};
    const started: string[] = [];
    let status = 'IN_PROGRESS';
    for (let step = 0; step < 100 && status === 'IN_PROGRESS'; step += 1) {
      const progress = advanceBatch(entries, statuses, options);
      for (const id of progress.cancel) statuses[id] = 'STOPPED';
      for (const id of progress.stop) statuses[id] = 'STOPPED';
      for (const id of progress.start) {
        const entry = entries.find((candidate) => candidate.identifier === id);
        for (const prerequisite of entry?.dependOn ?? []) {
          const done = statuses[prerequisite] === 'SUCCEEDED' || (entries.find((e) => e.identifier === prerequisite)?.ignoreFailure === true && statuses[prerequisite] === 'FAILED');
          assert.ok(done, `${id} started before ${prerequisite} finished`);
        }
        statuses[id] = 'IN_PROGRESS';
        started.push(id);
      }
      assert.ok(Object.values(statuses).filter((s) => s === 'IN_PROGRESS').length <= options.parallel, 'within the parallel limit');
      // The oldest running build ends with its outcome.
      const running = started.find((id) => statuses[id] === 'IN_PROGRESS');
      if (running) statuses[running] = outcome.get(running) ?? 'SUCCEEDED';
      status = progress.status;
    }
    assert.notEqual(status, 'IN_PROGRESS', `round ${round} ended`);
    for (const entry of entries) assert.notEqual(statuses[entry.identifier] ?? 'PENDING', 'PENDING', `${entry.identifier} ended`);
    const hardFailure = entries.some((entry) => !entry.ignoreFailure && statuses[entry.identifier] !== 'SUCCEEDED');
    assert.equal(status, hardFailure ? 'FAILED' : 'SUCCEEDED', `round ${round}`);
  }
});
