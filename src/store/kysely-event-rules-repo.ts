/** EventBridge-style rules: one JSON row per rule (migration 0011), parsed field by field on read. */
import type { Kysely, Selectable } from 'kysely';
import type { EventRule, EventRuleTarget } from '../core/event-rule.js';
import type { EventRulesRepo } from '../core/store.js';
import type { Database, EventRulesTable } from './schema.js';

export class KyselyEventRulesRepo implements EventRulesRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async put(rule: EventRule): Promise<void> {
    const row = { name: rule.name, json: JSON.stringify(rule), created: rule.created, last_modified: rule.lastModified };
    await this.#db
      .insertInto('event_rules')
      .values(row)
      .onConflict((oc) => oc.column('name').doUpdateSet({ json: row.json, last_modified: row.last_modified }))
      .execute();
  }

  async get(name: string): Promise<EventRule | undefined> {
    const row = await this.#db.selectFrom('event_rules').selectAll().where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : ruleOf(row);
  }

  async list(): Promise<EventRule[]> {
    return (await this.#db.selectFrom('event_rules').selectAll().orderBy('name').execute()).map(ruleOf);
  }

  async delete(name: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('event_rules').where('name', '=', name).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function ruleOf(row: Selectable<EventRulesTable>): EventRule {
  const v = JSON.parse(row.json) as Record<string, unknown>;
  const optionalString = (key: string): string | undefined => (typeof v[key] === 'string' ? v[key] : undefined);
  const targets: EventRuleTarget[] = Array.isArray(v.targets)
    ? v.targets.flatMap((t: unknown) => (typeof t === 'object' && t !== null && typeof (t as Record<string, unknown>).id === 'string' && typeof (t as Record<string, unknown>).arn === 'string' ? [{ id: (t as { id: string }).id, arn: (t as { arn: string }).arn }] : []))
    : [];
  return {
    name: row.name,
    arn: optionalString('arn') ?? '',
    eventPattern: optionalString('eventPattern'),
    scheduleExpression: optionalString('scheduleExpression'),
    state: v.state === 'DISABLED' ? 'DISABLED' : 'ENABLED',
    description: optionalString('description'),
    targets,
    created: Number(row.created),
    lastModified: Number(row.last_modified),
    afterSequence: typeof v.afterSequence === 'number' ? v.afterSequence : 0,
    nextFireAt: typeof v.nextFireAt === 'number' ? v.nextFireAt : undefined,
  };
}
