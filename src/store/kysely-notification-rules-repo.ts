/** Notification rules (one JSON row each) and the outbox of their deliveries (migration 0011). */
import type { Kysely, Selectable } from 'kysely';
import { NagareError } from '../core/errors.js';
import type { DeliveryState, NotificationDelivery, NotificationRule, NotificationTarget } from '../core/notification-rule.js';
import type { StoredEvent } from '../core/aws-event.js';
import type { DeliveryAttempt, DueDelivery, NotificationRulesRepo } from '../core/store.js';
import { storedEventOf } from './kysely-events-repo.js';
import { pageLimit } from './page-token.js';
import type { Database, NotificationDeliveriesTable, NotificationRulesTable } from './schema.js';
import { conflictAs } from './store-errors.js';

/** Rows (or ids) per statement: well under SQLite's and PostgreSQL's limits on bound parameters. */
const INSERT_ROWS = 100;

export class KyselyNotificationRulesRepo implements NotificationRulesRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(rule: NotificationRule): Promise<void> {
    await conflictAs(this.#db.insertInto('notification_rules').values(ruleRow(rule)).execute(), `notification rule ${rule.name}`);
  }

  async get(arn: string): Promise<NotificationRule | undefined> {
    const row = await this.#db.selectFrom('notification_rules').selectAll().where('arn', '=', arn).executeTakeFirst();
    return row === undefined ? undefined : ruleOf(row);
  }

  async list(): Promise<NotificationRule[]> {
    return (await this.#db.selectFrom('notification_rules').selectAll().orderBy('name').execute()).map(ruleOf);
  }

  async update(rule: NotificationRule): Promise<boolean> {
    const { arn, ...changes } = ruleRow(rule);
    const result = await conflictAs(this.#db.updateTable('notification_rules').set(changes).where('arn', '=', arn).executeTakeFirst(), `notification rule ${rule.name}`);
    return result.numUpdatedRows > 0n;
  }

  delete(arn: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('notification_deliveries').where('rule_arn', '=', arn).execute();
      const result = await trx.deleteFrom('notification_rules').where('arn', '=', arn).executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  async enqueue(deliveries: readonly NotificationDelivery[], cursorName: string, upTo: number): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      // Many rows a statement: one statement to build and run instead of one per delivery.
      for (let i = 0; i < deliveries.length; i += INSERT_ROWS) {
        await trx
          .insertInto('notification_deliveries')
          .values(deliveries.slice(i, i + INSERT_ROWS).map(deliveryRow))
          .onConflict((oc) => oc.columns(['rule_arn', 'target_address', 'event_sequence']).doNothing())
          .execute();
      }
      await trx
        .insertInto('cursors')
        .values({ name: cursorName, value: upTo })
        .onConflict((oc) => oc.column('name').doUpdateSet({ value: upTo }).where('cursors.value', '<', upTo))
        .execute();
    });
  }

  async due(now: number, limit: number, perQueue = 1): Promise<DueDelivery[]> {
    // Each PENDING delivery with its place in its (rule, target) queue and when the queue's head is due.
    const pending = this.#db
      .selectFrom('notification_deliveries')
      .selectAll()
      .select((eb) => [
        eb.fn.agg<number>('row_number').over((ob) => ob.partitionBy(['rule_arn', 'target_address']).orderBy('event_sequence')).as('position'),
        eb.fn.agg<number>('first_value', ['next_attempt_at']).over((ob) => ob.partitionBy(['rule_arn', 'target_address']).orderBy('event_sequence')).as('head_due'),
      ])
      .where('state', '=', 'PENDING')
      .as('d');
    const rows = await this.#db
      .selectFrom(pending)
      .innerJoin('events as e', 'e.sequence', 'd.event_sequence')
      .selectAll('d')
      .select(['e.envelope as envelope', 'e.trace_id as trace_id'])
      .where('d.position', '<=', perQueue)
      .where('d.head_due', '<=', now)
      .orderBy('d.event_sequence')
      .limit(pageLimit(limit))
      .execute();
    // One event goes to every rule that matched it: parsed once.
    const events = new Map<number, StoredEvent>();
    return rows.map((row) => {
      const sequence = Number(row.event_sequence);
      let event = events.get(sequence);
      if (!event) events.set(sequence, (event = storedEventOf({ sequence, envelope: row.envelope, trace_id: row.trace_id })));
      return { delivery: deliveryOf(row), event, envelopeJson: row.envelope };
    });
  }

