/**
 * The store contract: one suite that both dialects pass (STYLE.md habit 7). Each test file calls
 * `runStoreContract` with a function opening a store on a named database: the same name reaches
 * the same data (a restart, or a second server), a new name an empty database. Every test takes
 * a database of its own, so the queue-wide and table-wide queries see only that test's rows.
 */
import { afterEach, describe, it } from 'node:test';
import type { Store } from '../../src/core/store.js';
import { accountsContract } from './contract-accounts.js';
import { buildBatchesContract } from './contract-build-batches.js';
import { buildsContract } from './contract-builds.js';
import { jobRoutingContract } from './contract-job-routing.js';
import { deploymentsContract } from './contract-deployments.js';
import { componentsContract } from './contract-components.js';
import { jobsContract } from './contract-jobs.js';
import { pipelinesContract } from './contract-pipelines.js';
import { projectsContract } from './contract-projects.js';
import { queuedBuildsContract } from './contract-queued-builds.js';
import { repositoriesContract, webhookDeliveriesContract } from './contract-repositories.js';

export type OpenDatabase = (database: string) => Promise<Store>;

export interface ContractContext {
  /** A store over a new, empty database. */
  readonly fresh: () => Promise<Store>;
  /** Another store over the same database as `store`, with its own connection(s). */
  readonly another: (store: Store) => Promise<Store>;
  /** Closes a store before the test ends (the rest are closed after each test). */
  readonly close: (store: Store) => Promise<void>;
  /** Declares one test; the title names the behaviour checked. */
  readonly check: (title: string, body: () => Promise<void>) => void;
}

export function runStoreContract(name: string, open: OpenDatabase): void {
  void describe(`${name} store contract`, () => {
    const databaseOf = new WeakMap<Store, string>();
    const openStores = new Set<Store>();
    let counter = 0;

    const track = async (database: string): Promise<Store> => {
      const store = await open(database);
      databaseOf.set(store, database);
      openStores.add(store);
      return store;
    };
    const context: ContractContext = {
      fresh: () => track(`c${++counter}`),
      another: (store) => track(databaseOf.get(store) ?? 'unknown'),
      close: async (store) => {
        openStores.delete(store);
        await store.close();
      },
      check: (title, body) => void it(title, body),
    };

    afterEach(async () => {
      const stores = [...openStores];
      openStores.clear();
      await Promise.all(stores.map((store) => store.close()));
    });

    projectsContract(context);
    buildBatchesContract(context);
    buildsContract(context);
    jobsContract(context);
    jobRoutingContract(context);
    componentsContract(context);
    queuedBuildsContract(context);
    accountsContract(context);
    pipelinesContract(context);
    repositoriesContract(context);
    webhookDeliveriesContract(context);
    deploymentsContract(context);
  });
}
