/** Build projects: one row per project, the project itself as JSON, and its build counter. */
import type { Kysely } from 'kysely';
import { NagareError } from '../core/errors.js';
import type { BuildProject } from '../core/project.js';
import type { Page, PageRequest, ProjectsRepo } from '../core/store.js';
import { decodePageToken, encodePageToken, pageLimit } from './page-token.js';
import type { Database } from './schema.js';
import { conflictAs } from './store-errors.js';

export class KyselyProjectsRepo implements ProjectsRepo {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(project: BuildProject): Promise<void> {
    const insert = this.#db
      .insertInto('projects')
      .values({ name: project.name, json: JSON.stringify(project), build_counter: 0, created: project.created, last_modified: project.lastModified })
      .execute();
    await conflictAs(insert, `project ${project.name}`);
  }

  async update(project: BuildProject): Promise<void> {
    const result = await this.#db
      .updateTable('projects')
      .set({ json: JSON.stringify(project), last_modified: project.lastModified })
      .where('name', '=', project.name)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) {
      throw new NagareError('STORE_NOT_FOUND', `project ${project.name} does not exist`, { details: { project: project.name } });
    }
  }

  async delete(name: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('projects').where('name', '=', name).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async get(name: string): Promise<BuildProject | undefined> {
    const row = await this.#db.selectFrom('projects').select('json').where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : (JSON.parse(row.json) as BuildProject);
  }

  /** The projects that exist, in the order asked, each once. */
  async getMany(names: readonly string[]): Promise<BuildProject[]> {
    if (names.length === 0) return [];
    const rows = await this.#db.selectFrom('projects').select(['name', 'json']).where('name', 'in', [...new Set(names)]).execute();
    const byName = new Map(rows.map((row) => [row.name, JSON.parse(row.json) as BuildProject]));
    return [...new Set(names)].flatMap((name) => byName.get(name) ?? []);
  }

  async list(page: PageRequest): Promise<Page<string>> {
    const descending = page.sortOrder === 'DESCENDING';
    const limit = pageLimit(page.limit);
    let query = this.#db.selectFrom('projects').select('name').orderBy('name', descending ? 'desc' : 'asc').limit(limit + 1);
    if (page.nextToken !== undefined) {
      const [after] = decodePageToken(page.nextToken, ['string']) as [string];
      query = query.where('name', descending ? '<' : '>', after);
    }
    const names = (await query.execute()).map((row) => row.name);
    const items = names.slice(0, limit);
    const last = items.at(-1);
    return { items, nextToken: names.length > limit && last !== undefined ? encodePageToken([last]) : undefined };
  }

  /** STORE_NOT_FOUND when there is no such project. */
  async nextBuildNumber(name: string): Promise<number> {
    const row = await this.#db
      .updateTable('projects')
      .set((eb) => ({ build_counter: eb('build_counter', '+', 1) }))
      .where('name', '=', name)
      .returning('build_counter')
      .executeTakeFirst();
    if (row === undefined) throw new NagareError('STORE_NOT_FOUND', `project ${name} does not exist`, { details: { project: name } });
    return row.build_counter;
  }
}
