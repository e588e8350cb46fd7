/** Store contract: agents, credentials, parameters and secrets, and durability across reopening. */
import assert from 'node:assert/strict';
import type { Credential } from '../../src/core/store.js';
import { rejectsWith, sampleBuild, sampleJob, sampleProject, T0 } from './fixtures.js';
import type { ContractContext } from './store-contract.js';

function credential(id: string, overrides: Partial<Credential> = {}): Credential {
  return { id, kind: 'API_TOKEN', hash: `hash-of-${id}`, name: `token ${id}`, agentId: undefined, createdAt: T0, ...overrides };
}

export function accountsContract({ fresh, another, close, check }: ContractContext): void {
  check('an agent registering again replaces its name, tags, fleet, labels and image map, and touch moves last seen', async () => {
    const store = await fresh();
    const agent = { id: 'a1', name: 'builder', tags: { env: 'prod', role: 'web' }, registeredAt: T0, lastSeenAt: T0, fleet: 'linux', labels: ['docker', 'large'], kinds: ['build' as const], imageMap: ['aws/codebuild/*=nagare/base:latest'] };
    await store.agents.upsert(agent);
    assert.deepEqual(await store.agents.get('a1'), agent);
    await store.agents.upsert({ ...agent, name: 'renamed', tags: { env: 'dev' }, registeredAt: T0 + 5, lastSeenAt: T0 + 5, fleet: undefined, labels: [], imageMap: [] });
    await store.agents.touch('a1', T0 + 9);
    await store.agents.touch('ghost', T0 + 9);
    assert.deepEqual(await store.agents.get('a1'), { id: 'a1', name: 'renamed', tags: { env: 'dev' }, registeredAt: T0 + 5, lastSeenAt: T0 + 9, fleet: undefined, labels: [], kinds: ['build'], imageMap: [] });
    await store.agents.upsert({ ...agent, id: 'a0', name: 'another' });
    assert.deepEqual((await store.agents.list()).map((a) => a.id), ['a0', 'a1']);
    assert.deepEqual((await store.agents.seenSince(T0 + 9)).map((a) => a.id), ['a1']);
    assert.equal(await store.agents.get('ghost'), undefined);
  });

  check('a credential is found by the hash of its token, and a hash is unique', async () => {
    const store = await fresh();
    const session = credential('c2', { kind: 'AGENT_SESSION', agentId: 'a1' });
    await store.credentials.insert(credential('c1'));
    await store.credentials.insert(session);
    assert.deepEqual(await store.credentials.findByHash('hash-of-c2'), session);
    assert.deepEqual(await store.credentials.findByHash('hash-of-c1'), credential('c1'));
    assert.equal(await store.credentials.findByHash('unknown'), undefined);
    await rejectsWith(store.credentials.insert(credential('c3', { hash: 'hash-of-c1' })), 'STORE_CONFLICT');
    await rejectsWith(store.credentials.insert(credential('c1', { hash: 'other' })), 'STORE_CONFLICT');
    assert.equal(await store.credentials.count('API_TOKEN'), 1);
    assert.equal(await store.credentials.count('AGENT_SESSION'), 1);
    assert.equal(await store.credentials.count('AGENT_TOKEN'), 0);
  });

  check('an access key is stored with its encrypted secret, once', async () => {
    const store = await fresh();
    const key = { accessKeyId: 'AKIANAGARE0000000001', encryptedSecret: 'v1:abc:def', createdAt: T0 };
    await store.credentials.insertAccessKey(key);
    assert.deepEqual(await store.credentials.getAccessKey(key.accessKeyId), key);
    assert.equal(await store.credentials.getAccessKey('AKIAUNKNOWN'), undefined);
    await rejectsWith(store.credentials.insertAccessKey({ ...key, encryptedSecret: 'other' }), 'STORE_CONFLICT');
  });

  check('a parameter put without overwrite is a conflict when it exists; with overwrite its version grows', async () => {
    const store = await fresh();
    const parameter = { name: '/app/db/host', type: 'String' as const, value: 'db.local', lastModified: T0 };
    assert.equal(await store.parameters.put('parameter', parameter, false), 1);
    await rejectsWith(store.parameters.put('parameter', { ...parameter, value: 'other' }, false), 'STORE_CONFLICT');
    assert.equal(await store.parameters.put('parameter', { ...parameter, type: 'SecureString', value: 'enc', lastModified: T0 + 1 }, true), 2);
    assert.deepEqual(await store.parameters.get('parameter', '/app/db/host'), { name: '/app/db/host', type: 'SecureString', value: 'enc', version: 2, lastModified: T0 + 1 });
    assert.equal(await store.parameters.put('parameter', { ...parameter, name: '/new' }, true), 1);
  });

  check('concurrent overwrites of a parameter each get their own version', async () => {
    const store = await fresh();
    const parameter = { name: 'shared', type: 'String' as const, value: 'v', lastModified: T0 };
    const versions = await Promise.all(Array.from({ length: 10 }, (_, i) => store.parameters.put('parameter', { ...parameter, value: `v${i}` }, true)));
    assert.deepEqual([...versions].sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i + 1));
  });

  check('parameters and secrets are separate namespaces, listed by name without values', async () => {
    const store = await fresh();
    await store.parameters.put('parameter', { name: 'b', type: 'String', value: 'plain', lastModified: T0 }, false);
    await store.parameters.put('parameter', { name: 'a', type: 'SecureString', value: 'enc', lastModified: T0 + 1 }, false);
    await store.parameters.put('secret', { name: 'b', type: 'SecureString', value: 'secret', lastModified: T0 }, false);
    assert.deepEqual(await store.parameters.list('parameter'), [
      { name: 'a', type: 'SecureString', version: 1, lastModified: T0 + 1 },
      { name: 'b', type: 'String', version: 1, lastModified: T0 },
    ]);
    assert.equal((await store.parameters.get('secret', 'b'))?.value, 'secret');
    assert.equal(await store.parameters.get('secret', 'a'), undefined);
    assert.equal(await store.parameters.delete('secret', 'b'), true);
    assert.equal(await store.parameters.delete('secret', 'b'), false);
    assert.equal((await store.parameters.get('parameter', 'b'))?.value, 'plain');
  });

  check('data survives closing and reopening the store', async () => {
    const store = await fresh();
    await store.projects.create(sampleProject('alpha'));
    await store.projects.nextBuildNumber('alpha');
    await store.builds.insert(sampleBuild('alpha:1'));
    await store.builds.recordLogChunk('alpha:1', 0, 42);
    await store.jobs.enqueue(sampleJob('j1', 'alpha', T0));
    await store.jobs.enqueue(sampleJob('j2', 'alpha', T0 + 1));
    await store.jobs.claim('agent-a', T0, 1_000, []);
    await store.parameters.put('secret', { name: 's', type: 'SecureString', value: 'enc', lastModified: T0 }, false);
    await store.credentials.insert(credential('c1'));
    await store.agents.upsert({ id: 'a1', name: 'builder', tags: {}, registeredAt: T0, lastSeenAt: T0, fleet: undefined, labels: [], kinds: ['build'], imageMap: [] });
    const reopened = await another(store);
    await close(store);

    assert.equal(reopened.dialect, store.dialect);
    assert.equal((await reopened.projects.get('alpha'))?.name, 'alpha');
    assert.equal(await reopened.projects.nextBuildNumber('alpha'), 2);
    assert.equal((await reopened.builds.get('alpha:1'))?.logBytes, 42);
    assert.equal(await reopened.builds.recordLogChunk('alpha:1', 0, 42), 'duplicate');
    assert.deepEqual((await reopened.jobs.expired(T0 + 2_000)).map((job) => job.id), ['j1']);
    assert.equal((await reopened.jobs.claim('agent-b', T0, 1_000, []))?.id, 'j2');
    assert.equal((await reopened.parameters.get('secret', 's'))?.value, 'enc');
    assert.equal((await reopened.credentials.findByHash('hash-of-c1'))?.id, 'c1');
    assert.equal((await reopened.agents.get('a1'))?.name, 'builder');
  });
}
