/** CodeDeploy applications and their deployment groups: one row each, the object as JSON. */
import type { Kysely } from 'kysely';
import type { Application, DeploymentGroup } from '../core/deployment.js';
import type { DeployApplicationsRepo, DeploymentGroupsRepo } from '../core/deployment-store.js';
import { NagareError } from '../core/errors.js';
import type { Page, PageRequest } from '../core/store.js';
import type { DeploymentTables } from './deployment-tables.js';
import { parseApplication, parseDeploymentGroup } from './deployment-json.js';
import { decodePageToken, encodePageToken, pageLimit } from './page-token.js';
import type { Database } from './schema.js';
import { conflictAs } from './store-errors.js';

type Tables = Database & DeploymentTables;

/** One page of names from a query ordered by name. */
export async function namePage(select: (after: string | undefined, limit: number) => Promise<string[]>, page: PageRequest): Promise<Page<string>> {
  const limit = pageLimit(page.limit);
  const after = page.nextToken === undefined ? undefined : (decodePageToken(page.nextToken, ['string'])[0] as string);
  const names = await select(after, limit + 1);
  const items = names.slice(0, limit);
  const last = items.at(-1);
  return { items, nextToken: names.length > limit && last !== undefined ? encodePageToken([last]) : undefined };
}

export class KyselyDeployApplicationsRepo implements DeployApplicationsRepo {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Database>) {
    this.#db = db.withTables<DeploymentTables>();
  }

  async create(application: Application): Promise<void> {
    const insert = this.#db.insertInto('deploy_applications').values({ name: application.applicationName, json: JSON.stringify(application), created: application.createTime }).execute();
    await conflictAs(insert, `application ${application.applicationName}`);
  }

  async get(name: string): Promise<Application | undefined> {
    const row = await this.#db.selectFrom('deploy_applications').select('json').where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : parseApplication(row.json, name);
  }

  list(page: PageRequest): Promise<Page<string>> {
    return namePage(async (after, limit) => {
      let query = this.#db.selectFrom('deploy_applications').select('name').orderBy('name').limit(limit);
      if (after !== undefined) query = query.where('name', '>', after);
      return (await query.execute()).map((r) => r.name);
    }, page);
  }

  delete(name: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('deployment_groups').where('application_name', '=', name).execute();
      await trx.deleteFrom('deploy_revisions').where('application_name', '=', name).execute();
      const result = await trx.deleteFrom('deploy_applications').where('name', '=', name).executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }
}

export class KyselyDeploymentGroupsRepo implements DeploymentGroupsRepo {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Database>) {
    this.#db = db.withTables<DeploymentTables>();
  }

  async create(group: DeploymentGroup): Promise<void> {
    const insert = this.#db.insertInto('deployment_groups').values({ application_name: group.applicationName, name: group.deploymentGroupName, json: JSON.stringify(group) }).execute();
    await conflictAs(insert, `deployment group ${group.deploymentGroupName} of application ${group.applicationName}`);
  }

  async update(currentName: string, group: DeploymentGroup): Promise<void> {
    const update = this.#db
      .updateTable('deployment_groups')
      .set({ name: group.deploymentGroupName, json: JSON.stringify(group) })
      .where('application_name', '=', group.applicationName)
      .where('name', '=', currentName)
      .executeTakeFirst();
    const result = await conflictAs(update, `deployment group ${group.deploymentGroupName} of application ${group.applicationName}`);
    if (result.numUpdatedRows === 0n) throw new NagareError('STORE_NOT_FOUND', `deployment group ${currentName} of application ${group.applicationName} does not exist`, { details: { deploymentGroupName: currentName } });
  }

  async get(applicationName: string, name: string): Promise<DeploymentGroup | undefined> {
    const row = await this.#db.selectFrom('deployment_groups').select('json').where('application_name', '=', applicationName).where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : parseDeploymentGroup(row.json, `${applicationName}/${name}`);
  }

  list(applicationName: string, page: PageRequest): Promise<Page<string>> {
    return namePage(async (after, limit) => {
      let query = this.#db.selectFrom('deployment_groups').select('name').where('application_name', '=', applicationName).orderBy('name').limit(limit);
      if (after !== undefined) query = query.where('name', '>', after);
      return (await query.execute()).map((r) => r.name);
    }, page);
  }

  async delete(applicationName: string, name: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('deployment_groups').where('application_name', '=', applicationName).where('name', '=', name).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
