/**
 * The CodeCommit API through the official @aws-sdk/client-codecommit against a real server: the
 * repository operations, branches and commits of a repository pushed with real git, and the typed
 * exceptions CodeCommit documents for each operation.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  BranchDoesNotExistException,
  BranchNameRequiredException,
  CodeCommitClient,
  CommitIdDoesNotExistException,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  GetBranchCommand,
  GetCommitCommand,
  GetRepositoryCommand,
  InvalidCommitIdException,
  InvalidContinuationTokenException,
  InvalidRepositoryNameException,
  InvalidSortByException,
  ListBranchesCommand,
  ListRepositoriesCommand,
  type ListRepositoriesCommandInput,
  RepositoryDoesNotExistException,
  RepositoryNameExistsException,
  RepositoryNameRequiredException,
} from '@aws-sdk/client-codecommit';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { authedUrl, commitFiles, gitOk, tempDir } from '../../git/git-client.js';
import { rejection } from './codebuild-server.js';

let server: TestServer;
let client: CodeCommitClient;

before(async () => {
  server = await startTestServer();
  client = new CodeCommitClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }, maxAttempts: 1 });
});
after(async () => {
  client.destroy();
  await server.stop();
});

test('CreateRepository returns repositoryMetadata with the clone URL; GetRepository reads it back', async () => {
  const created = await client.send(new CreateRepositoryCommand({ repositoryName: 'sdk-repo', repositoryDescription: 'made by the SDK' }));
  const metadata = created.repositoryMetadata;
  assert.equal(metadata?.repositoryName, 'sdk-repo');
  assert.equal(metadata?.repositoryDescription, 'made by the SDK');
  assert.equal(metadata?.cloneUrlHttp, `${server.url}/git/sdk-repo.git`);
  assert.equal(metadata?.Arn, 'arn:aws:codecommit:us-east-1:000000000000:sdk-repo');
  assert.equal(metadata?.accountId, '000000000000');
  assert.match(metadata?.repositoryId ?? '', /^[0-9a-f-]{36}$/);
  assert.ok(metadata?.creationDate instanceof Date && Math.abs(metadata.creationDate.getTime() - Date.now()) < 60_000);
  assert.equal(metadata?.defaultBranch, undefined, 'no default branch before the first push');
  const got = await client.send(new GetRepositoryCommand({ repositoryName: 'sdk-repo' }));
  assert.deepEqual(got.repositoryMetadata, metadata);
});

test('CreateRepository of a taken name is RepositoryNameExistsException; a bad name InvalidRepositoryNameException', async () => {
  await client.send(new CreateRepositoryCommand({ repositoryName: 'taken' }));
  assert.ok((await rejection(client.send(new CreateRepositoryCommand({ repositoryName: 'taken' })))) instanceof RepositoryNameExistsException);
  for (const name of ['../up', 'ends.git', 'has space', 'x'.repeat(101)]) {
    assert.ok((await rejection(client.send(new CreateRepositoryCommand({ repositoryName: name })))) instanceof InvalidRepositoryNameException, name);
  }
  assert.ok((await rejection(client.send(new CreateRepositoryCommand({ repositoryName: '' })))) instanceof RepositoryNameRequiredException);
});

test('GetRepository and DeleteRepository of a missing repository', async () => {
  const error = await rejection(client.send(new GetRepositoryCommand({ repositoryName: 'nowhere' })));
  assert.ok(error instanceof RepositoryDoesNotExistException);
  assert.equal(error.$metadata?.httpStatusCode, 400);
  assert.deepEqual((await client.send(new DeleteRepositoryCommand({ repositoryName: 'nowhere' }))).repositoryId, undefined, 'deleting a missing repository is not an error');
});

test('ListRepositories sorts by name or last modified date, both orders; DeleteRepository removes one', async () => {
  for (const name of ['list-b', 'list-a', 'list-c']) await client.send(new CreateRepositoryCommand({ repositoryName: name }));
  const names = async (input: ListRepositoriesCommandInput): Promise<string[]> =>
    ((await client.send(new ListRepositoriesCommand(input))).repositories ?? []).map((r) => r.repositoryName ?? '').filter((n) => n.startsWith('list-'));
  assert.deepEqual(await names({}), ['list-a', 'list-b', 'list-c']);
  assert.deepEqual(await names({ sortBy: 'repositoryName', order: 'descending' }), ['list-c', 'list-b', 'list-a']);
  const byDate = await names({ sortBy: 'lastModifiedDate', order: 'ascending' });
  assert.deepEqual([...byDate].sort(), ['list-a', 'list-b', 'list-c']);
  const created = new Map<string, number>();
  for (const name of byDate) created.set(name, (await client.send(new GetRepositoryCommand({ repositoryName: name }))).repositoryMetadata?.lastModifiedDate?.getTime() ?? 0);
  assert.deepEqual(byDate, [...byDate].sort((a, b) => (created.get(a) ?? 0) - (created.get(b) ?? 0) || a.localeCompare(b)), 'oldest first');
  assert.ok((await rejection(client.send(new ListRepositoriesCommand({ sortBy: 'size' as 'repositoryName' })))) instanceof InvalidSortByException);
  assert.ok((await rejection(client.send(new ListRepositoriesCommand({ nextToken: 'forged' })))) instanceof InvalidContinuationTokenException);
  const deleted = await client.send(new DeleteRepositoryCommand({ repositoryName: 'list-b' }));
  assert.match(deleted.repositoryId ?? '', /^[0-9a-f-]{36}$/);
  assert.deepEqual(await names({}), ['list-a', 'list-c']);
});

test('ListBranches, GetBranch and GetCommit of a repository pushed with git', async () => {
  await client.send(new CreateRepositoryCommand({ repositoryName: 'pushed' }));
  const work = await tempDir('sdk');
  await gitOk(work, ['init', '--quiet', '--initial-branch=main', '.']);
  const first = await commitFiles(work, { 'index.html': '<h1>hi</h1>\n' }, 'first');
  const second = await commitFiles(work, { 'index.html': '<h1>hello</h1>\n' }, 'second\n\nbody');
  await gitOk(work, ['push', '--quiet', authedUrl(server.url, 'pushed', server.token), 'main', `${first}:refs/heads/release`]);

  assert.deepEqual((await client.send(new ListBranchesCommand({ repositoryName: 'pushed' }))).branches, ['main', 'release']);
  assert.equal((await client.send(new GetRepositoryCommand({ repositoryName: 'pushed' }))).repositoryMetadata?.defaultBranch, 'main');
  assert.deepEqual((await client.send(new GetBranchCommand({ repositoryName: 'pushed', branchName: 'release' }))).branch, { branchName: 'release', commitId: first });
  assert.ok((await rejection(client.send(new GetBranchCommand({ repositoryName: 'pushed', branchName: 'nope' })))) instanceof BranchDoesNotExistException);
  assert.ok((await rejection(client.send(new GetBranchCommand({ repositoryName: 'pushed' })))) instanceof BranchNameRequiredException);
  assert.ok((await rejection(client.send(new GetBranchCommand({ repositoryName: 'gone', branchName: 'main' })))) instanceof RepositoryDoesNotExistException);

  const { commit } = await client.send(new GetCommitCommand({ repositoryName: 'pushed', commitId: second }));
  assert.equal(commit?.commitId, second);
  assert.deepEqual(commit?.parents, [first]);
  assert.equal(commit?.message, 'second\n\nbody\n');
  assert.equal(commit?.author?.name, 'Ada Lovelace');
  assert.equal(commit?.author?.email, 'ada@example.com');
  assert.match(commit?.author?.date ?? '', /^\d{10} [+-]\d{4}$/);
  assert.match(commit?.treeId ?? '', /^[0-9a-f]{40}$/);
  assert.ok((await rejection(client.send(new GetCommitCommand({ repositoryName: 'pushed', commitId: 'a'.repeat(40) })))) instanceof CommitIdDoesNotExistException);
  assert.ok((await rejection(client.send(new GetCommitCommand({ repositoryName: 'pushed', commitId: 'main' })))) instanceof InvalidCommitIdException);
});
