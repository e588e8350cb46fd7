/**
 * The CodeCommit operations nagare serves (`X-Amz-Target: CodeCommit_20150413.<Operation>`) over
 * the hosted repositories: CreateRepository, GetRepository, ListRepositories, DeleteRepository,
 * ListBranches, GetBranch and GetCommit. Shapes as the CodeCommit API reference gives them; errors
 * as codecommit-errors.ts names them.
 */
import { isNagareError, NagareError } from '../../core/errors.js';
import type { StoredRepository } from '../../core/store.js';
import type { CommitInfo, GitPerson } from '../../server/repositories/repositories-service.js';
import type { Services } from '../../server/services.js';
import { epochSeconds } from './codebuild-shapes.js';
import { CodeCommitInputError } from './codecommit-errors.js';
import type { AwsOperation } from './codebuild-operations.js';

type Json = Record<string, unknown>;

/** CodeCommit pages ListRepositories and ListBranches by up to 1,000 names. */
const PAGE_SIZE = 1000;

function field(input: unknown, name: string): unknown {
  return typeof input === 'object' && input !== null ? (input as Json)[name] : undefined;
}

function requiredString(input: unknown, name: string, missingType: string): string {
  const value = field(input, name);
  if (value === undefined || value === null || value === '') throw new CodeCommitInputError(missingType, `${name} is required`);
  if (typeof value !== 'string') throw new NagareError('API_INVALID_INPUT', `${name} must be a string`);
  return value;
}

function optionalString(input: unknown, name: string): string | undefined {
  const value = field(input, name);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new NagareError('API_INVALID_INPUT', `${name} must be a string`);
  return value;
}

const repositoryName = (input: unknown): string => requiredString(input, 'repositoryName', 'RepositoryNameRequiredException');

export function repositoryMetadata(services: Services, repository: StoredRepository): Json {
  const { region, accountId } = services.context.settings;
  return {
    accountId,
    repositoryId: repository.id,
    repositoryName: repository.name,
    ...(repository.description === undefined ? {} : { repositoryDescription: repository.description }),
    ...(repository.defaultBranch === undefined ? {} : { defaultBranch: repository.defaultBranch }),
    lastModifiedDate: epochSeconds(repository.lastModified),
    creationDate: epochSeconds(repository.created),
    cloneUrlHttp: services.repositories.cloneUrl(repository.name),
    Arn: `arn:aws:codecommit:${region}:${accountId}:${repository.name}`,
  };
}

/** CodeCommit's `UserInfo`: the date as git writes it, `<epoch seconds> <zone>`. */
function userInfo(person: GitPerson): Json {
  return { name: person.name, email: person.email, date: `${Math.floor(person.date / 1000)} ${person.timezone}` };
}

function commitShape(commit: CommitInfo): Json {
  return { commitId: commit.commitId, treeId: commit.treeId, parents: commit.parents, message: commit.message, author: userInfo(commit.author), committer: userInfo(commit.committer), additionalData: '' };
}

/** Offset tokens for lists read whole (branches, repositories by date): `offset-<n>`. */
function offsetOf(nextToken: string | undefined): number {
  if (nextToken === undefined) return 0;
  const offset = Number(/^offset-(\d+)$/.exec(nextToken)?.[1] ?? NaN);
  if (!Number.isSafeInteger(offset)) throw new CodeCommitInputError('InvalidContinuationTokenException', 'nextToken is not a token this operation returned');
  return offset;
}

function page<T>(items: readonly T[], nextToken: string | undefined): { items: T[]; nextToken: string | undefined } {
  const offset = offsetOf(nextToken);
  const more = offset + PAGE_SIZE < items.length;
  return { items: items.slice(offset, offset + PAGE_SIZE), nextToken: more ? `offset-${offset + PAGE_SIZE}` : undefined };
}

async function allRepositories(services: Services): Promise<StoredRepository[]> {
  const all: StoredRepository[] = [];
  let token: string | undefined;
  do {
    const listed = await services.repositories.list({ limit: 1000, nextToken: token });
    all.push(...listed.items);
    token = listed.nextToken;
  } while (token !== undefined);
  return all;
}

