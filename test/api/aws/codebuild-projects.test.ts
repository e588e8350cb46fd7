/**
 * CodeBuild's project operations, driven by the official @aws-sdk/client-codebuild against a real
 * nagare server (SQLite in a temporary directory).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BatchGetProjectsCommand,
  CreateProjectCommand,
  DeleteProjectCommand,
  ListProjectsCommand,
  paginateListProjects,
  UpdateProjectCommand,
} from '@aws-sdk/client-codebuild';
import { HELLO_BUILDSPEC, projectInput, rejection, useCodeBuildServer } from './codebuild-server.js';

const api = useCodeBuildServer();

test('CreateProject returns the project as AWS shapes it, with Dates for created and lastModified', async () => {
  const { client, server } = api();
  const before = Date.now();
  const { project } = await client.send(
    new CreateProjectCommand(
      projectInput('create-me', {
        description: 'made by the SDK',
        environment: {
          type: 'LINUX_CONTAINER',
          image: 'shell',
          computeType: 'BUILD_GENERAL1_SMALL',
          environmentVariables: [
            { name: 'GREETING', value: 'hello' },
            { name: 'DB_PASSWORD', value: '/prod/db/password', type: 'PARAMETER_STORE' },
          ],
        },
        timeoutInMinutes: 30,
        tags: [{ key: 'team', value: 'ci' }],
      }),
    ),
  );
  assert.ok(project);
  assert.equal(project.name, 'create-me');
  assert.equal(project.arn, 'arn:aws:codebuild:us-east-1:000000000000:project/create-me');
  assert.equal(project.description, 'made by the SDK');
  assert.deepEqual(project.source, { type: 'NO_SOURCE', buildspec: HELLO_BUILDSPEC });
  assert.deepEqual(project.environment?.environmentVariables, [
    { name: 'GREETING', value: 'hello', type: 'PLAINTEXT' },
    { name: 'DB_PASSWORD', value: '/prod/db/password', type: 'PARAMETER_STORE' },
  ]);
  assert.equal(project.timeoutInMinutes, 30);
  assert.equal(project.queuedTimeoutInMinutes, 480);
  assert.deepEqual(project.tags, [{ key: 'team', value: 'ci' }]);
  assert.ok(project.created instanceof Date && project.lastModified instanceof Date);
  assert.ok(Math.abs(project.created.getTime() - before) < 60_000, `created ${project.created.toISOString()} is now`);
  assert.equal((await server.services.projects.get('create-me')).description, 'made by the SDK');
});

test('BatchGetProjects returns found projects by name or ARN and lists the rest in projectsNotFound', async () => {
  const { client } = api();
  await client.send(new CreateProjectCommand(projectInput('batch-a')));
  await client.send(new CreateProjectCommand(projectInput('batch-b')));
  const result = await client.send(
    new BatchGetProjectsCommand({ names: ['batch-a', 'arn:aws:codebuild:us-east-1:000000000000:project/batch-b', 'batch-missing'] }),
  );
  assert.deepEqual(result.projects?.map((p) => p.name), ['batch-a', 'batch-b']);
  assert.deepEqual(result.projectsNotFound, ['batch-missing']);
});

test('ListProjects lists names sorted by NAME, ascending and descending', async () => {
  const { client } = api();
  for (const name of ['list-c', 'list-a', 'list-b']) await client.send(new CreateProjectCommand(projectInput(name)));
  const ascending = (await client.send(new ListProjectsCommand({ sortBy: 'NAME', sortOrder: 'ASCENDING' }))).projects ?? [];
  assert.deepEqual(ascending.filter((n) => n.startsWith('list-')), ['list-a', 'list-b', 'list-c']);
  const descending = (await client.send(new ListProjectsCommand({ sortBy: 'NAME', sortOrder: 'DESCENDING' }))).projects ?? [];
  assert.deepEqual(descending.filter((n) => n.startsWith('list-')), ['list-c', 'list-b', 'list-a']);
});

test('ListProjects sorted by LAST_MODIFIED_TIME puts the project updated last first when DESCENDING', async () => {
  const { client } = api();
  for (const name of ['touched-a', 'touched-b']) await client.send(new CreateProjectCommand(projectInput(name)));
  await new Promise((resolve) => setTimeout(resolve, 5));
  await client.send(new UpdateProjectCommand({ name: 'touched-a', description: 'touched last' }));
  const names = (await client.send(new ListProjectsCommand({ sortBy: 'LAST_MODIFIED_TIME', sortOrder: 'DESCENDING' }))).projects ?? [];
  assert.equal(names[0], 'touched-a');
  assert.ok(names.indexOf('touched-b') > 0);
});

test('UpdateProject replaces the given fields and keeps the others', async () => {
  const { client } = api();
  const { project: created } = await client.send(new CreateProjectCommand(projectInput('update-me', { description: 'before' })));
  await new Promise((resolve) => setTimeout(resolve, 5));
  const { project } = await client.send(new UpdateProjectCommand({ name: 'update-me', description: 'after', timeoutInMinutes: 90 }));
  assert.equal(project?.description, 'after');
  assert.equal(project?.timeoutInMinutes, 90);
  assert.deepEqual(project?.source, { type: 'NO_SOURCE', buildspec: HELLO_BUILDSPEC });
  assert.equal(project?.created?.getTime(), created?.created?.getTime());
  assert.ok((project?.lastModified?.getTime() ?? 0) > (created?.lastModified?.getTime() ?? 0));
});

test('DeleteProject removes the project, and BatchGetProjects no longer finds it', async () => {
  const { client } = api();
  await client.send(new CreateProjectCommand(projectInput('delete-me')));
  await client.send(new DeleteProjectCommand({ name: 'delete-me' }));
  const result = await client.send(new BatchGetProjectsCommand({ names: ['delete-me'] }));
  assert.deepEqual(result.projects, []);
  assert.deepEqual(result.projectsNotFound, ['delete-me']);
});

test('CreateProject of an existing name fails with ResourceAlreadyExistsException', async () => {
  const { client } = api();
  await client.send(new CreateProjectCommand(projectInput('twice')));
  const error = await rejection(client.send(new CreateProjectCommand(projectInput('twice', { description: 'second' }))));
  assert.equal(error.name, 'ResourceAlreadyExistsException');
  assert.match(error.message, /twice/);
  assert.equal(error.$metadata?.httpStatusCode, 400);
});

test('UpdateProject and DeleteProject of an unknown project fail with ResourceNotFoundException', async () => {
  const { client } = api();
  assert.equal((await rejection(client.send(new UpdateProjectCommand({ name: 'no-such-project', description: 'x' })))).name, 'ResourceNotFoundException');
  assert.equal((await rejection(client.send(new DeleteProjectCommand({ name: 'no-such-project' })))).name, 'ResourceNotFoundException');
});

test('CreateProject with a bad name fails with InvalidInputException and creates nothing', async () => {
  const { client, server } = api();
  for (const name of ['x', '-starts-with-dash', 'has space', 'a'.repeat(256)]) {
    const error = await rejection(client.send(new CreateProjectCommand(projectInput(name))));
    assert.equal(error.name, 'InvalidInputException', name);
    assert.match(error.message, /name/, name);
    assert.equal(await server.services.context.store.projects.get(name), undefined);
  }
});

test('CreateProject with timeoutInMinutes 3 fails with InvalidInputException naming the field', async () => {
  const { client } = api();
  const error = await rejection(client.send(new CreateProjectCommand(projectInput('short-timeout', { timeoutInMinutes: 3 }))));
  assert.equal(error.name, 'InvalidInputException');
  assert.match(error.message, /timeoutInMinutes/);
  const queued = await rejection(client.send(new CreateProjectCommand(projectInput('long-queue', { queuedTimeoutInMinutes: 481 }))));
  assert.equal(queued.name, 'InvalidInputException');
  assert.match(queued.message, /queuedTimeoutInMinutes/);
});

test('CreateProject with an unsupported source type fails with InvalidInputException listing the supported ones', async () => {
  const { client } = api();
  const error = await rejection(client.send(new CreateProjectCommand(projectInput('from-s3', { source: { type: 'S3', location: 'bucket/key.zip' } }))));
  assert.equal(error.name, 'InvalidInputException');
  assert.match(error.message, /"S3" is not supported; nagare supports NO_SOURCE, GIT, CODECOMMIT, CODEPIPELINE/);
});

test('CreateProject with an unknown environment variable type fails with InvalidInputException', async () => {
  const { client } = api();
  const environment = { type: 'LINUX_CONTAINER' as const, image: 'shell', computeType: 'BUILD_GENERAL1_SMALL' as const, environmentVariables: [{ name: 'X', value: 'y', type: 'VAULT' as 'PLAINTEXT' }] };
  const error = await rejection(client.send(new CreateProjectCommand(projectInput('bad-variable', { environment }))));
  assert.equal(error.name, 'InvalidInputException');
  assert.match(error.message, /PLAINTEXT, PARAMETER_STORE, SECRETS_MANAGER/);
});

test('fields nagare does not model are ignored, as AWS ignores them', async () => {
  const { client } = api();
  const { project } = await client.send(
    new CreateProjectCommand(projectInput('with-extras', { badgeEnabled: true, logsConfig: { cloudWatchLogs: { status: 'ENABLED' } }, encryptionKey: 'alias/aws/s3' })),
  );
  assert.equal(project?.name, 'with-extras');
});

test('ListProjects pages by 100 with nextToken, by NAME and by CREATED_TIME, each name once', async () => {
  const { client, server } = api();
  for (let i = 0; i < 105; i++) {
    await server.services.projects.create({ name: `paged-${String(i).padStart(3, '0')}`, source: { type: 'NO_SOURCE', buildspec: HELLO_BUILDSPEC }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
  }
  for (const sortBy of ['NAME', 'CREATED_TIME'] as const) {
    const pages: string[][] = [];
    for await (const page of paginateListProjects({ client }, { sortBy, sortOrder: 'ASCENDING' })) pages.push(page.projects ?? []);
    assert.ok(pages.length >= 2, `${sortBy}: more than one page`);
    assert.equal(pages[0]?.length, 100, sortBy);
    const names = pages.flat();
    assert.equal(new Set(names).size, names.length, `${sortBy}: no name twice`);
    const paged = names.filter((n) => n.startsWith('paged-'));
    assert.equal(paged.length, 105, sortBy);
    assert.deepEqual(paged, [...paged].sort(), `${sortBy}: in order`);
  }
});

test('ListProjects with a nextToken it did not issue fails with InvalidInputException', async () => {
  const { client } = api();
  for (const sortBy of ['NAME', 'LAST_MODIFIED_TIME'] as const) {
    const error = await rejection(client.send(new ListProjectsCommand({ sortBy, nextToken: 'not-a-token' })));
    assert.equal(error.name, 'InvalidInputException', sortBy);
  }
});
