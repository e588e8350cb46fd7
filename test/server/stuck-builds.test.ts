/**
 * Finding 10 (stuck and looping builds), on the server: a QUEUED build that a crash left without
 * its job is queued again, and stop, delete and the queued timeout act on it; a build whose agents
 * keep getting lost before a command ran is not leased for ever. On SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StoredBuild } from '../../src/core/store.js';
import { startTestServer, testDatabases, type TestDatabase, type TestServer } from '../support/test-server.js';

const BUILDSPEC = 'version: 0.2\nphases:\n  build:\n    commands: [echo]\n';

/** A server whose clock the test moves forward; the scheduler runs only when the test sweeps. */
async function serverOn(database: TestDatabase, options: { maxJobAttempts?: number } = {}): Promise<{ server: TestServer; advance: (ms: number) => void }> {
  let offset = 0;
  const server = await startTestServer({ database, clock: () => Date.now() + offset, leaseMs: 1_000, schedulerIntervalMs: 600_000, ...options });
  return { server, advance: (ms) => void (offset += ms) };
}

async function createProject(server: TestServer, name: string, queuedTimeoutInMinutes = 480): Promise<void> {
  await server.services.projects.create({ name, queuedTimeoutInMinutes, source: { type: 'NO_SOURCE', buildspec: BUILDSPEC }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
}

/**
 * A QUEUED build with no job, as a SIGKILL between the two inserts left it before they shared a
 * transaction: a copy of a real queued build under a new id, written through the store alone.
 */
async function orphanBuild(server: TestServer, projectName: string, suffix: string): Promise<StoredBuild> {
  const template = await server.services.builds.startBuild({ projectName, initiator: 'test' });
  await server.services.builds.stopBuild(template.id);
  const id = `${projectName}:${suffix}`;
  const data = template.record;
  const orphan: StoredBuild = { ...template, id, record: { ...data, job: { ...data.job, buildId: id } } };
  await server.services.context.store.builds.insert(orphan);
  assert.equal(await server.services.context.store.jobs.get(id), undefined);
  return orphan;
}

async function registerAgent(server: TestServer, name: string): Promise<string> {
  return (await server.services.auth.registerAgent(server.token, name, {})).agentId;
}

for (const [database, skip] of await testDatabases()) {
  test(`finding 10: a QUEUED build left without a job by a crash is queued again and leased (${database})`, { skip }, async () => {
    const { server } = await serverOn(database);
    try {
      await createProject(server, 'orphaned');
      const orphan = await orphanBuild(server, 'orphaned', 'crashed-start');
      const agentId = await registerAgent(server, 'a1');
      assert.equal(await server.services.agents.lease(agentId, 0), undefined, 'before reconciliation nothing can lease it');
      await server.scheduler.sweep();
      const job = await server.services.agents.lease(agentId, 0);
      assert.equal(job?.job.id, orphan.id);
      await server.services.agents.complete(agentId, orphan.id, { buildStatus: 'SUCCEEDED', phases: [], exportedEnvironmentVariables: [], reports: [], resolvedSourceVersion: undefined });
      assert.equal((await server.services.builds.get(orphan.id)).buildStatus, 'SUCCEEDED');
    } finally {
      await server.stop();
    }
  });

  test(`finding 10: stop and delete act on a QUEUED build that has no job (${database})`, { skip }, async () => {
    const { server } = await serverOn(database);
    try {
      await createProject(server, 'unjobbed');
      const stopped = await server.services.builds.stopBuild((await orphanBuild(server, 'unjobbed', 'to-stop')).id);
      assert.equal(stopped.buildStatus, 'STOPPED');
      assert.equal(stopped.currentPhase, 'COMPLETED');
      const deleted = await orphanBuild(server, 'unjobbed', 'to-delete');
      assert.deepEqual(await server.services.builds.batchDelete([deleted.id]), { deleted: [deleted.id], notDeleted: [] });
      // Reconciliation finds nothing left to run, and no agent leases the stopped build.
      await server.scheduler.sweep();
      assert.equal(await server.services.agents.lease(await registerAgent(server, 'a2'), 0), undefined);
      assert.equal((await server.services.builds.get(stopped.id)).buildStatus, 'STOPPED');
    } finally {
      await server.stop();
    }
  });

  test(`finding 10: a build left without a job past its queued timeout ends TIMED_OUT (${database})`, { skip }, async () => {
    const { server, advance } = await serverOn(database);
    try {
      await createProject(server, 'forgotten', 5);
      const orphan = await orphanBuild(server, 'forgotten', 'old');
      advance(6 * 60_000);
      await server.scheduler.sweep();
      const build = await server.services.builds.get(orphan.id);
      assert.equal(build.buildStatus, 'TIMED_OUT');
      assert.match(JSON.stringify(build.record), /BUILD_TIMED_OUT/);
    } finally {
      await server.stop();
    }
  });

  test(`finding 10: a build whose agents are lost before a command ran ends FAULT after 3 leases, not leased for ever (${database})`, { skip }, async () => {
    const { server, advance } = await serverOn(database, { maxJobAttempts: 3 });
    try {
      await createProject(server, 'looping');
      const { id } = await server.services.builds.startBuild({ projectName: 'looping', initiator: 'test' });
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        const agentId = await registerAgent(server, `doomed-${attempt}`);
        assert.equal((await server.services.agents.lease(agentId, 0))?.job.id, id, `lease ${attempt}`);
        advance(2_000);
        await server.scheduler.sweep();
      }
      const build = await server.services.builds.get(id);
      assert.equal(build.buildStatus, 'FAULT');
      assert.equal(build.currentPhase, 'COMPLETED');
      const context = build.record.phases.flatMap((p) => p.contexts).find((c) => c.statusCode === 'AGENT_LOST');
      assert.match(context?.message ?? '', /failed on 3 agents before running a command/);
      assert.equal(await server.services.agents.lease(await registerAgent(server, 'fourth'), 0), undefined);
    } finally {
      await server.stop();
    }
  });
}
