/**
 * CodeBuild's build operations through the official CodeBuildClient, on a server with no agent:
 * builds stay QUEUED unless stopped, which is all these rules need.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BatchDeleteBuildsCommand,
  BatchGetBuildsCommand,
  CreateProjectCommand,
  ListBuildsCommand,
  ListBuildsForProjectCommand,
  RetryBuildCommand,
  StartBuildCommand,
  StopBuildCommand,
} from '@aws-sdk/client-codebuild';
import { projectInput, rejection, useCodeBuildServer } from './codebuild-server.js';

const api = useCodeBuildServer();

async function createProject(name: string): Promise<void> {
  await api().client.send(new CreateProjectCommand(projectInput(name)));
}

/** Builds started in the same millisecond tie on start time; space them so "newest" is defined. */
function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 3));
}

test('StartBuild returns a QUEUED build with buildNumber 1, then 2', async () => {
  const { client, server } = api();
  await createProject('numbered');
  const first = (await client.send(new StartBuildCommand({ projectName: 'numbered' }))).build;
  const second = (await client.send(new StartBuildCommand({ projectName: 'numbered' }))).build;
  assert.equal(first?.buildNumber, 1);
  assert.equal(second?.buildNumber, 2);
  assert.ok(first?.id);
  assert.match(first.id, /^numbered:[0-9a-f-]{36}$/);
  assert.equal(first.arn, `arn:aws:codebuild:us-east-1:000000000000:build/${first.id}`);
  assert.equal(first.currentPhase, 'QUEUED');
  assert.equal(first.buildStatus, 'IN_PROGRESS');
  assert.equal(first.buildComplete, false);
  assert.equal(first.projectName, 'numbered');
  assert.equal(first.initiator, 'admin');
  assert.equal(first.timeoutInMinutes, 60);
  assert.equal(first.queuedTimeoutInMinutes, 480);
  assert.ok(first.startTime instanceof Date);
  assert.deepEqual(first.phases?.map((p) => [p.phaseType, p.phaseStatus]), [['SUBMITTED', 'SUCCEEDED'], ['QUEUED', undefined]]);
  assert.equal(first.phases?.[0]?.durationInSeconds, 0);
  assert.equal(first.logs?.deepLink, `${server.url}/api/v1/builds/${encodeURIComponent(first.id)}/logs`);
});

test('StartBuild queuedTimeoutInMinutesOverride and gitCloneDepthOverride are kept on the build', async () => {
  const { client } = api();
  await createProject('queue-override');
  const { build } = await client.send(new StartBuildCommand({ projectName: 'queue-override', queuedTimeoutInMinutesOverride: 7, gitCloneDepthOverride: 3 }));
  assert.equal(build?.queuedTimeoutInMinutes, 7);
  assert.equal(build?.source?.gitCloneDepth, 3);
});

test('StartBuild members nagare does not carry out yet are refused naming the member, and no build starts', async () => {
  const { client, server } = api();
  await createProject('unsupported-override');
  for (const input of [{ cacheOverride: { type: 'NO_CACHE' as const } }, { idempotencyToken: 'token-1' }, { debugSessionEnabled: true }]) {
    const error = await rejection(client.send(new StartBuildCommand({ projectName: 'unsupported-override', ...input })));
    assert.equal(error.name, 'InvalidInputException');
    assert.match(error.message, new RegExp(`${Object.keys(input)[0]} is not supported`));
  }
  assert.deepEqual((await server.services.builds.listForProject('unsupported-override', { limit: 10 })).items, []);
});

test('StartBuild applies its overrides and shows secret variables by reference only', async () => {
  const { client } = api();
  await createProject('overridden');
  const { build } = await client.send(
    new StartBuildCommand({
      projectName: 'overridden',
      sourceVersion: 'refs/heads/feature',
      buildspecOverride: 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo override\n',
      timeoutInMinutesOverride: 15,
      imageOverride: 'node:20',
      environmentVariablesOverride: [
        { name: 'STAGE', value: 'test', type: 'PLAINTEXT' },
        { name: 'TOKEN', value: 'prod/api:token', type: 'SECRETS_MANAGER' },
      ],
    }),
  );
  assert.equal(build?.sourceVersion, 'refs/heads/feature');
  assert.match(build?.source?.buildspec ?? '', /echo override/);
  assert.equal(build?.timeoutInMinutes, 15);
  assert.equal(build?.environment?.image, 'node:20');
  assert.deepEqual(build?.environment?.environmentVariables, [
    { name: 'STAGE', value: 'test', type: 'PLAINTEXT' },
    { name: 'TOKEN', value: 'prod/api:token', type: 'SECRETS_MANAGER' },
  ]);
});

test('StartBuild with timeoutInMinutesOverride 3 fails with InvalidInputException and queues nothing', async () => {
  const { client } = api();
  await createProject('too-short');
  const error = await rejection(client.send(new StartBuildCommand({ projectName: 'too-short', timeoutInMinutesOverride: 3 })));
  assert.equal(error.name, 'InvalidInputException');
  assert.match(error.message, /timeoutInMinutesOverride/);
  assert.deepEqual((await client.send(new ListBuildsForProjectCommand({ projectName: 'too-short' }))).ids, []);
});

