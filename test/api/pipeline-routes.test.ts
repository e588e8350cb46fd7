/**
 * The native pipelines API (`/api/v1/pipelines`) on a real server: apply a YAML or JSON definition
 * (created, then updated with a readable list of changes), spec errors with positions, describe,
 * list, delete; and running one pushed with real git — state with the waiting approval's custom
 * data, approve and reject by stage and action (no token), retry, stop, transitions, history.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor } from '../agent/agent-harness.js';
import { authedUrl, commitFiles, gitOk, tempDir } from '../git/git-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer({ schedulerIntervalMs: 200 });
});
after(async () => {
  await server.stop();
});

/** The parts of the answers the assertions read; absent where a route does not send them. */
interface Action { actionName: string; updatedBy?: string; latestExecution?: { token?: string }; approval: { customData?: string; expiresAt: string } }
interface Stage { stageName: string; actionStates: Action[]; inboundTransitionState: { enabled: boolean; disabledReason?: string } }
interface Execution { pipelineExecutionId: string; status: string; sourceRevisions: { revisionId: string }[] }
interface Declaration { executionMode: string; stages: { name: string; actions: Record<string, unknown>[] }[] }
interface Body {
  created: boolean;
  unchanged: boolean;
  updated: string;
  version: number;
  changes: { summary: string }[];
  pipeline: Declaration;
  pipelines: { name: string; version: number; stages: string[]; stageSummaries: { stageName: string; transitionEnabled: boolean; latestExecution?: { status: string } }[] }[];
  error: { code: string; details: { errors: { file: string; line: number }[] } };
  executions: Execution[];
  execution: Execution;
  actions: Action[];
  stageStates: Stage[];
  pipelineExecutionId: string;
}

