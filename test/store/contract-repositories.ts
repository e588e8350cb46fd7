/** Store contract: hosted repositories and their push events. */
import assert from 'node:assert/strict';
import type { PushEvent, StoredRepository } from '../../src/core/store.js';
import { rejectsWith, T0 } from './fixtures.js';
import type { ContractContext } from './store-contract.js';

function repository(name: string, overrides: Partial<StoredRepository> = {}): StoredRepository {
  return { name, id: `id-${name}`, description: undefined, defaultBranch: undefined, created: T0, lastModified: T0, ...overrides };
}

function push(repositoryName: string, ref: string, overrides: Partial<Omit<PushEvent, 'sequence'>> = {}): Omit<PushEvent, 'sequence'> {
  return { repositoryName, ref, refType: 'branch', oldCommit: undefined, newCommit: 'a'.repeat(40), changedPaths: ['README.md', 'src/a b.js'], pushedAt: T0, pusher: 'admin', ...overrides };
}

export function repositoriesContract({ fresh, another, check }: ContractContext): void {
  check('a repository is created once, read back, listed by name in pages, and deleted', async () => {
    const store = await fresh();
    const described = repository('web', { description: 'the web app' });
    await store.repositories.create(described);
    await rejectsWith(store.repositories.create(repository('web')), 'STORE_CONFLICT');
    assert.deepEqual(await store.repositories.get('web'), described);
    assert.equal(await store.repositories.get('Web'), undefined, 'names are case sensitive');
    for (const name of ['c', 'a', 'b']) await store.repositories.create(repository(name));
    const first = await store.repositories.list({ limit: 2 });
    assert.deepEqual(first.items.map((r) => r.name), ['a', 'b']);
    const second = await store.repositories.list({ limit: 2, nextToken: first.nextToken });
    assert.deepEqual(second.items.map((r) => r.name), ['c', 'web']);
    assert.equal(second.nextToken, undefined);
    assert.deepEqual((await store.repositories.list({ limit: 10, sortOrder: 'DESCENDING' })).items.map((r) => r.name), ['web', 'c', 'b', 'a']);
    assert.equal(await store.repositories.delete('a'), true);
    assert.equal(await store.repositories.delete('a'), false);
    assert.equal(await store.repositories.get('a'), undefined);
  });

  check('the default branch is set once known; setting it on a missing repository is STORE_NOT_FOUND', async () => {
    const store = await fresh();
    await store.repositories.create(repository('web'));
    await store.repositories.setDefaultBranch('web', 'main', T0 + 5);
    assert.deepEqual(await store.repositories.get('web'), repository('web', { defaultBranch: 'main', lastModified: T0 + 5 }));
    await rejectsWith(store.repositories.setDefaultBranch('ghost', 'main', T0), 'STORE_NOT_FOUND');
  });

  check('push events get increasing sequence numbers in the order given, and are read back after a cursor', async () => {
    const store = await fresh();
    await store.repositories.create(repository('web'));
    await store.repositories.create(repository('api'));
    const one = await store.repositories.recordPush([push('web', 'refs/heads/main'), push('web', 'refs/tags/v1', { refType: 'tag' })]);
    const two = await store.repositories.recordPush([push('api', 'refs/heads/dev', { oldCommit: 'a'.repeat(40), newCommit: undefined, changedPaths: [] })]);
    assert.deepEqual(await store.repositories.recordPush([]), []);
    const all = [...one, ...two];
    assert.deepEqual(all.map((e) => e.ref), ['refs/heads/main', 'refs/tags/v1', 'refs/heads/dev']);
    for (let i = 1; i < all.length; i++) assert.ok((all[i]?.sequence ?? 0) > (all[i - 1]?.sequence ?? 0), 'sequences increase');
    const reopened = await another(store);
    assert.deepEqual(await reopened.repositories.pushEventsAfter(0, 100), all, 'durable, and read back as recorded');
    assert.deepEqual(await reopened.repositories.pushEventsAfter(all[0]?.sequence ?? 0, 1), [all[1]]);
    assert.deepEqual(await reopened.repositories.pushEventsAfter(0, 100, { repositoryName: 'api' }), two);
    assert.equal(two[0]?.newCommit, undefined);
    assert.equal(one[1]?.refType, 'tag');
  });

  check('deleting a repository deletes its push events', async () => {
    const store = await fresh();
    await store.repositories.create(repository('web'));
    await store.repositories.create(repository('api'));
    await store.repositories.recordPush([push('web', 'refs/heads/main'), push('api', 'refs/heads/main')]);
    await store.repositories.delete('web');
    assert.deepEqual((await store.repositories.pushEventsAfter(0, 100)).map((e) => e.repositoryName), ['api']);
  });
}

export function webhookDeliveriesContract({ fresh, another, check }: ContractContext): void {
  check('a webhook delivery id is new once per repository, forgotten after its window, and kept across a reopen', async () => {
    const store = await fresh();
    assert.equal(await store.webhookDeliveries.recordFirst('web', 'd-1', T0, T0 - 1000), true);
    assert.equal(await store.webhookDeliveries.recordFirst('web', 'd-1', T0 + 5, T0 - 1000), false, 'a replay is not new');
    assert.equal(await store.webhookDeliveries.recordFirst('api', 'd-1', T0 + 5, T0 - 1000), true, 'ids are per repository');
    const reopened = await another(store);
    assert.equal(await reopened.webhookDeliveries.recordFirst('web', 'd-1', T0 + 10, T0 - 1000), false, 'another connection sees it');
    assert.equal(await reopened.webhookDeliveries.recordFirst('web', 'd-1', T0 + 20, T0 + 1), true, 'past the window it is forgotten');
  });
}
