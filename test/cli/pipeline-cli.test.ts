/**
 * `nagare pipeline …`, `nagare approve` and `nagare reject` with the compiled CLI against
 * `nagare up` in a child process: apply (create, then update printing the changes; spec errors with
 * file and line, exit 2), a push with real git, status drawing the waiting approval, approve and
 * reject by name, start, history, list and delete; not found is exit 2.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { waitFor } from '../agent/agent-harness.js';
import { authedUrl, commitFiles, gitOk, tempDir } from '../git/git-client.js';
import { childEnvironment, CLI as cli, initialCredentials, startCliServer, stopCliServer, type CliServer } from '../support/cli-server.js';

let up: CliServer;
let url = '';
let token = '';
let dataDir = '';
let env: NodeJS.ProcessEnv = {};

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-pipeline-cli-'));
  up = await startCliServer('up', dataDir);
  url = up.url;
  token = initialCredentials(dataDir).token;
  env = childEnvironment({ NAGARE_SERVER: url, NAGARE_TOKEN: token });
});

after(() => stopCliServer(up));

function nagare(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function definition(note: string): string {
  return `pipeline:
  name: cli-pipe
  pipelineType: V2
  stages:
    - name: Source
      actions:
        - name: Source
          actionTypeId: { category: Source, owner: AWS, provider: CodeCommit, version: "1" }
          configuration: { RepositoryName: cli-app, BranchName: main }
          outputArtifacts: [{ name: SourceArtifact }]
          namespace: SourceVariables
    - name: Approval
      actions:
        - name: Approve
          actionTypeId: { category: Approval, owner: AWS, provider: Manual, version: "1" }
          configuration: { CustomData: "${note}" }
`;
}

async function approvalWaits(): Promise<void> {
  await waitFor('the approval to wait', () => {
    const state = JSON.parse(nagare('pipeline', 'status', 'cli-pipe', '--json').stdout) as { stageStates: { actionStates: { latestExecution?: { token?: string } }[] }[] };
    return state.stageStates[1]?.actionStates[0]?.latestExecution?.token !== undefined;
  }, 30_000);
}

test('apply, push, status with ⏸, approve, start, reject, history, list and delete with the compiled CLI', async () => {
  const work = await tempDir('pipeline-cli');
  const file = path.join(work, 'pipeline.yml');
  assert.equal(nagare('repo', 'create', 'cli-app').status, 0);

  await writeFile(file, definition('Ship it?'));
  const created = nagare('pipeline', 'apply', '-f', file);
  assert.equal(created.status, 0, created.stderr);
  assert.match(created.stdout, /^Created pipeline cli-pipe \(version 1\)\n {2}\+ stage Source \(actions: Source\)\n {2}\+ stage Approval \(actions: Approve\)\n$/);
  await writeFile(file, definition('Release #{SourceVariables.CommitId}?'));
  const updated = nagare('pipeline', 'apply', '-f', file);
  assert.equal(updated.stdout, 'Updated pipeline cli-pipe to version 2\n  ~ action Approval/Approve: configuration\n');

  const bad = path.join(work, 'bad.yml');
  await writeFile(bad, definition('x').replace('BranchName: main }', 'BranchName: main }\n          colour: blue'));
  const refused = nagare('pipeline', 'apply', '-f', bad);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /bad\.yml:10:11: SPEC_UNKNOWN_KEY/);
  assert.equal(nagare('pipeline', 'apply', '-f', path.join(work, 'missing.yml')).status, 2);

  await gitOk(work, ['init', '--quiet', '--initial-branch', 'main']);
  const commit = await commitFiles(work, { 'app.txt': 'v1' }, 'v1');
  await gitOk(work, ['push', '--quiet', authedUrl(url, 'cli-app', token), 'main']);
  await approvalWaits();
  const status = nagare('pipeline', 'status', 'cli-pipe');
  assert.equal(status.status, 0);
  assert.match(status.stdout, /^Pipeline cli-pipe \(version 2\) {2}execution \S+ {2}InProgress$/m);
  assert.match(status.stdout, /^┌─ Source {2}Succeeded$/m);
  assert.match(status.stdout, new RegExp(`^│ {2}✔ Source {2}Succeeded {2}${commit.slice(0, 8)}`, 'm'));
  assert.match(status.stdout, new RegExp(`⏸ Approve {2}waiting for approval: Release ${commit}\\?`));
  assert.ok(!status.stdout.includes('\u001b['), 'NO_COLOR: no escape codes');

  const approved = nagare('approve', 'cli-pipe', 'Approval', 'Approve', '--summary', 'looks good');
  assert.equal(approved.status, 0, approved.stderr);
  assert.match(approved.stdout, /^Approved Approval\/Approve of cli-pipe/);
  assert.match(nagare('pipeline', 'status', 'cli-pipe').stdout, /✔ Approve {2}Succeeded {2}looks good/);
  const again = nagare('approve', 'cli-pipe', 'Approval', 'Approve', '--summary', 'twice');
  assert.equal(again.status, 2);
  assert.match(again.stderr, /No approval is waiting/);

  const started = nagare('pipeline', 'start', 'cli-pipe');
  assert.equal(started.status, 0, started.stderr);
  assert.match(started.stdout, /^Started execution \S+ of cli-pipe/);
  await approvalWaits();
  assert.equal(nagare('reject', 'cli-pipe', 'Approval', 'Approve', '--summary', 'not now').status, 0);
  const history = nagare('pipeline', 'history', 'cli-pipe');
  const rows = history.stdout.trim().split('\n');
  assert.match(rows[0] ?? '', /^EXECUTION +STATUS +TRIGGER/);
  assert.match(rows[1] ?? '', /Failed +StartPipelineExecution/);
  assert.match(rows[2] ?? '', new RegExp(`Succeeded +CloudWatchEvent .* ${commit.slice(0, 8)}`));
  assert.equal((JSON.parse(nagare('pipeline', 'history', 'cli-pipe', '--json').stdout) as unknown[]).length, 2);

  assert.match(nagare('pipeline', 'list').stdout, /^cli-pipe +2 +SUPERSEDED +2 +Failed/m);
  assert.equal(nagare('pipeline', 'start', 'cli-pipe', '--variable', 'nope').status, 2);
  assert.equal(nagare('pipeline', 'status', 'no-such-pipeline').status, 2);
  assert.equal(nagare('pipeline', 'delete', 'cli-pipe').status, 0);
  assert.equal(nagare('pipeline', 'delete', 'cli-pipe').status, 2);
  assert.deepEqual(JSON.parse(nagare('pipeline', 'list', '--json').stdout), []);
});