async function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: Body }> {
  const response = await fetch(`${server.url}/api/v1/pipelines${path}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: (response.status === 204 ? {} : await response.json()) as Body };
}

function yamlDefinition(name: string, repository: string, approvalNote = 'Release #{SourceVariables.CommitId}?'): string {
  return `pipeline:
  name: ${name}
  pipelineType: V2
  stages:
    - name: Source
      actions:
        - name: Source
          actionTypeId: { category: Source, owner: AWS, provider: CodeCommit, version: "1" }
          configuration: { RepositoryName: ${repository}, BranchName: main }
          outputArtifacts: [{ name: SourceArtifact }]
          namespace: SourceVariables
    - name: Approval
      actions:
        - name: Approve
          actionTypeId: { category: Approval, owner: AWS, provider: Manual, version: "1" }
          configuration: { CustomData: "${approvalNote}" }
`;
}

test('PUT applies a YAML definition (201, created) and a changed one (200, version 2) with what changed', async () => {
  const created = await call('PUT', '', yamlDefinition('native-apply', 'app'), 'application/yaml');
  assert.equal(created.status, 201);
  assert.equal(created.body.created, true);
  assert.equal(created.body.version, 1);
  assert.deepEqual(created.body.changes.map((c) => c.summary), ['+ stage Source (actions: Source)', '+ stage Approval (actions: Approve)']);

  const got = await call('GET', '/native-apply');
  const pipeline = got.body.pipeline;
  pipeline.executionMode = 'QUEUED';
  const approve = pipeline.stages[1]?.actions[0] as { configuration: Record<string, string> };
  approve.configuration.CustomData = 'changed';
  pipeline.stages.push({ name: 'Check', actions: [{ name: 'Check', actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' } }] });
  const updated = await call('PUT', '', { pipeline });
  assert.equal(updated.status, 200);
  assert.equal(updated.body.created, false);
  assert.equal(updated.body.version, 2);
  assert.deepEqual(updated.body.changes.map((c) => c.summary), ['~ executionMode: SUPERSEDED → QUEUED', '~ action Approval/Approve: configuration', '+ stage Check (actions: Check)']);

  pipeline.stages.splice(1, 1);
  const removed = await call('PUT', '', { pipeline });
  assert.deepEqual(removed.body.changes.map((c) => c.summary), ['- stage Approval']);
  assert.equal((await call('GET', '/native-apply')).body.version, 3);
});

test('applying an unchanged definition changes nothing and says so: same version, same updated time', async () => {
  const text = yamlDefinition('native-unchanged', 'app');
  assert.equal((await call('PUT', '', text, 'application/yaml')).status, 201);
  const before = await call('GET', '/native-unchanged');
  await new Promise((resolve) => setTimeout(resolve, 5));
  const again = await call('PUT', '', text, 'application/yaml');
  assert.equal(again.status, 200);
  assert.equal(again.body.unchanged, true);
  assert.equal(again.body.version, 1);
  assert.deepEqual(again.body.changes, []);
  const after = await call('GET', '/native-unchanged');
  assert.equal(after.body.version, 1);
  assert.equal(after.body.updated, before.body.updated);
});

test('an invalid definition is refused with every problem and its line; nothing is created', async () => {
  const text = yamlDefinition('native-invalid', 'app').replace('outputArtifacts: [{ name: SourceArtifact }]', 'outputArtifacts: [{ name: SourceArtifact }]\n          colour: blue');
  const refused = await call('PUT', '?file=pipeline.yml', text, 'application/yaml');
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error.code, 'SPEC_UNKNOWN_KEY');
  assert.equal(refused.body.error.details.errors[0]?.file, 'pipeline.yml');
  assert.equal(refused.body.error.details.errors[0]?.line, 11);
  assert.equal((await call('GET', '/native-invalid')).status, 404);
});

test('GET lists pipelines with each stage\'s latest status and transition (one call for the dashboard); DELETE removes one and then it is not found', async () => {
  await call('PUT', '', yamlDefinition('native-delete', 'app'), 'application/yaml');
  const listed = await call('GET', '');
  assert.ok(listed.body.pipelines.some((p) => p.name === 'native-delete' && p.version === 1 && p.stages.length === 2));
  const summary = listed.body.pipelines.find((p) => p.name === 'native-delete')?.stageSummaries;
  assert.deepEqual(summary?.map((s) => [s.stageName, s.transitionEnabled, s.latestExecution?.status]), listed.body.pipelines.find((p) => p.name === 'native-delete')?.stages.map((name) => [name, true, undefined]));
  assert.equal((await call('DELETE', '/native-delete')).status, 204);
  assert.equal((await call('GET', '/native-delete')).status, 404);
  assert.equal((await call('DELETE', '/native-delete')).status, 404);
  assert.equal((await call('GET', '/native-delete/state')).status, 404);
});

async function waitingApproval(name: string): Promise<Action> {
  let approval: Action | undefined;
  await waitFor('the approval to wait', async () => {
    approval = (await call('GET', `/${name}/state`)).body.stageStates.find((s) => s.stageName === 'Approval')?.actionStates[0];
    return approval?.latestExecution?.token !== undefined;
  }, 30_000);
  assert.ok(approval);
  return approval;
}

test('a push runs it; state shows the waiting approval with its custom data; approve, reject, retry, stop and transitions by name', async () => {
  await server.services.repositories.create({ repositoryName: 'native-run' });
  await call('PUT', '', yamlDefinition('native-run', 'native-run'), 'application/yaml');
  const work = await tempDir('native-run');
  await gitOk(work, ['init', '--quiet', '--initial-branch', 'main']);
  await gitOk(work, ['remote', 'add', 'origin', authedUrl(server.url, 'native-run', server.token)]);
  const commit = await commitFiles(work, { 'app.txt': 'v1' }, 'v1');
  await gitOk(work, ['push', '--quiet', 'origin', 'main']);

  const approval = await waitingApproval('native-run');
  assert.equal(approval.approval.customData, `Release ${commit}?`);
  assert.match(approval.approval.expiresAt, /^\d{4}-\d\d-\d\dT/);
  const approved = await call('POST', '/native-run/approvals', { stage: 'Approval', action: 'Approve', status: 'Approved', summary: 'ship it' });
  assert.equal(approved.status, 200);
  const [first] = (await call('GET', '/native-run/executions')).body.executions;
  assert.equal(first?.status, 'Succeeded');
  assert.equal(first?.sourceRevisions[0]?.revisionId, commit);
  const detail = (await call('GET', `/native-run/executions/${first?.pipelineExecutionId}`)).body;
  assert.equal(detail.actions.find((a) => a.actionName === 'Approve')?.updatedBy, 'admin');
  assert.equal((await call('POST', '/native-run/approvals', { stage: 'Approval', action: 'Approve', status: 'Approved' })).status, 400, 'nothing waits any more');
  assert.equal((await call('GET', '/native-run/executions/nope')).status, 404);

  const started = await call('POST', '/native-run/executions', {});
  assert.equal(started.status, 201);
  await waitingApproval('native-run');
  await call('POST', '/native-run/approvals', { stage: 'Approval', action: 'Approve', status: 'Rejected', summary: 'not yet' });
  assert.equal((await call('GET', `/native-run/executions/${started.body.pipelineExecutionId}`)).body.execution.status, 'Failed');
  const retried = await call('POST', '/native-run/stages/Approval/retry', {});
  assert.equal(retried.body.pipelineExecutionId, started.body.pipelineExecutionId);
  await waitingApproval('native-run');
  const stopped = await call('POST', `/native-run/executions/${started.body.pipelineExecutionId}/stop`, { abandon: true, reason: 'enough' });
  assert.equal(stopped.status, 200);
  assert.equal((await call('GET', `/native-run/executions/${started.body.pipelineExecutionId}`)).body.execution.status, 'Stopped');

  await call('POST', '/native-run/stages/Approval/transition', { enabled: false, reason: 'freeze' });
  let state = (await call('GET', '/native-run/state')).body;
  assert.deepEqual(state.stageStates[1]?.inboundTransitionState.enabled, false);
  assert.equal(state.stageStates[1]?.inboundTransitionState.disabledReason, 'freeze');
  await call('POST', '/native-run/stages/Approval/transition', { enabled: true });
  state = (await call('GET', '/native-run/state')).body;
  assert.equal(state.stageStates[1]?.inboundTransitionState.enabled, true);
  assert.equal((await call('POST', '/native-run/stages/Nope/transition', { enabled: true })).status, 404);
});
