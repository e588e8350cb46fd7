/**
 * Polls external repositories: a component of the interval runner looks every `tickMs` for mirrors
 * whose `pollSeconds` have passed since their last fetch began (on any server: the start is kept in
 * the store's cursors), and fetches them, a few at a time.
 * The runner neither doubles a tick still running nor lets two servers of a cluster poll at once.
 */
import type { PushEvent, StoredRepository } from '../../core/store.js';
import type { ExternalRepositoriesService } from './external-repositories.js';
import type { Component } from '../interval-runner.js';
import type { ServerContext } from '../server-context.js';

export interface MirrorPollerOptions {
  /** How often to look for mirrors that are due (default 5 s). */
  readonly tickMs?: number;
  /** Fetches running at once (default 4). */
  readonly concurrency?: number;
}

export type PollResult =
  | { readonly repositoryName: string; readonly events: readonly PushEvent[] }
  | { readonly repositoryName: string; readonly error: string };

export class MirrorPoller {
  readonly #tickMs: number;
  readonly #concurrency: number;

  constructor(private readonly context: ServerContext, private readonly external: ExternalRepositoriesService, options: MirrorPollerOptions = {}) {
    this.#tickMs = options.tickMs ?? 5_000;
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
  }

  component(): Component {
    return {
      name: 'mirror-poller',
      intervalMs: this.#tickMs,
      run: async () => {
        await this.pollOnce({ onlyDue: true });
      },
    };
  }

  /** Waits for the fetches under way (webhook fetches included); the runner stops the ticks. */
  async stop(): Promise<void> {
    await this.external.idle();
  }

  /**
   * Fetches every external repository (with `onlyDue`, those whose poll interval has passed and
   * that are polled at all) and records what changed, as pushes by `poll`. A failed fetch is
   * logged and reported in the results; it never stops the others.
   */
  async pollOnce(options: { readonly onlyDue?: boolean } = {}): Promise<PollResult[]> {
    const now = this.context.clock();
    const mirrors: StoredRepository[] = [];
    for (const repository of await this.external.listMirrors()) {
      const pollSeconds = repository.mirror?.pollSeconds ?? 0;
      const started = options.onlyDue && pollSeconds > 0 ? await this.external.lastFetchStarted(repository.name) : undefined;
      if (!options.onlyDue || (pollSeconds > 0 && (started === undefined || now - started >= pollSeconds * 1000))) mirrors.push(repository);
    }
    const results: PollResult[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < mirrors.length) {
        const repositoryName = mirrors[next++]?.name ?? '';
        try {
          results.push({ repositoryName, events: await this.external.fetch(repositoryName, 'poll') });
        } catch (error) {
          results.push({ repositoryName, error: error instanceof Error ? error.message : String(error) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, mirrors.length) }, worker));
    return results.sort((a, b) => a.repositoryName.localeCompare(b.repositoryName));
  }
}
