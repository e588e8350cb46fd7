/** Store contract: build projects, their build numbers, and paging through them. */
import assert from 'node:assert/strict';
import type { Store } from '../../src/core/store.js';
import { rejectsWith, sampleProject, T0 } from './fixtures.js';
import type { ContractContext } from './store-contract.js';

export async function allPages(list: (nextToken: string | undefined) => Promise<{ items: readonly string[]; nextToken: string | undefined }>): Promise<string[]> {
  const seen: string[] = [];
  let token: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await list(token);
    seen.push(...page.items);
    token = page.nextToken;
    if (token === undefined) return seen;
  }
  throw new Error('pagination did not end');
}

export function projectsContract({ fresh, another, check }: ContractContext): void {
  check('a project reads back exactly as it was stored', async () => {
    const store = await fresh();
    const project = sampleProject('alpha', { created: T0 * 2, lastModified: T0 * 2 + 1, concurrentBuildLimit: 2 });
    await store.projects.create(project);
    const read = await store.projects.get('alpha');
    assert.deepEqual(read, JSON.parse(JSON.stringify(project)));
    assert.equal(typeof read?.created, 'number');
    assert.equal(await store.projects.get('missing'), undefined);
  });

  check('a project name is unique', async () => {
    const store = await fresh();
    await store.projects.create(sampleProject('alpha'));
    await rejectsWith(store.projects.create(sampleProject('alpha', { description: 'another' })), 'STORE_CONFLICT');
    assert.equal((await store.projects.get('alpha'))?.description, sampleProject('alpha').description);
  });

  check('an update replaces the project and a missing one is STORE_NOT_FOUND', async () => {
    const store = await fresh();
    await store.projects.create(sampleProject('alpha'));
    await store.projects.update(sampleProject('alpha', { description: 'changed', lastModified: T0 + 5 }));
    assert.equal((await store.projects.get('alpha'))?.description, 'changed');
    assert.equal((await store.projects.get('alpha'))?.lastModified, T0 + 5);
    await rejectsWith(store.projects.update(sampleProject('ghost')), 'STORE_NOT_FOUND');
    assert.equal(await store.projects.get('ghost'), undefined);
  });

  check('delete says whether a project was deleted', async () => {
    const store = await fresh();
    await store.projects.create(sampleProject('alpha'));
    assert.equal(await store.projects.delete('alpha'), true);
    assert.equal(await store.projects.delete('alpha'), false);
    assert.equal(await store.projects.get('alpha'), undefined);
  });

  check('getMany returns the projects that exist, in the order asked, once each', async () => {
    const store = await fresh();
    for (const name of ['alpha', 'beta', 'gamma']) await store.projects.create(sampleProject(name));
    const found = await store.projects.getMany(['gamma', 'missing', 'alpha', 'gamma']);
    assert.deepEqual(found.map((p) => p.name), ['gamma', 'alpha']);
    assert.deepEqual(await store.projects.getMany([]), []);
  });

  check('build numbers count up per project and are never reused', async () => {
    const store = await fresh();
    await store.projects.create(sampleProject('alpha'));
    await store.projects.create(sampleProject('beta'));
    const numbers = await Promise.all(Array.from({ length: 20 }, () => store.projects.nextBuildNumber('alpha')));
    assert.deepEqual([...numbers].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.equal(await store.projects.nextBuildNumber('beta'), 1);
    // Updating the project keeps its counter.
    await store.projects.update(sampleProject('alpha', { description: 'changed' }));
    assert.equal(await store.projects.nextBuildNumber('alpha'), 21);
    await rejectsWith(store.projects.nextBuildNumber('ghost'), 'STORE_NOT_FOUND');
  });

  check('build numbers stay unique across two stores on one database', async () => {
    const store = await fresh();
    await store.projects.create(sampleProject('alpha'));
    const stores: Store[] = [store, await another(store)];
    const numbers = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 2]!.projects.nextBuildNumber('alpha')));
    assert.equal(new Set(numbers).size, 20);
    assert.equal(Math.max(...numbers), 20);
  });

  check('pagination returns every item once', async () => {
    const store = await fresh();
    const names = Array.from({ length: 11 }, (_, i) => `project-${String(i).padStart(2, '0')}`);
    for (const name of [...names].reverse()) await store.projects.create(sampleProject(name));
    assert.deepEqual(await allPages((nextToken) => store.projects.list({ limit: 3, nextToken })), names);
    assert.deepEqual(await allPages((nextToken) => store.projects.list({ limit: 4, nextToken, sortOrder: 'DESCENDING' })), [...names].reverse());
    const whole = await store.projects.list({ limit: 11 });
    assert.equal(whole.items.length, 11);
    assert.equal(whole.nextToken, undefined);
  });

  check('a nextToken that the store did not issue is API_INVALID_INPUT', async () => {
    const store = await fresh();
    await rejectsWith(store.projects.list({ limit: 3, nextToken: 'not-a-token' }), 'API_INVALID_INPUT');
    await rejectsWith(store.builds.listIds({}, { limit: 3, nextToken: Buffer.from('["x"]').toString('base64url') }), 'API_INVALID_INPUT');
  });
}