test('StartBuild of an unknown project fails with ResourceNotFoundException', async () => {
  const error = await rejection(api().client.send(new StartBuildCommand({ projectName: 'never-created' })));
  assert.equal(error.name, 'ResourceNotFoundException');
  assert.match(error.message, /never-created/);
});

test('StopBuild of a queued build ends it STOPPED and complete', async () => {
  const { client } = api();
  await createProject('stop-me');
  const started = (await client.send(new StartBuildCommand({ projectName: 'stop-me' }))).build;
  const { build } = await client.send(new StopBuildCommand({ id: started?.id }));
  assert.equal(build?.buildStatus, 'STOPPED');
  assert.equal(build?.currentPhase, 'COMPLETED');
  assert.equal(build?.buildComplete, true);
  assert.ok(build?.endTime instanceof Date);
  const queued = build?.phases?.find((p) => p.phaseType === 'QUEUED');
  assert.equal(queued?.phaseStatus, 'STOPPED');
  assert.equal(typeof queued?.durationInSeconds, 'number');
  assert.equal(build?.phases?.at(-1)?.phaseType, 'COMPLETED');
});

test('StopBuild of an unknown build fails with ResourceNotFoundException', async () => {
  assert.equal((await rejection(api().client.send(new StopBuildCommand({ id: 'stop-me:00000000-0000-0000-0000-000000000000' })))).name, 'ResourceNotFoundException');
});

test('RetryBuild starts a new build of the same project with the same overrides', async () => {
  const { client } = api();
  await createProject('retried');
  const first = (await client.send(new StartBuildCommand({ projectName: 'retried', timeoutInMinutesOverride: 20, sourceVersion: 'v1.2.3' }))).build;
  const { build } = await client.send(new RetryBuildCommand({ id: first?.id }));
  assert.notEqual(build?.id, first?.id);
  assert.equal(build?.buildNumber, 2);
  assert.equal(build?.timeoutInMinutes, 20);
  assert.equal(build?.sourceVersion, 'v1.2.3');
  assert.equal(build?.currentPhase, 'QUEUED');
});

test('BatchGetBuilds returns the builds asked for and lists an unknown id in buildsNotFound', async () => {
  const { client } = api();
  await createProject('batch-builds');
  const a = (await client.send(new StartBuildCommand({ projectName: 'batch-builds' }))).build?.id ?? '';
  const b = (await client.send(new StartBuildCommand({ projectName: 'batch-builds' }))).build?.id ?? '';
  const unknown = 'batch-builds:11111111-1111-1111-1111-111111111111';
  const result = await client.send(new BatchGetBuildsCommand({ ids: [b, unknown, a] }));
  assert.deepEqual(result.builds?.map((build) => build.id), [b, a]);
  assert.deepEqual(result.buildsNotFound, [unknown]);
});

test('ListBuildsForProject lists the project\'s builds newest first, and oldest first when ASCENDING', async () => {
  const { client } = api();
  await createProject('history');
  await createProject('history-other');
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    ids.push((await client.send(new StartBuildCommand({ projectName: 'history' }))).build?.id ?? '');
    await client.send(new StartBuildCommand({ projectName: 'history-other' }));
    await tick();
  }
  assert.deepEqual((await client.send(new ListBuildsForProjectCommand({ projectName: 'history' }))).ids, [...ids].reverse());
  assert.deepEqual((await client.send(new ListBuildsForProjectCommand({ projectName: 'history', sortOrder: 'ASCENDING' }))).ids, ids);
});

test('ListBuildsForProject of an unknown project fails with ResourceNotFoundException', async () => {
  assert.equal((await rejection(api().client.send(new ListBuildsForProjectCommand({ projectName: 'nowhere' })))).name, 'ResourceNotFoundException');
});

test('ListBuilds lists builds of every project, newest first', async () => {
  const { client } = api();
  await createProject('listed-1');
  await createProject('listed-2');
  const one = (await client.send(new StartBuildCommand({ projectName: 'listed-1' }))).build?.id ?? '';
  await tick();
  const two = (await client.send(new StartBuildCommand({ projectName: 'listed-2' }))).build?.id ?? '';
  const ids = (await client.send(new ListBuildsCommand({}))).ids ?? [];
  assert.deepEqual(ids.slice(0, 2), [two, one]);
});

test('BatchDeleteBuilds deletes a finished build and refuses one still in progress', async () => {
  const { client } = api();
  await createProject('deletions');
  const running = (await client.send(new StartBuildCommand({ projectName: 'deletions' }))).build?.id ?? '';
  const finished = (await client.send(new StartBuildCommand({ projectName: 'deletions' }))).build?.id ?? '';
  await client.send(new StopBuildCommand({ id: finished }));
  const result = await client.send(new BatchDeleteBuildsCommand({ ids: [running, finished] }));
  assert.deepEqual(result.buildsDeleted, [finished]);
  assert.deepEqual(result.buildsNotDeleted, [{ id: running, statusCode: 'BUILD_IN_PROGRESS' }]);
  const after = await client.send(new BatchGetBuildsCommand({ ids: [running, finished] }));
  assert.deepEqual(after.builds?.map((b) => b.id), [running]);
  assert.deepEqual(after.buildsNotFound, [finished]);
});
