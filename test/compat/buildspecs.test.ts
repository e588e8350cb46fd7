/**
 * The compat corpus (issue 9): real-world-shaped buildspecs, written for nagare after the
 * constructs seen in public AWS samples and community repositories (no file copied), each with
 * a sidecar `<name>.json` saying the rule it shows and what must happen:
 *
 *   { "rule": "…", "files": { "path": "content" },
 *     "errors": ["CODE line:column"],            // the buildspec is refused with these
 *     "warnings": ["CODE line:column"],          // accepted, with these warnings
 *     "run": { "status", "phases": { PHASE: status }, "output": [lines], "outputIncludes": [lines],
 *              "artifacts": { "primary" | identifier: [zip entries] },
 *              "reports": { group: { "status", "total" } }, "exported": { NAME: value } } }
 *
 * Every buildspec is validated; those with `run` are run offline with the shell executor in a
 * fresh copy of their files, as `nagare build` does, and their outcome is checked.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SpecErrors } from '../../src/core/errors.js';
import { parseBuildspec } from '../../src/spec/buildspec.js';
import { readZip } from '../build/temp-tree.js';
import { makeSource, outputLines, phaseStatuses, runBuildspec } from '../build/run-buildspec.js';

const folder = fileURLToPath(new URL('./buildspecs/', import.meta.url));

interface RunExpectation {
  readonly status: string;
  readonly phases?: Readonly<Record<string, string>>;
  readonly output?: readonly string[];
  readonly outputIncludes?: readonly string[];
  readonly artifacts?: Readonly<Record<string, readonly string[]>>;
  readonly reports?: Readonly<Record<string, { readonly status: string; readonly total?: number }>>;
  readonly exported?: Readonly<Record<string, string>>;
}

interface Expectation {
  readonly rule: string;
  readonly files?: Readonly<Record<string, string>>;
  readonly errors?: readonly string[];
  readonly warnings?: readonly string[];
  readonly run?: RunExpectation;
}

const at = (item: { code: string; position?: { line: number; column: number } | undefined }): string => `${item.code} ${item.position?.line}:${item.position?.column}`;

const names = readdirSync(folder).filter((name) => name.endsWith('.yml')).sort();

void test('the corpus holds at least 40 buildspecs, each with its expectation', () => {
  assert.ok(names.length >= 40, `only ${names.length} buildspecs`);
});

void describe('compat corpus: real-world buildspecs', () => {
  for (const name of names) {
    const yaml = readFileSync(path.join(folder, name), 'utf8');
    const expected = JSON.parse(readFileSync(path.join(folder, name.replace(/\.yml$/, '.json')), 'utf8')) as Expectation;
    void test(`${expected.rule} (${name})`, async () => {
      if (expected.errors) {
        assert.throws(() => parseBuildspec(yaml, name), (error: unknown) => {
          assert.ok(error instanceof SpecErrors);
          assert.deepEqual(error.errors.map(at), expected.errors);
          return true;
        });
        return;
      }
      const spec = parseBuildspec(yaml, name);
      assert.deepEqual(spec.warnings.map(at), expected.warnings ?? []);
      if (expected.run) await checkRun(yaml, expected.files ?? {}, expected.run);
    });
  }
});

async function checkRun(yaml: string, files: Readonly<Record<string, string>>, run: RunExpectation): Promise<void> {
  const sourceDir = await makeSource(files);
  const { record, log } = await runBuildspec(yaml, { sourceDir, inPlace: false });
  assert.equal(record.buildStatus, run.status, log);
  const statuses = phaseStatuses(record);
  for (const [phase, status] of Object.entries(run.phases ?? {})) assert.equal(statuses[phase], status, `${phase}\n${log}`);
  if (run.output) assert.deepEqual(outputLines(log), run.output);
  for (const line of run.outputIncludes ?? []) assert.ok(outputLines(log).includes(line), `no output line ${line}\n${log}`);
  for (const [identifier, entries] of Object.entries(run.artifacts ?? {})) {
    const artifact = identifier === 'primary' ? record.artifacts : record.secondaryArtifacts.find((a) => a.artifactIdentifier === identifier);
    assert.ok(artifact, `no artifact ${identifier}\n${log}`);
    const names = (await readZip(artifact.location)).map((entry) => entry.name).sort();
    assert.deepEqual(names, [...entries].sort(), identifier);
  }
  for (const [group, report] of Object.entries(run.reports ?? {})) {
    const found = record.reports.find((r) => r.name === group);
    assert.ok(found, `no report ${group}`);
    assert.equal(found.status, report.status, found.message);
    if (report.total !== undefined) assert.equal(found.summary?.total, report.total);
  }
  if (run.exported) {
    assert.deepEqual(Object.fromEntries(record.exportedEnvironmentVariables.map((v) => [v.name, v.value])), run.exported);
  }
}
