// The batch corpus (test/compat/batch/): real-world-shaped batch buildspecs, each validated and run
// by `nagare build`'s batch runner with the real shell executor, its outcome checked against the
// case's expect.json (each build's status, exported variables, builds that never started, the
// combined artifact's entries).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import yauzl from 'yauzl';
import { runLocalBatch } from '../../src/build/local-batch.js';
import { loadBuildspec } from '../../src/build/local-build.js';
import { ShellExecutor } from '../../src/executors/shell-executor.js';
import { hostEnvironment } from '../support/processes.js';

const corpus = fileURLToPath(new URL('./batch/', import.meta.url));
const cases = readdirSync(corpus, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();

interface Expectation {
  readonly batch: string;
  readonly builds: Readonly<Record<string, string>>;
  readonly exported?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly neverStarted?: readonly string[];
  readonly combined?: readonly string[];
  readonly warnings?: number;
  readonly parallel?: number;
}

const made: string[] = [];
after(async () => {
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function zipEntries(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: false }, (error, zip) => {
      if (error) return reject(error);
      const names: string[] = [];
      zip.on('entry', (entry: yauzl.Entry) => names.push(entry.fileName));
      zip.on('end', () => resolve(names.sort()));
      zip.on('error', reject);
    });
  });
}

void describe('batch buildspecs of the compat corpus run with the expected outcome', () => {
  assert.ok(cases.length >= 8, 'the batch corpus has at least 8 cases');
  for (const name of cases) {
    void test(name, async () => {
      const expect = JSON.parse(readFileSync(path.join(corpus, name, 'expect.json'), 'utf8')) as Expectation;
      const work = await mkdtemp(path.join(os.tmpdir(), 'nagare-batch-corpus-'));
      made.push(work);
      const sourceDir = path.join(work, 'source');
      await cp(path.join(corpus, name), sourceDir, { recursive: true });
      const loaded = await loadBuildspec(sourceDir, undefined);
      assert.equal(loaded.spec.batch?.warnings.length ?? 0, expect.warnings ?? 0, 'warnings');
      let log = '';
      const batch = await runLocalBatch({
        sourceDir, buildspec: undefined, projectName: name, artifactsDir: path.join(work, 'artifacts'), reportsDir: undefined,
        cacheDir: path.join(work, 'cache'), stateDir: work, overrides: {}, parameters: {}, timeoutInMinutes: 5, region: 'us-east-1',
        initiator: 'tester', image: 'nagare/shell', parallel: expect.parallel ?? 4,
        executorFor: () => new ShellExecutor({ hostEnvironment: hostEnvironment() }),
        log: { write: (text) => { log += text; } },
      }, loaded);
      assert.equal(batch.buildBatchStatus, expect.batch, log);
      assert.deepEqual(Object.fromEntries(batch.builds.map((build) => [build.identifier, build.status])), expect.builds);
      for (const [identifier, variables] of Object.entries(expect.exported ?? {})) {
        const record = batch.builds.find((build) => build.identifier === identifier)?.record;
        const exported = Object.fromEntries((record?.exportedEnvironmentVariables ?? []).map((variable) => [variable.name, variable.value]));
        for (const [variable, value] of Object.entries(variables)) assert.equal(exported[variable], value, `${identifier} exports ${variable}`);
        assert.equal(record?.buildBatchArn, batch.arn);
      }
      for (const identifier of expect.neverStarted ?? []) {
        assert.equal(batch.builds.find((build) => build.identifier === identifier)?.record, undefined, `${identifier} never started`);
      }
      if (expect.combined) assert.deepEqual(await zipEntries(batch.combinedArtifact ?? assert.fail('no combined artifact')), expect.combined);
    });
  }
});

void test('graph order: a build starts only after every build it depends on has ended', async () => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'nagare-batch-order-'));
  made.push(work);
  const sourceDir = path.join(work, 'source');
  await cp(path.join(corpus, 'graph-compile-test-package'), sourceDir, { recursive: true });
  const batch = await runLocalBatch({
    sourceDir, buildspec: undefined, projectName: 'order', artifactsDir: path.join(work, 'artifacts'), reportsDir: undefined,
    cacheDir: path.join(work, 'cache'), stateDir: work, overrides: {}, parameters: {}, timeoutInMinutes: 5, region: 'us-east-1',
    initiator: 'tester', image: 'nagare/shell', parallel: 4,
    executorFor: () => new ShellExecutor({ hostEnvironment: hostEnvironment() }),
    log: { write: () => undefined },
  }, await loadBuildspec(sourceDir, undefined));
  const times = Object.fromEntries(batch.builds.map((build) => [build.identifier, build.record ?? assert.fail(`${build.identifier} did not run`)]));
  for (const build of batch.builds) {
    for (const prerequisite of build.dependsOn) {
      assert.ok(Date.parse(times[build.identifier]?.startTime ?? '') >= Date.parse(times[prerequisite]?.endTime ?? ''), `${build.identifier} started after ${prerequisite} ended`);
    }
  }
  // compile and lint have no prerequisites: they ran side by side.
  assert.ok(Date.parse(times['lint']?.startTime ?? '') < Date.parse(times['compile']?.endTime ?? ''), 'lint ran beside compile');
});
