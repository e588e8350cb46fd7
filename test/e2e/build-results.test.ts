/**
 * Issue 13, "results of server builds from the CLI": `nagare build show` prints the source, times,
 * phases, artifacts with sizes, report totals with the failing case and the exported variables;
 * `nagare build artifacts ID -o DIR` downloads the zip; `nagare build reports ID` lists the cases.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { childEnvironment, CLI, initialCredentials, startCliServer, stopCliServer, type CliServer } from '../support/cli-server.js';

let up: CliServer;
let env: NodeJS.ProcessEnv = {};
let dir = '';

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nagare-results-'));
  up = await startCliServer('up', path.join(dir, 'data'));
  env = childEnvironment({ NAGARE_SERVER: up.url, NAGARE_TOKEN: initialCredentials(path.join(dir, 'data')).token });
});
after(() => stopCliServer(up));

function nagare(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const JUNIT = '<testsuite name="math" tests="2"><testcase classname="math" name="adds" time="0.1"/><testcase classname="math" name="divides" time="0.2"><failure message="expected 2, got 3">trace</failure></testcase></testsuite>';
const BUILDSPEC = `version: 0.2
env:
  exported-variables: [GREETING]
phases:
  build:
    commands:
      - export GREETING=hello
      - mkdir -p out reports
      - echo payload > out/result.txt
      - echo '${JUNIT}' > reports/junit.xml
reports:
  unit:
    files: [reports/junit.xml]
    file-format: JUNITXML
artifacts:
  files: [out/result.txt]
  name: result
`;

test('build show, build artifacts and build reports show what a server build produced', async () => {
  const projectFile = path.join(dir, 'project.json');
  await writeFile(projectFile, JSON.stringify({ name: 'results', source: { type: 'NO_SOURCE', buildspec: BUILDSPEC }, environment: { type: 'LINUX_CONTAINER', image: 'shell', computeType: 'BUILD_GENERAL1_SMALL' }, artifacts: { type: 'S3', location: 'results-bucket' } }));
  const created = nagare('project', 'create', '-f', projectFile);
  assert.equal(created.status, 0, created.stderr);
  const started = nagare('build', 'start', 'results', '--follow', '--json');
  assert.equal(started.status, 0, started.stderr);
  const id = (JSON.parse(started.stdout) as { id: string }).id;

  const shown = nagare('build', 'show', id);
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, /^Source +NO_SOURCE/m);
  assert.match(shown.stdout, /^Started +\d{4}-/m);
  assert.match(shown.stdout, /^Ended +\d{4}-/m);
  assert.match(shown.stdout, /^BUILD +SUCCEEDED +\d+\.\d\ds/m, "durations written as nagare build writes them");
  assert.match(shown.stdout, /^result\.zip +\d+ B +[0-9a-f]{64}$/m);
  assert.match(shown.stdout, /^unit +TEST +FAILED +2 tests: 1 succeeded, 1 failed$/m);
  assert.match(shown.stdout, /✗ unit: math divides — expected 2, got 3/);
  assert.match(shown.stdout, /^ {2}GREETING=hello$/m);

  const out = path.join(dir, 'downloads');
  const downloaded = nagare('build', 'artifacts', id, '-o', out);
  assert.equal(downloaded.status, 0, downloaded.stderr);
  const zip = await stat(path.join(out, 'result.zip'));
  assert.ok(zip.size > 0);
  assert.match(downloaded.stdout, new RegExp(`${zip.size} B`));

  const reports = nagare('build', 'reports', id, '--status', 'failed');
  assert.equal(reports.status, 0, reports.stderr);
  assert.match(reports.stdout, /^unit +FAILED +math divides +0\.20s +expected 2, got 3/m);
  assert.doesNotMatch(reports.stdout, /adds/);
});
