/**
 * Hosted git repositories (CodeCommit): bare repositories under `<root>/<name>.git`, served over
 * git's smart HTTP by `git http-backend`, and the push events the pipeline driver starts from.
 *
 * Push detection: a `git-receive-pack` POST runs under a per-repository lock; the branches and
 * tags are read before and after it, and every ref whose target changed becomes one PushEvent.
 * The events are stored (push_events) before the pusher's `git push` returns, then published on
 * the event bus as `Pushed`. A server that was down catches up with `pushEventsAfter`.
 *
 * Errors: REPO_INVALID_NAME, REPO_ALREADY_EXISTS, REPO_NOT_FOUND, REPO_BRANCH_NOT_FOUND,
 * REPO_COMMIT_NOT_FOUND, REPO_GIT_FAILED (git itself failed; logged with git's message).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { NagareError } from '../../core/errors.js';
import type { Page, PageRequest, PushEvent, RepositoryMirror, StoredRepository } from '../../core/store.js';
import { git } from '../../git/git-command.js';
import { runHttpBackend, type GitHttpRequest } from '../../git/git-http-backend.js';
import { cloneArchive } from '../../git/clone-archive.js';
import { archiveCommit, listBranches, readCommit, resolveBranch, type CommitInfo } from '../../git/git-objects.js';
import { redactUrl } from '../../git/external-mirror.js';
import { changedPaths, readRefs, refUpdates, type RefSnapshot } from '../../git/git-refs.js';
import { KeyedLock } from '../../git/keyed-lock.js';
import { checkRepositoryName } from '../../git/repository-name.js';
import type { ServerContext } from '../server-context.js';
import { pushEvents } from '../events/aws-events.js';
import { pushTraceParent, traceIdOf } from '../events/trace.js';

export type { CommitInfo, GitPerson } from '../../git/git-objects.js';
export type { PushEvent, StoredRepository } from '../../core/store.js';

export interface CreateRepositoryInput {
  readonly repositoryName: string;
  readonly repositoryDescription?: string | undefined;
  /** An external repository's mirror (see ExternalRepositoriesService, which creates those). */
  readonly mirror?: RepositoryMirror | undefined;
}

/** A smart-HTTP request for one repository; `path` is what follows `<name>.git/`. */
export interface GitServiceRequest extends Omit<GitHttpRequest, 'pathInfo' | 'remoteUser'> {
  readonly repositoryName: string;
  readonly path: string;
  /** The authenticated caller (the API token's name); recorded as the pusher. */
  readonly caller: string;
}

export class RepositoriesService {
  readonly #pushLock = new KeyedLock();

  /** `root` is the directory holding `<name>.git` (`<data-dir>/repositories`). */
  constructor(private readonly context: ServerContext, readonly root: string) {}

  cloneUrl(repositoryName: string): string {
    return `${this.context.settings.publicUrl}/git/${repositoryName}.git`;
  }

  gitDir(repositoryName: string): string {
    return path.join(this.root, `${checkRepositoryName(repositoryName)}.git`);
  }

  async create(input: CreateRepositoryInput): Promise<StoredRepository> {
    const name = checkRepositoryName(input.repositoryName);
    const now = this.context.clock();
    const repository: StoredRepository = { name, id: this.context.newId(), description: input.repositoryDescription, defaultBranch: undefined, created: now, lastModified: now, ...(input.mirror ? { mirror: input.mirror } : {}) };
    await this.context.store.repositories.create(repository).catch((error: unknown) => {
      if (error instanceof NagareError && error.code === 'STORE_CONFLICT') throw alreadyExists(name);
      throw error;
    });
    try {
      // A directory left by a crash between a delete's row and its files is not this repository's.
      await rm(this.gitDir(name), { recursive: true, force: true });
      await mkdir(this.root, { recursive: true });
      await git(this.root, ['init', '--quiet', '--bare', '--initial-branch=main', '--end-of-options', this.gitDir(name)]);
    } catch (error) {
      await this.context.store.repositories.delete(name);
      throw error;
    }
    return repository;
  }

