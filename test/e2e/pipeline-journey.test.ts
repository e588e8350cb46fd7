/**
 * The pipelines journey of the README with the compiled CLI and the real git client: `nagare up`,
 * a hosted repository, examples/hello-node pushed over HTTP, Source → Build → Approval → Test,
 * approved from the CLI; a push while the first waits at the approval shows SUPERSEDED behaviour,
 * and after `pipeline apply` switches to QUEUED, later pushes queue instead.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { authedUrl, commitFiles, gitOk, tempDir } from '../git/git-client.js';
import { childEnvironment, CLI as cli, initialCredentials, startCliServer, stopCliServer, type CliServer } from '../support/cli-server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

let up: CliServer;
let env: NodeJS.ProcessEnv = {};
let url = '';
let token = '';
let work = '';

before(async () => {
  const dataDir = await tempDir('journey-data');
  up = await startCliServer('up', dataDir, ['--log-level', 'warn']);
  url = up.url;
  token = initialCredentials(dataDir).token;
  env = childEnvironment({ NAGARE_SERVER: url, NAGARE_TOKEN: token });
  work = await tempDir('journey-work');
  cpSync(path.join(root, 'examples/hello-node'), work, { recursive: true, filter: (src) => !/node_modules|\/dist|\/reports/.test(src.slice(root.length)) });
});

after(() => stopCliServer(up));

function nagare(...args: string[]): string {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env, timeout: 60_000 });
  assert.equal(result.status, 0, `nagare ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

interface Execution { pipelineExecutionId: string; status: string }
interface StageView { stageName: string; latestExecution?: { pipelineExecutionId: string; status: string }; actionStates: { latestExecution?: { status: string; token?: string } }[] }

const history = (): Execution[] => JSON.parse(nagare('pipeline', 'history', 'hello-node', '--json')) as Execution[];
const state = (): StageView[] => {
  const value = JSON.parse(nagare('pipeline', 'status', 'hello-node', '--json')) as StageView[] | { stageStates: StageView[] };
  return Array.isArray(value) ? value : value.stageStates;
};

async function until(what: string, check: () => boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(history())}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const approvalWaiting = (): boolean => state().find((s) => s.stageName === 'Approval')?.actionStates[0]?.latestExecution?.status === 'InProgress';

async function push(message: string): Promise<void> {
  await commitFiles(work, { 'CHANGES.md': `${message}\n` }, message);
  await gitOk(work, ['push', '--quiet', 'origin', 'main']);
}

test('push examples/hello-node over HTTP: Source → Build → Approval → Test, approved from the CLI', async () => {
  assert.match(nagare('repo', 'create', 'hello-node'), /git\/hello-node\.git/);
  nagare('project', 'create', '-f', path.join(work, 'ci/build-project.json'));
  assert.match(nagare('pipeline', 'apply', '-f', path.join(work, 'ci/pipeline.yml')), /hello-node/);
  await gitOk(work, ['init', '--quiet', '--initial-branch', 'main']);
  await gitOk(work, ['remote', 'add', 'origin', authedUrl(url, 'hello-node', token)]);
  await push('first');
  await until('the approval to wait', approvalWaiting);
  assert.match(nagare('pipeline', 'status', 'hello-node'), /Approval/);
  nagare('approve', 'hello-node', 'Approval', 'Release', '--summary', 'ship it');
  await until('the first execution to succeed', () => history()[0]?.status === 'Succeeded');
});

test('a second push while the first waits at the approval: the one waiting in front of the stage is superseded by a newer one', async () => {
  await push('second');
  await until('the approval to wait again', approvalWaiting);
  await push('third');
  await until('the third to wait in front of Approval', () => history().filter((e) => e.status === 'InProgress').length === 2);
  await push('fourth');
  await until('the third to be superseded', () => history().some((e) => e.status === 'Superseded'));
  nagare('reject', 'hello-node', 'Approval', 'Release', '--summary', 'not this one');
  await until('the fourth to reach the approval', () => approvalWaiting() && history()[0]?.status === 'InProgress');
});

test('after apply switches to QUEUED, later pushes queue behind the approval instead of superseding', async () => {
  const file = path.join(work, 'ci/pipeline.yml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('executionMode: SUPERSEDED', 'executionMode: QUEUED'));
  assert.match(nagare('pipeline', 'apply', '-f', file), /QUEUED/);
  await until('the approval to be waiting', approvalWaiting);
  const superseded = history().filter((e) => e.status === 'Superseded').length;
  await push('fifth');
  await push('sixth');
  await until('both to be in progress behind the approval', () => history().filter((e) => e.status === 'InProgress').length >= 2);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  assert.equal(history().filter((e) => e.status === 'Superseded').length, superseded, 'nothing more was superseded');
});
