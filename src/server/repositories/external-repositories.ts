/**
 * External repositories: a hosted repository that mirrors a git URL. Its bare repository under the
 * repositories root fetches the upstream's branches and tags (`git fetch --prune`), is read-only
 * over `/git`, and every ref a fetch changes is recorded exactly like a push (same PushEvents, same
 * `Pushed` on the event bus), with the pusher `mirror` (the first fetch), `poll` or `webhook:<provider>`.
 *
 * Fetches of one repository are coalesced: while one runs, at most one more waits, and every
 * request made meanwhile shares it. A fetch is the truth: a webhook's payload is never read, it
 * only says "fetch now", and only once its signature is verified.
 */
import { NagareError } from '../../core/errors.js';
import type { PushEvent, StoredRepository } from '../../core/store.js';
import { checkMirrorReachable, checkMirrorUrl, configureMirror, fetchMirror, redactUrl, upstreamDefaultBranch, type MirrorAccess } from '../../git/external-mirror.js';
import { git } from '../../git/git-command.js';
import { checkRepositoryName } from '../../git/repository-name.js';
import { isPushEvent, readWebhookDelivery, verifyWebhook, type WebhookProvider } from './external-repositories-webhooks.js';
import type { RepositoriesService } from './repositories-service.js';
import type { ServerContext } from '../server-context.js';

export { redactUrl } from '../../git/external-mirror.js';

export const DEFAULT_POLL_SECONDS = 60;
/** How long a webhook delivery id is remembered: a replay within it does nothing. */
export const WEBHOOK_REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface CreateExternalRepositoryInput {
  readonly repositoryName: string;
  readonly repositoryDescription?: string | undefined;
  /** The git URL to mirror. */
  readonly mirrorOf: string;
  /** Seconds between polls (default 60); 0: never polled, webhooks only. */
  readonly pollSeconds?: number | undefined;
  /** Enables push webhooks signed with this secret. */
  readonly webhookSecret?: string | undefined;
}

/** What this process knows of a mirror's fetches (not stored: a restart forgets it). */
export interface MirrorStatus {
  readonly lastFetchStarted?: number;
  readonly lastFetched?: number;
  readonly lastError?: string;
}

export interface WebhookOutcome {
  readonly accepted: boolean;
  readonly provider: WebhookProvider;
  readonly event: string;
  /** Why a verified delivery was not acted on (an event other than a push, a replay). */
  readonly ignored?: string;
  /** The delivery id was seen within the replay window: nothing was done. */
  readonly duplicate?: boolean;
}

export interface ExternalRepositoriesOptions {
  /** A fetch (or ls-remote) still running after this is ended and counted as failed (default 10 min). */
  readonly fetchTimeoutMs?: number;
}

export class ExternalRepositoriesService {
  readonly #fetchTimeoutMs: number;
  /** The last fetch queued per repository (settled or not), to chain the next one. */
  readonly #tails = new Map<string, Promise<unknown>>();
  /** A fetch queued and not started yet: later requests share it. */
  readonly #waiting = new Map<string, Promise<PushEvent[]>>();
  readonly #status = new Map<string, MirrorStatus>();

  constructor(private readonly context: ServerContext, private readonly repositories: RepositoriesService, options: ExternalRepositoriesOptions = {}) {
    this.#fetchTimeoutMs = options.fetchTimeoutMs ?? 10 * 60_000;
  }

