/** Agents: registered once, then touched at every lease and heartbeat. */
import type { Kysely, Selectable } from 'kysely';
import { JOB_KINDS, type JobKind } from '../core/job-routing.js';
import type { Agent, AgentsRepo } from '../core/store.js';
import { parseStrings } from './kysely-job-queue.js';
import type { AgentsTable, Database } from './schema.js';

export class KyselyAgentsRepo implements AgentsRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Registers the agent, or replaces its name, tags, fleet, labels, kinds, image map and times when it re-registers. */
  async upsert(agent: Agent): Promise<void> {
    const row = {
      id: agent.id,
      name: agent.name,
      tags: JSON.stringify(agent.tags),
      registered_at: agent.registeredAt,
      last_seen_at: agent.lastSeenAt,
      fleet: agent.fleet ?? null,
      labels: JSON.stringify(agent.labels),
      kinds: JSON.stringify(agent.kinds),
      image_map: JSON.stringify(agent.imageMap),
    };
    const { id: _id, ...changes } = row;
    await this.#db.insertInto('agents').values(row).onConflict((conflict) => conflict.column('id').doUpdateSet(changes)).execute();
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

  /** Sorted by name, then id. */
  async seenSince(since: number): Promise<Agent[]> {
    const rows = await this.#db.selectFrom('agents').selectAll().where('last_seen_at', '>=', since).orderBy('name').orderBy('id').execute();
    return rows.map(toAgent);
  }
}

function toAgent(row: Selectable<AgentsTable>): Agent {
  const tags: unknown = JSON.parse(row.tags);
  return {
    id: row.id,
    name: row.name,
    tags: typeof tags === 'object' && tags !== null ? Object.fromEntries(Object.entries(tags).filter((entry): entry is [string, string] => typeof entry[1] === 'string')) : {},
    registeredAt: row.registered_at,
    lastSeenAt: row.last_seen_at,
    fleet: row.fleet ?? undefined,
    labels: parseStrings(row.labels),
    kinds: parseStrings(row.kinds).filter((kind): kind is JobKind => (JOB_KINDS as readonly string[]).includes(kind)),
    imageMap: parseStrings(row.image_map),
  };
}