  async recordAttempts(attempts: readonly DeliveryAttempt[]): Promise<void> {
    if (attempts.length === 0) return;
    // Attempts with the same outcome (most often: delivered at the first try, in one round) are one statement.
    const groups = new Map<string, { attempt: DeliveryAttempt; ids: string[] }>();
    for (const attempt of attempts) {
      const key = JSON.stringify([attempt.state, attempt.attempts, attempt.nextAttemptAt, attempt.lastError, attempt.at]);
      const group = groups.get(key);
      if (group) group.ids.push(attempt.id);
      else groups.set(key, { attempt, ids: [attempt.id] });
    }
    await this.#db.transaction().execute(async (trx) => {
      for (const { attempt, ids } of groups.values()) {
        for (let i = 0; i < ids.length; i += INSERT_ROWS) {
          await trx
            .updateTable('notification_deliveries')
            .set({ state: attempt.state, attempts: attempt.attempts, next_attempt_at: attempt.nextAttemptAt, last_error: attempt.lastError ?? null, updated_at: attempt.at })
            .where('id', 'in', ids.slice(i, i + INSERT_ROWS))
            .execute();
        }
      }
    });
  }

  async deliveries(ruleArn: string, state: DeliveryState, limit: number): Promise<NotificationDelivery[]> {
    const rows = await this.#db
      .selectFrom('notification_deliveries')
      .selectAll()
      .where('rule_arn', '=', ruleArn)
      .where('state', '=', state)
      .orderBy('event_sequence', 'desc')
      .limit(pageLimit(limit))
      .execute();
    return rows.map(deliveryOf);
  }

  async countByState(ruleArn: string): Promise<Record<DeliveryState, number>> {
    const rows = await this.#db
      .selectFrom('notification_deliveries')
      .select(['state', (eb) => eb.fn.countAll().as('count')])
      .where('rule_arn', '=', ruleArn)
      .groupBy('state')
      .execute();
    const counts: Record<DeliveryState, number> = { PENDING: 0, DELIVERED: 0, DEAD: 0 };
    for (const row of rows) counts[row.state] = Number(row.count);
    return counts;
  }
}

function ruleRow(rule: NotificationRule): NotificationRulesTable {
  return { arn: rule.arn, name: rule.name, json: JSON.stringify(rule), created: rule.created, last_modified: rule.lastModified };
}

/** The JSON was written by ruleRow; each field is checked rather than the whole cast. */
function ruleOf(row: Selectable<NotificationRulesTable>): NotificationRule {
  const value = JSON.parse(row.json) as Record<string, unknown>;
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
  const targets = Array.isArray(value.targets) ? value.targets.flatMap(targetOf) : [];
  const tags = typeof value.tags === 'object' && value.tags !== null ? Object.fromEntries(Object.entries(value.tags).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};
  return {
    arn: row.arn,
    name: row.name,
    resource: typeof value.resource === 'string' ? value.resource : '',
    eventTypeIds: strings(value.eventTypeIds),
    targets,
    detailType: value.detailType === 'BASIC' ? 'BASIC' : 'FULL',
    status: value.status === 'DISABLED' ? 'DISABLED' : 'ENABLED',
    createdBy: typeof value.createdBy === 'string' ? value.createdBy : '',
    created: Number(row.created),
    lastModified: Number(row.last_modified),
    tags,
    afterSequence: typeof value.afterSequence === 'number' ? value.afterSequence : 0,
  };
}

function targetOf(value: unknown): NotificationTarget[] {
  if (typeof value !== 'object' || value === null) throw new NagareError('STORE_RECORD_INVALID', 'a stored notification target is not an object');
  const t = value as Record<string, unknown>;
  const targetType = t.targetType === 'Slack' ? 'Slack' : 'Webhook';
  const address = typeof t.targetAddress === 'string' ? t.targetAddress : '';
  const s = (typeof t.secret === 'object' && t.secret !== null ? t.secret : {}) as Record<string, unknown>;
  const secret = s.kind === 'value' && typeof s.encrypted === 'string' ? { kind: 'value' as const, encrypted: s.encrypted } : s.kind === 'name' && typeof s.name === 'string' ? { kind: 'name' as const, name: s.name } : { kind: 'none' as const };
  return [{ targetType, targetAddress: address, secret }];
}

function deliveryRow(d: NotificationDelivery): NotificationDeliveriesTable {
  return {
    id: d.id,
    rule_arn: d.ruleArn,
    target_address: d.targetAddress,
    event_sequence: d.eventSequence,
    state: d.state,
    attempts: d.attempts,
    next_attempt_at: d.nextAttemptAt,
    last_error: d.lastError ?? null,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
  };
}

function deliveryOf(row: Selectable<NotificationDeliveriesTable>): NotificationDelivery {
  return {
    id: row.id,
    ruleArn: row.rule_arn,
    targetAddress: row.target_address,
    eventSequence: Number(row.event_sequence),
    state: row.state,
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    lastError: row.last_error ?? undefined,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
