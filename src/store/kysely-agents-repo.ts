/** Agents: registered once, then touched at every heartbeat. */
import type { Kysely, Selectable } from 'kysely';
import type { Agent, AgentsRepo } from '../core/store.js';
import type { AgentsTable, Database } from './schema.js';

export class KyselyAgentsRepo implements AgentsRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Registers the agent, or replaces its name, tags and times when it re-registers. */
  async upsert(agent: Agent): Promise<void> {
    const row = { id: agent.id, name: agent.name, tags: JSON.stringify(agent.tags), registered_at: agent.registeredAt, last_seen_at: agent.lastSeenAt };
    await this.#db
      .insertInto('agents')
      .values(row)
      .onConflict((conflict) => conflict.column('id').doUpdateSet({ name: row.name, tags: row.tags, registered_at: row.registered_at, last_seen_at: row.last_seen_at }))
      .execute();
  }

  async get(id: string): Promise<Agent | undefined> {
    const row = await this.#db.selectFrom('agents').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toAgent(row);
  }

  /** Does nothing for an unknown agent. */
  async touch(id: string, at: number): Promise<void> {
    await this.#db.updateTable('agents').set({ last_seen_at: at }).where('id', '=', id).execute();
  }

  /** Sorted by name, then id. */
  async list(): Promise<Agent[]> {
    const rows = await this.#db.selectFrom('agents').selectAll().orderBy('name').orderBy('id').execute();
    return rows.map(toAgent);
  }
}

function toAgent(row: Selectable<AgentsTable>): Agent {
  return { id: row.id, name: row.name, tags: JSON.parse(row.tags) as Record<string, string>, registeredAt: row.registered_at, lastSeenAt: row.last_seen_at };
}