export const CODECOMMIT_OPERATIONS: Readonly<Record<string, AwsOperation>> = {
  async CreateRepository(services, input) {
    for (const unsupported of ['tags', 'kmsKeyId']) {
      if (field(input, unsupported) !== undefined) throw new NagareError('UNSUPPORTED_FEATURE', `CreateRepository ${unsupported} is not supported by nagare yet`, { details: { feature: unsupported } });
    }
    const description = optionalString(input, 'repositoryDescription');
    if (description !== undefined && description.length > 1000) throw new CodeCommitInputError('InvalidRepositoryDescriptionException', 'repositoryDescription is longer than 1000 characters');
    const repository = await services.repositories.create({ repositoryName: repositoryName(input), repositoryDescription: description });
    return { repositoryMetadata: repositoryMetadata(services, repository) };
  },

  async GetRepository(services, input) {
    return { repositoryMetadata: repositoryMetadata(services, await services.repositories.get(repositoryName(input))) };
  },

  async ListRepositories(services, input) {
    const sortBy = optionalString(input, 'sortBy') ?? 'repositoryName';
    const order = optionalString(input, 'order') ?? 'ascending';
    if (sortBy !== 'repositoryName' && sortBy !== 'lastModifiedDate') throw new CodeCommitInputError('InvalidSortByException', 'sortBy must be repositoryName or lastModifiedDate');
    if (order !== 'ascending' && order !== 'descending') throw new CodeCommitInputError('InvalidOrderException', 'order must be ascending or descending');
    const nextToken = optionalString(input, 'nextToken');
    if (sortBy === 'repositoryName') {
      // By name the store pages itself (keyset), so a long list is never read whole.
      const listed = await services.repositories.list({ limit: PAGE_SIZE, nextToken, sortOrder: order === 'ascending' ? 'ASCENDING' : 'DESCENDING' }).catch((error: unknown) => {
        throw isNagareError(error) && error.code === 'API_INVALID_INPUT' ? new CodeCommitInputError('InvalidContinuationTokenException', 'nextToken is not a token this operation returned') : error;
      });
      return { repositories: listed.items.map((r) => ({ repositoryName: r.name, repositoryId: r.id })), ...(listed.nextToken === undefined ? {} : { nextToken: listed.nextToken }) };
    }
    // By last modification: rare and small in practice; the names are read whole and sorted here.
    const repositories = await allRepositories(services);
    repositories.sort((a, b) => {
      const [x, y] = order === 'ascending' ? [a, b] : [b, a];
      return x.lastModified - y.lastModified || x.name.localeCompare(y.name, 'en');
    });
    const listed = page(repositories, nextToken);
    return { repositories: listed.items.map((r) => ({ repositoryName: r.name, repositoryId: r.id })), ...(listed.nextToken === undefined ? {} : { nextToken: listed.nextToken }) };
  },

  async DeleteRepository(services, input) {
    const deleted = await services.repositories.delete(repositoryName(input));
    return deleted === undefined ? {} : { repositoryId: deleted.id };
  },

  async ListBranches(services, input) {
    const branches = await services.repositories.listBranches(repositoryName(input));
    const listed = page(branches, optionalString(input, 'nextToken'));
    return { branches: listed.items, ...(listed.nextToken === undefined ? {} : { nextToken: listed.nextToken }) };
  },

  async GetBranch(services, input) {
    const name = repositoryName(input);
    const branchName = requiredString(input, 'branchName', 'BranchNameRequiredException');
    if (branchName.startsWith('refs/') || branchName.length > 256) throw new CodeCommitInputError('InvalidBranchNameException', `${branchName} is not a branch name`);
    return { branch: { branchName, commitId: await services.repositories.resolveRef(name, branchName) } };
  },

  async GetCommit(services, input) {
    const name = repositoryName(input);
    const commitId = requiredString(input, 'commitId', 'CommitIdRequiredException');
    if (!/^[0-9a-f]{40}$/i.test(commitId)) throw new CodeCommitInputError('InvalidCommitIdException', `${commitId.slice(0, 80)} is not a full commit id`);
    return { commit: commitShape(await services.repositories.commitInfo(name, commitId)) };
  },
};