  /**
   * Creates the repository and fetches the upstream once; when that first fetch fails the
   * repository is deleted again and API_INVALID_INPUT says what git said.
   */
  async create(input: CreateExternalRepositoryInput): Promise<StoredRepository> {
    const name = checkRepositoryName(input.repositoryName);
    const url = checkMirrorUrl(input.mirrorOf);
    const pollSeconds = input.pollSeconds ?? DEFAULT_POLL_SECONDS;
    if (!Number.isInteger(pollSeconds) || pollSeconds < 0 || pollSeconds > 86_400) throw new NagareError('API_INVALID_INPUT', 'pollSeconds must be a whole number of seconds from 0 (never poll) to 86400', { details: { field: 'pollSeconds' } });
    if (input.webhookSecret !== undefined && (input.webhookSecret.length < 8 || input.webhookSecret.length > 1000)) {
      throw new NagareError('API_INVALID_INPUT', 'webhookSecret must be 8 to 1000 characters', { details: { field: 'webhookSecret' } });
    }
    await checkMirrorReachable(url, this.#access());
    const webhookSecret = input.webhookSecret === undefined ? undefined : this.context.secrets.seal(input.webhookSecret, sealContext(name));
    await this.repositories.create({ repositoryName: name, repositoryDescription: input.repositoryDescription, mirror: { url, pollSeconds, webhookSecret } });
    // The first fetch is the creation's, from now: a poll finding the new mirror never fetched must
    // not run first (before its remote is configured) and record the upstream's refs as a poll's.
    const started = this.context.clock();
    this.#status.set(name, { lastFetchStarted: started });
    try {
      await this.context.store.cursors.advance(fetchStartedCursor(name), started);
      await configureMirror(this.repositories.gitDir(name), url);
      await this.fetch(name, 'mirror');
    } catch (error) {
      await this.repositories.delete(name);
      if (error instanceof NagareError && error.code === 'REPO_GIT_FAILED') {
        throw new NagareError('API_INVALID_INPUT', `Could not fetch ${redactUrl(url)}: ${error.message}`, { details: { field: 'mirrorOf' } });
      }
      throw error;
    }
    return this.repositories.get(name);
  }

  #access(): MirrorAccess {
    return { allowLocal: this.context.settings.allowLocalMirrors ?? false };
  }

  /** The external repositories, sorted by name. */
  listMirrors(): Promise<StoredRepository[]> {
    return this.context.store.repositories.listMirrors();
  }

  status(repositoryName: string): MirrorStatus {
    return this.#status.get(repositoryName) ?? {};
  }

  /** When a fetch of the mirror last began, on any server of the cluster. */
  async lastFetchStarted(repositoryName: string): Promise<number | undefined> {
    const stored = await this.context.store.cursors.get(fetchStartedCursor(repositoryName));
    const here = this.status(repositoryName).lastFetchStarted;
    return stored === undefined ? here : Math.max(stored, here ?? 0);
  }

  /** Where the upstream's push webhooks go. */
  webhookUrl(repositoryName: string): string {
    return `${this.context.settings.publicUrl}/webhooks/repositories/${repositoryName}`;
  }

