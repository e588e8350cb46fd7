/** Store contract: job routing — kinds, labels, fleets and targets decide which agent may claim a job; fleets are stored. */
import assert from 'node:assert/strict';
import { plainAgent, type AgentCapabilities } from '../../src/core/job-routing.js';
import type { Fleet, NewJob } from '../../src/core/store.js';
import { rejectsWith, sampleJob, T0 } from './fixtures.js';
import type { ContractContext } from './store-contract.js';

const LEASE = 30_000;
const shellOnly: AgentCapabilities = plainAgent('shell-agent');
const dockerAgent: AgentCapabilities = { id: 'docker-agent', kinds: ['build'], labels: ['docker', 'large'], fleet: undefined };

function job(id: string, routing: Partial<NewJob>, at = T0): NewJob {
  return { ...sampleJob(id, 'alpha', at), ...routing };
}

export function jobRoutingContract({ fresh, check }: ContractContext): void {
  check('a job needing docker is not claimed by a shell-only agent, and is by an agent labelled docker', async () => {
    const store = await fresh();
    await store.jobs.enqueue(job('needs-docker', { labels: ['docker'] }));
    assert.equal(await store.jobs.claim(shellOnly.id, T0, LEASE, [], shellOnly), undefined);
    const claimed = await store.jobs.claim(dockerAgent.id, T0, LEASE, [], dockerAgent);
    assert.equal(claimed?.id, 'needs-docker');
    assert.deepEqual(claimed.labels, ['docker']);
  });

  check('a shell-only agent passes over a waiting docker job and takes the next job it can run', async () => {
    const store = await fresh();
    await store.jobs.enqueue(job('docker-first', { labels: ['docker'] }, T0));
    await store.jobs.enqueue(job('shell-second', {}, T0 + 1));
    assert.equal((await store.jobs.claim(shellOnly.id, T0, LEASE, [], shellOnly))?.id, 'shell-second');
    assert.equal((await store.jobs.get('docker-first'))?.state, 'QUEUED');
  });

  check('every label a job needs must be among the agent\'s', async () => {
    const store = await fresh();
    await store.jobs.enqueue(job('gpu', { labels: ['docker', 'gpu'] }));
    assert.equal(await store.jobs.claim(dockerAgent.id, T0, LEASE, [], dockerAgent), undefined);
    assert.equal((await store.jobs.claim('gpu-agent', T0, LEASE, [], { ...dockerAgent, id: 'gpu-agent', labels: ['docker', 'gpu', 'large'] }))?.id, 'gpu');
  });

  check('agents of a fleet take only that fleet\'s jobs; agents outside fleets take only jobs without one', async () => {
    const store = await fresh();
    await store.jobs.enqueue(job('in-linux', { fleet: 'linux' }, T0));
    await store.jobs.enqueue(job('no-fleet', {}, T0 + 1));
    const other: AgentCapabilities = { ...plainAgent('other'), fleet: 'arm' };
    const member: AgentCapabilities = { ...plainAgent('member'), fleet: 'linux' };
    assert.equal(await store.jobs.claim(other.id, T0, LEASE, [], other), undefined);
    assert.equal((await store.jobs.claim(member.id, T0, LEASE, [], member))?.id, 'in-linux');
    assert.equal(await store.jobs.claim(member.id, T0, LEASE, [], member), undefined);
    assert.equal((await store.jobs.claim(shellOnly.id, T0, LEASE, [], shellOnly))?.id, 'no-fleet');
  });

  check('a job with a target is claimed by that agent only', async () => {
    const store = await fresh();
    await store.jobs.enqueue(job('for-b', { target: 'agent-b' }));
    assert.equal(await store.jobs.claim('agent-a', T0, LEASE, []), undefined);
    const claimed = await store.jobs.claim('agent-b', T0, LEASE, []);
    assert.equal(claimed?.id, 'for-b');
    assert.equal(claimed.target, 'agent-b');
  });

  check('an agent claims only the kinds it serves', async () => {
    const store = await fresh();
    await store.jobs.enqueue(job('build-job', {}));
    assert.equal(await store.jobs.claim('none', T0, LEASE, [], { ...plainAgent('none'), kinds: [] }), undefined);
    assert.equal((await store.jobs.claim('builder', T0, LEASE, [], plainAgent('builder')))?.kind, 'build');
  });

  check('leased lists the jobs agents hold', async () => {
    const store = await fresh();
    await store.jobs.enqueue(job('j1', {}));
    await store.jobs.enqueue(job('j2', {}, T0 + 1));
    await store.jobs.claim('agent-a', T0, LEASE, []);
    assert.deepEqual((await store.jobs.leased()).map((j) => [j.id, j.leaseOwner]), [['j1', 'agent-a']]);
  });

  check('fleets are created once, read back, listed by name, updated and deleted', async () => {
    const store = await fresh();
    const fleet: Fleet = { name: 'linux', id: 'f1', arn: 'arn:aws:codebuild:r:1:fleet/linux:f1', baseCapacity: 2, environmentType: 'LINUX_CONTAINER', computeType: 'BUILD_GENERAL1_SMALL', overflowBehavior: 'QUEUE', tags: [{ key: 'team', value: 'ci' }], created: T0, lastModified: T0 };
    await store.fleets.create(fleet);
    await store.fleets.create({ ...fleet, name: 'arm', overflowBehavior: undefined });
    await rejectsWith(store.fleets.create(fleet), 'STORE_CONFLICT');
    assert.deepEqual(await store.fleets.get('linux'), fleet);
    assert.deepEqual((await store.fleets.list()).map((f) => f.name), ['arm', 'linux']);
    await store.fleets.update({ ...fleet, baseCapacity: 4, lastModified: T0 + 1 });
    assert.equal((await store.fleets.get('linux'))?.baseCapacity, 4);
    await rejectsWith(store.fleets.update({ ...fleet, name: 'ghost' }), 'STORE_NOT_FOUND');
    assert.equal(await store.fleets.delete('linux'), true);
    assert.equal(await store.fleets.delete('linux'), false);
    assert.equal(await store.fleets.get('linux'), undefined);
  });
}