  async get(repositoryName: string): Promise<StoredRepository> {
    const found = await this.context.store.repositories.get(checkRepositoryName(repositoryName));
    if (!found) throw notFound(repositoryName);
    return found;
  }

  list(page: PageRequest): Promise<Page<StoredRepository>> {
    return this.context.store.repositories.list(page);
  }

  /** Deletes the repository and its git data; undefined when there was none (as CodeCommit). */
  async delete(repositoryName: string): Promise<StoredRepository | undefined> {
    const found = await this.context.store.repositories.get(checkRepositoryName(repositoryName));
    if (!found) return undefined;
    await this.context.store.repositories.delete(found.name);
    // Moved aside first, so that a repository created again at once gets a clean directory.
    const doomed = path.join(this.root, `.deleted-${randomBytes(6).toString('hex')}`);
    await rename(this.gitDir(found.name), doomed).then(() => rm(doomed, { recursive: true, force: true }), () => undefined);
    return found;
  }

  /** Stored push events after `afterSequence` (0 for all), oldest first. */
  pushEventsAfter(afterSequence: number, limit = 100, filter: { readonly repositoryName?: string | undefined } = {}): Promise<PushEvent[]> {
    return this.context.store.repositories.pushEventsAfter(afterSequence, limit, filter);
  }

  /** The commit id a branch (`main` or `refs/heads/main`) points at. */
  async resolveRef(repositoryName: string, branch: string): Promise<string> {
    await this.get(repositoryName);
    return resolveBranch(this.gitDir(repositoryName), branch);
  }

  async listBranches(repositoryName: string): Promise<string[]> {
    await this.get(repositoryName);
    return listBranches(this.gitDir(repositoryName));
  }

  /** A commit by its full id; REPO_COMMIT_NOT_FOUND otherwise. */
  async commitInfo(repositoryName: string, commit: string): Promise<CommitInfo> {
    await this.get(repositoryName);
    return readCommit(this.gitDir(repositoryName), commit);
  }

  /** The commit's tree as a zip, without `.git`; streamed by git as it is read. */
  async archive(repositoryName: string, commit: string): Promise<AsyncIterable<Uint8Array>> {
    await this.get(repositoryName);
    return archiveCommit(this.gitDir(repositoryName), commit);
  }

  /**
   * A git clone of the commit, zipped, with `branch` checked out and `origin` the mirror's
   * upstream (credentials redacted) or this server's own path: CODEBUILD_CLONE_REF sources.
   */
  async cloneArchive(repositoryName: string, commit: string, branch: string): Promise<Buffer> {
    const repository = await this.get(repositoryName);
    const origin = repository.mirror ? redactUrl(repository.mirror.url) : `/git/${repository.name}.git`;
    return cloneArchive(this.gitDir(repositoryName), commit, branch, origin);
  }

  /** Every repository, with its mirror's URL when it is one (for resolving GitHub sources). */
  async listAll(): Promise<StoredRepository[]> {
    const all: StoredRepository[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.context.store.repositories.list({ limit: 1000, nextToken });
      all.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    return all;
  }

  /**
   * Answers one smart-HTTP request (the caller is already authenticated). Only the smart protocol
   * is served: `info/refs?service=…`, `git-upload-pack` and `git-receive-pack`.
   */
  async serveGit(request: GitServiceRequest): Promise<Response> {
    const repository = await this.get(request.repositoryName);
    const service = new URLSearchParams(request.query).get('service');
    const isAdvertisement = request.method === 'GET' && request.path === 'info/refs' && (service === 'git-upload-pack' || service === 'git-receive-pack');
    const isRpc = request.method === 'POST' && (request.path === 'git-upload-pack' || request.path === 'git-receive-pack');
    if (!isAdvertisement && !isRpc) throw new NagareError('API_NOT_FOUND', `nagare serves git's smart HTTP protocol only (no ${request.method} ${request.path})`);
    if (repository.mirror && (request.path === 'git-receive-pack' || service === 'git-receive-pack')) {
      throw new NagareError('AUTH_FORBIDDEN', `Repository ${repository.name} is a read-only mirror of ${redactUrl(repository.mirror.url)}: push there instead`, { details: { repositoryName: repository.name } });
    }
    const backendRequest: GitHttpRequest = { ...request, pathInfo: `/${repository.name}.git/${request.path}`, remoteUser: request.caller };
    if (request.path !== 'git-receive-pack') return (await runHttpBackend(this.root, backendRequest)).response;
    return this.#pushLock.run(repository.name, () => this.#receivePack(repository, backendRequest, request.caller));
  }

  async #receivePack(repository: StoredRepository, request: GitHttpRequest, pusher: string): Promise<Response> {
    const gitDir = this.gitDir(repository.name);
    const before = await readRefs(gitDir);
    const { response, exited } = await runHttpBackend(this.root, request);
    // The answer (report-status and progress) is small: read it whole, so the events are stored
    // before the pusher's `git push` returns.
    const body = new Uint8Array(await response.arrayBuffer());
    await exited;
    await this.#record(repository, before, pusher);
    return new Response(body, { status: response.status, headers: response.headers });
  }