  /**
   * Fetches the mirror and records what changed, as pushes by `pusher`; the recorded events.
   * Requests made while a fetch waits to start share that fetch.
   */
  fetch(repositoryName: string, pusher: string): Promise<PushEvent[]> {
    const waiting = this.#waiting.get(repositoryName);
    if (waiting) return waiting;
    const previous = this.#tails.get(repositoryName) ?? Promise.resolve();
    const run = previous.then(() => {
      this.#waiting.delete(repositoryName);
      return this.#fetchNow(repositoryName, pusher);
    });
    this.#waiting.set(repositoryName, run);
    const tail = run.then(() => undefined, () => undefined);
    this.#tails.set(repositoryName, tail);
    void tail.then(() => {
      if (this.#tails.get(repositoryName) === tail) this.#tails.delete(repositoryName);
    });
    return run;
  }

  /** Resolves once no fetch is queued or running (tests; the server's stop). */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all([...this.#tails.values()]);
  }

  async #fetchNow(repositoryName: string, pusher: string): Promise<PushEvent[]> {
    const repository = await this.repositories.get(repositoryName);
    if (!repository.mirror) throw new NagareError('API_INVALID_INPUT', `Repository ${repositoryName} is not an external repository`);
    const started = this.context.clock();
    this.#status.set(repositoryName, { ...this.status(repositoryName), lastFetchStarted: started });
    // Kept in the store too: in a cluster the next poll may be another server's.
    await this.context.store.cursors.advance(fetchStartedCursor(repositoryName), started);
    try {
      // Again at each fetch: a mirror made while local mirrors were allowed, or a name now resolving to loopback.
      await checkMirrorReachable(repository.mirror.url, this.#access());
      const events = await this.repositories.recordRefChanges(repositoryName, pusher, async (gitDir) => {
        await fetchMirror(gitDir, this.#fetchTimeoutMs, this.#access());
        if (repository.defaultBranch === undefined) await this.#adoptUpstreamHead(repository, gitDir);
      });
      this.#status.set(repositoryName, { lastFetchStarted: this.status(repositoryName).lastFetchStarted ?? 0, lastFetched: this.context.clock() });
      return events;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#status.set(repositoryName, { ...this.status(repositoryName), lastError: message });
      this.context.logger.warn({ repository: repositoryName, pusher, err: message }, 'fetching an external repository failed');
      throw error;
    }
  }

  /** The upstream's default branch becomes the mirror's (HEAD), once, when the mirror has that branch. */
  async #adoptUpstreamHead(repository: StoredRepository, gitDir: string): Promise<void> {
    const branch = await upstreamDefaultBranch(gitDir, this.#fetchTimeoutMs, this.#access());
    if (branch === undefined) return;
    const exists = await git(gitDir, ['for-each-ref', '--format=%(refname)', `refs/heads/${branch}`]);
    if (exists.trim() === '') return;
    await git(gitDir, ['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
    await this.context.store.repositories.setDefaultBranch(repository.name, branch, this.context.clock());
  }

  /**
   * One webhook delivery, authenticated by its signature alone: unsigned → AUTH_MISSING; unknown
   * repository → REPO_NOT_FOUND; no secret, or a signature that does not match → AUTH_INVALID_SIGNATURE.
   * Nothing is fetched or recorded unless the signature matches and the event is a push; then a
   * fetch starts and this resolves without waiting for it. A verified delivery whose id was seen in
   * the last 24 hours is a replay: it is acknowledged as a duplicate and does nothing. A delivery
   * without an id (older senders) cannot be told from a replay and is accepted.
   */
  async receiveWebhook(repositoryName: string, headers: Headers, body: Uint8Array): Promise<WebhookOutcome> {
    const delivery = readWebhookDelivery(headers);
    if (!delivery) {
      throw new NagareError('AUTH_MISSING', 'An unsigned webhook: nagare accepts push webhooks from GitHub (X-Hub-Signature-256), Gitea (X-Gitea-Signature) and GitLab (X-Gitlab-Token) signed with the repository\'s webhook secret');
    }
    const name = checkRepositoryName(repositoryName);
    const repository = await this.context.store.repositories.get(name);
    if (!repository) throw new NagareError('REPO_NOT_FOUND', `Repository ${name} does not exist`, { details: { repositoryName: name } });
    const sealed = repository.mirror?.webhookSecret;
    if (sealed === undefined) {
      this.context.logger.warn({ repository: name, provider: delivery.provider }, 'a webhook for a repository without a webhook secret was refused');
      throw new NagareError('AUTH_INVALID_SIGNATURE', `Repository ${name} accepts no webhooks: it has no webhook secret`, { details: { repositoryName: name } });
    }
    if (!verifyWebhook(delivery, body, this.context.secrets.open(sealed, sealContext(name)))) {
      this.context.logger.warn({ repository: name, provider: delivery.provider }, 'a webhook with a wrong signature was refused');
      throw new NagareError('AUTH_INVALID_SIGNATURE', `The ${delivery.provider} webhook signature does not match repository ${name}'s webhook secret`, { details: { repositoryName: name } });
    }
    if (!isPushEvent(delivery)) return { accepted: false, provider: delivery.provider, event: delivery.event, ignored: `only push events fetch; ${delivery.event} is ignored` };
    if (delivery.deliveryId !== undefined) {
      const now = this.context.clock();
      if (!(await this.context.store.webhookDeliveries.recordFirst(name, delivery.deliveryId, now, now - WEBHOOK_REPLAY_WINDOW_MS))) {
        this.context.logger.warn({ repository: name, provider: delivery.provider, deliveryId: delivery.deliveryId }, 'a replayed webhook delivery was ignored');
        return { accepted: false, duplicate: true, provider: delivery.provider, event: delivery.event, ignored: `duplicate delivery ${delivery.deliveryId}: it was received before` };
      }
    }
    this.fetch(name, `webhook:${delivery.provider}`).catch(() => undefined); // logged by #fetchNow
    return { accepted: true, provider: delivery.provider, event: delivery.event };
  }
}

/** Authenticated with the sealed secret, so that it opens for this repository only. */
function sealContext(repositoryName: string): string {
  return `repository-webhook:${repositoryName}`;
}

function fetchStartedCursor(repositoryName: string): string {
  return `mirror-fetch-started:${repositoryName}`;
}
