/**
 * On-premises instances: one row per name. A deregistered instance keeps its row (GetOnPremisesInstance
 * still answers it, with its deregisterTime); registering the name again replaces it.
 */
import type { Kysely } from 'kysely';
import type { OnPremisesInstance } from '../core/deployment.js';
import type { InstancesRepo } from '../core/deployment-store.js';
import type { Page, PageRequest } from '../core/store.js';
import { NagareError } from '../core/errors.js';
import type { DeploymentTables } from './deployment-tables.js';
import { parseInstance } from './deployment-json.js';
import { decodePageToken, encodePageToken, pageLimit } from './page-token.js';
import type { Database } from './schema.js';

type Tables = Database & DeploymentTables;
type InstanceFilter = { readonly registrationStatus?: 'Registered' | 'Deregistered' | undefined };

export class KyselyInstancesRepo implements InstancesRepo {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Database>) {
    this.#db = db.withTables<DeploymentTables>();
  }

  register(instance: OnPremisesInstance): Promise<void> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('deploy_instances').select('deregistered').where('name', '=', instance.instanceName).executeTakeFirst();
      if (row !== undefined && Number(row.deregistered) === 0) {
        throw new NagareError('STORE_CONFLICT', `instance ${instance.instanceName} is already registered`, { details: { instanceName: instance.instanceName } });
      }
      const values = { name: instance.instanceName, deregistered: 0, json: JSON.stringify(instance) };
      if (row === undefined) await trx.insertInto('deploy_instances').values(values).execute();
      else await trx.updateTable('deploy_instances').set(values).where('name', '=', instance.instanceName).execute();
    });
  }

  async get(name: string): Promise<OnPremisesInstance | undefined> {
    const row = await this.#db.selectFrom('deploy_instances').select('json').where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : parseInstance(row.json, name);
  }

  async getMany(names: readonly string[]): Promise<OnPremisesInstance[]> {
    const unique = [...new Set(names)];
    if (unique.length === 0) return [];
    const rows = await this.#db.selectFrom('deploy_instances').select(['name', 'json']).where('name', 'in', unique).execute();
    const byName = new Map(rows.map((r) => [r.name, parseInstance(r.json, r.name)]));
    return unique.flatMap((n) => byName.get(n) ?? []);
  }

  async list(filter: InstanceFilter): Promise<OnPremisesInstance[]> {
    const rows = await this.#listQuery(filter).execute();
    return rows.map((r) => parseInstance(r.json, r.name));
  }

  async listPage(filter: InstanceFilter, page: PageRequest): Promise<Page<OnPremisesInstance>> {
    const limit = pageLimit(page.limit);
    let query = this.#listQuery(filter).limit(limit + 1);
    if (page.nextToken !== undefined) {
      const [after] = decodePageToken(page.nextToken, ['string']) as [string];
      query = query.where('name', '>', after);
    }
    const rows = await query.execute();
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items: items.map((r) => parseInstance(r.json, r.name)), nextToken: rows.length > limit && last !== undefined ? encodePageToken([last.name]) : undefined };
  }

  #listQuery(filter: InstanceFilter) {
    const query = this.#db.selectFrom('deploy_instances').select(['name', 'json']).orderBy('name');
    return filter.registrationStatus === undefined ? query : query.where('deregistered', '=', filter.registrationStatus === 'Registered' ? 0 : 1);
  }

  async update(instance: OnPremisesInstance): Promise<void> {
    const result = await this.#db
      .updateTable('deploy_instances')
      .set({ deregistered: instance.deregisterTime === undefined ? 0 : 1, json: JSON.stringify(instance) })
      .where('name', '=', instance.instanceName)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new NagareError('STORE_NOT_FOUND', `instance ${instance.instanceName} is not registered`, { details: { instanceName: instance.instanceName } });
  }
}
