/** Registered application revisions, keyed by application and revision key (core/deployment.ts). */
import type { Kysely } from 'kysely';
import { revisionKey, type RegisteredRevision, type RevisionLocation } from '../core/deployment.js';
import type { DeployRevisionsRepo } from '../core/deployment-store.js';
import type { Page, PageRequest } from '../core/store.js';
import type { DeploymentTables } from './deployment-tables.js';
import { parseRevision } from './deployment-json.js';
import { decodePageToken, encodePageToken, pageLimit } from './page-token.js';
import type { Database } from './schema.js';

type Tables = Database & DeploymentTables;

export class KyselyDeployRevisionsRepo implements DeployRevisionsRepo {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Database>) {
    this.#db = db.withTables<DeploymentTables>();
  }

  async register(revision: RegisteredRevision): Promise<void> {
    const key = revisionKey(revision.revision);
    await this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('deploy_revisions').select('json').where('application_name', '=', revision.applicationName).where('revision_key', '=', key).executeTakeFirst();
      if (row === undefined) {
        await trx.insertInto('deploy_revisions').values({ application_name: revision.applicationName, revision_key: key, register_time: revision.registerTime, json: JSON.stringify(revision) }).execute();
        return;
      }
      const stored = parseRevision(row.json, key);
      const updated: RegisteredRevision = { ...stored, description: revision.description ?? stored.description };
      await trx.updateTable('deploy_revisions').set({ json: JSON.stringify(updated) }).where('application_name', '=', revision.applicationName).where('revision_key', '=', key).execute();
    });
  }

  async get(applicationName: string, revision: RevisionLocation): Promise<RegisteredRevision | undefined> {
    const key = revisionKey(revision);
    const row = await this.#db.selectFrom('deploy_revisions').select('json').where('application_name', '=', applicationName).where('revision_key', '=', key).executeTakeFirst();
    return row === undefined ? undefined : parseRevision(row.json, key);
  }

  async list(applicationName: string, page: PageRequest): Promise<Page<RegisteredRevision>> {
    const limit = pageLimit(page.limit);
    let query = this.#db
      .selectFrom('deploy_revisions')
      .select(['revision_key', 'register_time', 'json'])
      .where('application_name', '=', applicationName)
      .orderBy('register_time', 'desc')
      .orderBy('revision_key', 'desc')
      .limit(limit + 1);
    if (page.nextToken !== undefined) {
      const [time, key] = decodePageToken(page.nextToken, ['number', 'string']) as [number, string];
      query = query.where((eb) => eb.or([eb('register_time', '<', time), eb.and([eb('register_time', '=', time), eb('revision_key', '<', key)])]));
    }
    const rows = await query.execute();
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return {
      items: items.map((r) => parseRevision(r.json, r.revision_key)),
      nextToken: rows.length > limit && last !== undefined ? encodePageToken([Number(last.register_time), last.revision_key]) : undefined,
    };
  }

  async markUsed(applicationName: string, revision: RevisionLocation, groupName: string, at: number): Promise<void> {
    await this.register({ applicationName, revision, registerTime: at, deploymentGroups: [] });
    const key = revisionKey(revision);
    await this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('deploy_revisions').select('json').where('application_name', '=', applicationName).where('revision_key', '=', key).executeTakeFirstOrThrow();
      const stored = parseRevision(row.json, key);
      const updated: RegisteredRevision = {
        ...stored,
        firstUsedTime: stored.firstUsedTime ?? at,
        lastUsedTime: at,
        deploymentGroups: stored.deploymentGroups.includes(groupName) ? stored.deploymentGroups : [...stored.deploymentGroups, groupName],
      };
      await trx.updateTable('deploy_revisions').set({ json: JSON.stringify(updated) }).where('application_name', '=', applicationName).where('revision_key', '=', key).execute();
    });
  }
}
