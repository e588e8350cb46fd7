/**
 * Issue 13, AWS shapes: `serviceRole`, `encryptionKey` and `logsConfig` are accepted, kept and
 * returned (not dropped as if never sent), and `Build.logs` names the CloudWatch group and stream
 * as CodeBuild does, with the deep link to nagare's log.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchGetBuildsCommand, BatchGetProjectsCommand, CreateProjectCommand, ListCuratedEnvironmentImagesCommand, StartBuildCommand, UpdateProjectCommand } from '@aws-sdk/client-codebuild';
import { projectInput, useCodeBuildServer } from './codebuild-server.js';

const api = useCodeBuildServer();

test('serviceRole, encryptionKey and logsConfig are kept and returned by BatchGetProjects, and survive an UpdateProject that does not name them', async () => {
  const { client } = api();
  const settings = {
    serviceRole: 'arn:aws:iam::000000000000:role/codebuild-kept',
    encryptionKey: 'arn:aws:kms:us-east-1:000000000000:alias/aws/s3',
    logsConfig: { cloudWatchLogs: { status: 'ENABLED' as const, groupName: 'ci-logs', streamName: 'kept' }, s3Logs: { status: 'DISABLED' as const } },
  };
  const created = await client.send(new CreateProjectCommand({ ...projectInput('kept'), ...settings }));
  assert.equal(created.project?.serviceRole, settings.serviceRole);
  await client.send(new UpdateProjectCommand({ name: 'kept', description: 'changed' }));
  const project = (await client.send(new BatchGetProjectsCommand({ names: ['kept'] }))).projects?.[0];
  assert.equal(project?.description, 'changed');
  assert.equal(project?.serviceRole, settings.serviceRole);
  assert.equal(project?.encryptionKey, settings.encryptionKey);
  assert.deepEqual(project?.logsConfig, settings.logsConfig);

  const id = (await client.send(new StartBuildCommand({ projectName: 'kept' }))).build?.id ?? '';
  const build = (await client.send(new BatchGetBuildsCommand({ ids: [id] }))).builds?.[0];
  assert.equal(build?.logs?.groupName, 'ci-logs');
  assert.equal(build?.logs?.streamName, `kept/${id.split(':')[1] ?? ''}`);
  assert.match(build?.logs?.deepLink ?? '', /\/api\/v1\/builds\/.*\/logs$/);
  assert.equal(build?.serviceRole, settings.serviceRole);
  assert.equal(build?.encryptionKey, settings.encryptionKey);
});

test('a project without logsConfig reports CloudWatch on and S3 off, and Build.logs uses /aws/codebuild/<project>', async () => {
  const { client } = api();
  await client.send(new CreateProjectCommand(projectInput('plain-logs')));
  const project = (await client.send(new BatchGetProjectsCommand({ names: ['plain-logs'] }))).projects?.[0];
  assert.deepEqual(project?.logsConfig, { cloudWatchLogs: { status: 'ENABLED' }, s3Logs: { status: 'DISABLED' } });
  const id = (await client.send(new StartBuildCommand({ projectName: 'plain-logs' }))).build?.id ?? '';
  const build = (await client.send(new BatchGetBuildsCommand({ ids: [id] }))).builds?.[0];
  assert.equal(build?.logs?.groupName, '/aws/codebuild/plain-logs');
  assert.equal(build?.logs?.streamName, id.split(':')[1]);
});

test('ListCuratedEnvironmentImages lists the images agents can run: shell always, the base image once a Docker agent is connected', async () => {
  const { client, server } = api();
  const images = async (): Promise<string[]> => ((await client.send(new ListCuratedEnvironmentImagesCommand({}))).platforms ?? []).flatMap((p) => (p.languages ?? []).flatMap((l) => (l.images ?? []).map((i) => i.name ?? '')));
  assert.deepEqual(await images(), ['shell']);
  await server.services.auth.registerAgent(server.token, 'with-docker', {}, { labels: ['docker'] });
  assert.deepEqual(await images(), ['shell', 'nagare/base:latest']);
});
