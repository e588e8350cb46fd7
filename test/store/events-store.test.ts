/**
 * The event log, the notification outbox and event rules on both databases: an event is stored
 * with the change that causes it or not at all, sequences are read back in order, the outbox hands
 * out the head of each (rule, target) queue only, and concurrent appends on PostgreSQL commit in
 * sequence order.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { AwsEvent } from '../../src/core/aws-event.js';
import type { NotificationDelivery, NotificationRule } from '../../src/core/notification-rule.js';
import type { Store } from '../../src/core/store.js';
import { openStore } from '../../src/store/open-store.js';
import { freshPostgresUrl, postgresMissing } from '../support/postgres.js';
import { requirement } from '../support/requirements.js';
import { sampleBuild, sampleProject, T0 } from './fixtures.js';

const postgres = requirement('PostgreSQL', await postgresMissing());

function event(id: string, detailType = 'CodeBuild Build State Change'): AwsEvent {
  return { version: '0', id, 'detail-type': detailType, source: 'aws.codebuild', account: '000000000000', time: '2026-12-01T00:00:00Z', region: 'us-east-1', resources: [], detail: { n: id } };
}

let schemas = 0;
async function open(database: 'sqlite' | 'postgres'): Promise<Store> {
  const url = database === 'postgres' ? await freshPostgresUrl(`events_store_${(schemas += 1)}`) : `sqlite://${path.join(await mkdtemp(path.join(os.tmpdir(), 'nagare-events-store-')), 'nagare.db')}`;
  return openStore({ url });
}

const rule = (arn: string, name: string): NotificationRule => ({ arn, name, resource: 'arn:aws:codebuild:us-east-1:000000000000:project/p', eventTypeIds: ['codebuild-project-build-state-stopped'], targets: [{ targetType: 'Webhook', targetAddress: 'http://a/', secret: { kind: 'none' } }], detailType: 'FULL', status: 'ENABLED', createdBy: 'admin', created: T0, lastModified: T0, tags: {}, afterSequence: 0 });
const delivery = (id: string, ruleArn: string, sequence: number, target = 'http://a/'): NotificationDelivery => ({ id, ruleArn, targetAddress: target, eventSequence: sequence, state: 'PENDING', attempts: 0, nextAttemptAt: T0, lastError: undefined, createdAt: T0, updatedAt: T0 });

for (const database of ['sqlite', 'postgres'] as const) {
  test(`a build update stores its events in the same transaction, and none when the build is gone (${database})`, { skip: database === 'postgres' ? postgres : false }, async () => {
    const store = await open(database);
    try {
      await store.projects.create(sampleProject('p'));
      await store.builds.insert(sampleBuild('p:1'));
      const updated = await store.builds.update('p:1', { buildStatus: 'STOPPED', currentPhase: 'COMPLETED' }, (before, after) => [event(`${before.currentPhase}->${after.currentPhase}`)]);
      assert.equal(updated?.buildStatus, 'STOPPED');
      assert.equal(await store.builds.update('p:none', { buildStatus: 'STOPPED' }, () => [event('never')]), undefined);
      const stored = await store.events.after(0, 10);
      assert.deepEqual(stored.map((s) => s.event.id), [`${sampleBuild('p:1').currentPhase}->COMPLETED`]);
      // A failing event write rolls the change back: the same event id twice breaks the unique key.
      await assert.rejects(store.builds.update('p:1', { buildStatus: 'FAILED' }, () => [event(stored[0]?.event.id ?? '')]));
      assert.equal((await store.builds.get('p:1'))?.buildStatus, 'STOPPED', 'the change was not stored without its event');
    } finally {
      await store.close();
    }
  });

  test(`events come back in sequence order, filtered by detail-type, with the last sequence (${database})`, { skip: database === 'postgres' ? postgres : false }, async () => {
    const store = await open(database);
    try {
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.events.append([event(`e${i}`, i % 2 === 0 ? 'A' : 'B')])));
      const all = await store.events.after(0, 100);
      assert.equal(all.length, 20);
      assert.deepEqual(all.map((s) => s.sequence), [...all.map((s) => s.sequence)].sort((a, b) => a - b));
      assert.equal(await store.events.lastSequence(), all.at(-1)?.sequence);
      assert.equal((await store.events.after(0, 100, { detailTypes: ['A'] })).length, 10);
      assert.deepEqual((await store.events.after(all[17]?.sequence ?? 0, 100)).map((s) => s.event.id), all.slice(18).map((s) => s.event.id));
    } finally {
      await store.close();
    }
  });

  test(`the outbox hands out only the head of each rule and target queue, and keeps a delivery once (${database})`, { skip: database === 'postgres' ? postgres : false }, async () => {
    const store = await open(database);
    try {
      const [first, second] = await store.events.append([event('x1'), event('x2')]);
      assert.ok(first && second);
      await store.notificationRules.create(rule('arn:r1', 'one'));
      await store.notificationRules.enqueue([delivery('d1', 'arn:r1', first.sequence), delivery('d2', 'arn:r1', second.sequence), delivery('d3', 'arn:r1', first.sequence, 'http://b/')], 'outbox', second.sequence);
      await store.notificationRules.enqueue([delivery('again', 'arn:r1', first.sequence)], 'outbox', second.sequence);
      assert.equal(await store.cursors.get('outbox'), second.sequence);
      assert.deepEqual((await store.notificationRules.due(T0, 10)).map((d) => d.delivery.id).sort(), ['d1', 'd3'], 'd2 waits for d1');
      await store.notificationRules.recordAttempts([{ id: 'd1', state: 'PENDING', attempts: 1, nextAttemptAt: T0 + 1000, lastError: 'HTTP 503', at: T0 }]);
      assert.deepEqual((await store.notificationRules.due(T0, 10)).map((d) => d.delivery.id), ['d3'], 'd1 backs off, and d2 still waits');
      await store.notificationRules.recordAttempts([{ id: 'd1', state: 'DEAD', attempts: 8, nextAttemptAt: T0, lastError: 'gone', at: T0 }]);
      assert.deepEqual((await store.notificationRules.due(T0, 10)).map((d) => d.delivery.id).sort(), ['d2', 'd3'], 'a dead letter unblocks its queue');
      assert.deepEqual(await store.notificationRules.countByState('arn:r1'), { PENDING: 2, DELIVERED: 0, DEAD: 1 });
      assert.equal((await store.notificationRules.due(T0, 10)).find((d) => d.delivery.id === 'd2')?.event.event.id, 'x2');
      assert.equal(await store.notificationRules.delete('arn:r1'), true);
      assert.deepEqual(await store.notificationRules.due(T0, 10), [], 'its deliveries went with it');
    } finally {
      await store.close();
    }
  });

  test(`the outbox hands out a due queue's head with the deliveries behind it, in order, and none of a queue whose head backs off (${database})`, { skip: database === 'postgres' ? postgres : false }, async () => {
    const store = await open(database);
    try {
      const events = await store.events.append([event('y1'), event('y2'), event('y3')]);
      const [s1, s2, s3] = events.map((e) => e.sequence);
      assert.ok(s1 !== undefined && s2 !== undefined && s3 !== undefined);
      await store.notificationRules.create(rule('arn:r2', 'two'));
      await store.notificationRules.enqueue([delivery('a1', 'arn:r2', s1), delivery('a2', 'arn:r2', s2), delivery('a3', 'arn:r2', s3), delivery('b1', 'arn:r2', s2, 'http://b/')], 'outbox', s3);
      const ids = async (perQueue: number): Promise<string[]> => (await store.notificationRules.due(T0, 10, perQueue)).map((d) => d.delivery.id);
      assert.deepEqual(await ids(2), ['a1', 'a2', 'b1'], 'two of queue a, in sequence order, and queue b');
      assert.deepEqual(await ids(10), ['a1', 'a2', 'b1', 'a3']);
      const [head] = await store.notificationRules.due(T0, 1, 10);
      assert.equal(head?.envelopeJson, JSON.stringify(event('y1')), 'the envelope as stored, for the body');
      await store.notificationRules.recordAttempts([{ id: 'a1', state: 'DELIVERED', attempts: 1, nextAttemptAt: T0, lastError: undefined, at: T0 }, { id: 'a2', state: 'PENDING', attempts: 1, nextAttemptAt: T0 + 1000, lastError: 'HTTP 503', at: T0 }]);
      assert.deepEqual(await ids(10), ['b1'], 'a2 backs off and a3 waits behind it');
      assert.deepEqual(await store.notificationRules.countByState('arn:r2'), { PENDING: 3, DELIVERED: 1, DEAD: 0 });
    } finally {
      await store.close();
    }
  });

  test(`event rules are put, replaced, listed and deleted (${database})`, { skip: database === 'postgres' ? postgres : false }, async () => {
    const store = await open(database);
    try {
      const base = { name: 'r', arn: 'arn:aws:events:us-east-1:000000000000:rule/r', eventPattern: '{"source":["aws.codebuild"]}', scheduleExpression: undefined, state: 'ENABLED' as const, description: undefined, targets: [], created: T0, lastModified: T0, afterSequence: 3, nextFireAt: undefined };
      await store.eventRules.put(base);
      await store.eventRules.put({ ...base, targets: [{ id: 't', arn: 'arn:aws:codebuild:us-east-1:000000000000:project/p' }], nextFireAt: T0 + 60_000 });
      assert.deepEqual(await store.eventRules.get('r'), { ...base, targets: [{ id: 't', arn: 'arn:aws:codebuild:us-east-1:000000000000:project/p' }], nextFireAt: T0 + 60_000 });
      assert.deepEqual((await store.eventRules.list()).map((r) => r.name), ['r']);
      assert.equal(await store.eventRules.delete('r'), true);
      assert.equal(await store.eventRules.get('r'), undefined);
    } finally {
      await store.close();
    }
  });
}