  /**
   * Runs `change` (a mirror's fetch) under the repository's push lock and records every ref it
   * changed exactly like a push by `pusher`: stored push events, then `Pushed` on the event bus.
   */
  async recordRefChanges(repositoryName: string, pusher: string, change: (gitDir: string) => Promise<void>): Promise<PushEvent[]> {
    const repository = await this.get(repositoryName);
    return this.#pushLock.run(repository.name, async () => {
      const before = await readRefs(this.gitDir(repository.name));
      await change(this.gitDir(repository.name));
      return this.#record(repository, before, pusher);
    });
  }

  /** Stores one event per ref changed since `before`, then publishes each. */
  async #record(repository: StoredRepository, before: RefSnapshot, pusher: string): Promise<PushEvent[]> {
    const gitDir = this.gitDir(repository.name);
    const updates = refUpdates(before, await readRefs(gitDir));
    if (updates.length === 0) return [];
    const pushedAt = this.context.clock();
    const events = await Promise.all(updates.map(async (update) => ({ ...update, repositoryName: repository.name, changedPaths: await changedPaths(gitDir, update), pushedAt, pusher })));
    const recorded = await this.context.store.repositories.recordPush(events, (stored) => pushEvents(this.context, repository, stored));
    await this.#chooseDefaultBranch(repository, recorded);
    // Each ref a push changes starts a trace of its own (docs/events.md): one trace id per ref, in the same order.
    this.context.logger.info({ repository: repository.name, pusher, refs: recorded.map((e) => e.ref), traceIds: recorded.map((e) => traceIdOf(pushTraceParent(e.repositoryName, e.sequence))) }, 'push received');
    for (const push of recorded) this.context.events.publish({ type: 'Pushed', push });
    return recorded;
  }

  /** As CodeCommit: the first branch pushed becomes the default branch (and the clone's HEAD). */
  async #chooseDefaultBranch(repository: StoredRepository, events: readonly PushEvent[]): Promise<void> {
    const current = await this.context.store.repositories.get(repository.name);
    if (!current || current.defaultBranch !== undefined) return;
    const created = events.filter((e) => e.refType === 'branch' && e.newCommit !== undefined).map((e) => e.ref.slice('refs/heads/'.length));
    const branch = ['main', 'master'].find((b) => created.includes(b)) ?? created[0];
    if (branch === undefined) return;
    await git(this.gitDir(repository.name), ['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
    await this.context.store.repositories.setDefaultBranch(repository.name, branch, this.context.clock());
  }
}

function notFound(repositoryName: string): NagareError {
  return new NagareError('REPO_NOT_FOUND', `Repository ${repositoryName} does not exist`, { details: { repositoryName } });
}

function alreadyExists(repositoryName: string): NagareError {
  return new NagareError('REPO_ALREADY_EXISTS', `Repository ${repositoryName} already exists`, { details: { repositoryName } });
}
