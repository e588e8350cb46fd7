/**
 * Deployments: one row each, the deployment with its rollout (instances and lifecycle events) as
 * JSON, saved under an optimistic revision so that two servers applying events to one deployment
 * cannot overwrite each other. `effects_pending` mirrors `pendingEffects` (migration 0014). Custom
 * deployment configurations live here too.
 */
import type { Kysely } from 'kysely';
import type { TracedEvent } from '../core/aws-event.js';
import type { DeploymentConfig } from '../core/deployment-rollout-health.js';
import type { Deployment } from '../core/deployment.js';
import type { DeploymentConfigsRepo, DeploymentFilter, DeploymentsRepo, StoredDeployment } from '../core/deployment-store.js';
import type { Page, PageRequest } from '../core/store.js';
import type { DeploymentTables } from './deployment-tables.js';
import { parseDeployment, parseDeploymentConfig } from './deployment-json.js';
import { appendEvents } from './kysely-events-repo.js';
import { decodePageToken, encodePageToken, pageLimit } from './page-token.js';
import type { Database } from './schema.js';
import { conflictAs } from './store-errors.js';

type Tables = Database & DeploymentTables;
const ACTIVE = ['Created', 'Queued', 'InProgress'];

export class KyselyDeploymentsRepo implements DeploymentsRepo {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Database>) {
    this.#db = db.withTables<DeploymentTables>();
  }

  async insert(deployment: Deployment): Promise<void> {
    const insert = this.#db
      .insertInto('deployments')
      .values({
        id: deployment.deploymentId,
        application_name: deployment.applicationName,
        deployment_group_name: deployment.deploymentGroupName,
        status: deployment.rollout.status,
        create_time: deployment.rollout.createTime,
        json: JSON.stringify(deployment),
        revision: 0,
        effects_pending: effectsPending(deployment),
      })
      .execute();
    await conflictAs(insert, `deployment ${deployment.deploymentId}`);
  }

  async get(deploymentId: string): Promise<StoredDeployment | undefined> {
    const row = await this.#db.selectFrom('deployments').select(['json', 'revision']).where('id', '=', deploymentId).executeTakeFirst();
    return row === undefined ? undefined : { deployment: parseDeployment(row.json, deploymentId), revision: Number(row.revision) };
  }

  async getMany(deploymentIds: readonly string[]): Promise<Deployment[]> {
    const ids = [...new Set(deploymentIds)];
    if (ids.length === 0) return [];
    const rows = await this.#db.selectFrom('deployments').select(['id', 'json']).where('id', 'in', ids).execute();
    const byId = new Map(rows.map((r) => [r.id, parseDeployment(r.json, r.id)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async save(deployment: Deployment, expectedRevision: number, events: readonly TracedEvent[] = []): Promise<boolean> {
    const update = (db: Kysely<Tables>) => db
      .updateTable('deployments')
      .set({ status: deployment.rollout.status, json: JSON.stringify(deployment), revision: expectedRevision + 1, effects_pending: effectsPending(deployment) })
      .where('id', '=', deployment.deploymentId)
      .where('revision', '=', expectedRevision)
      .executeTakeFirst();
    if (events.length === 0) return (await update(this.#db)).numUpdatedRows > 0n;
    return this.#db.transaction().execute(async (trx) => {
      if ((await update(trx)).numUpdatedRows === 0n) return false;
      await appendEvents(trx, events);
      return true;
    });
  }

  async list(filter: DeploymentFilter, page: PageRequest): Promise<Page<string>> {
    const limit = pageLimit(page.limit);
    let query = this.#db.selectFrom('deployments').select(['id', 'create_time']).orderBy('create_time', 'desc').orderBy('id', 'desc').limit(limit + 1);
    if (filter.applicationName !== undefined) query = query.where('application_name', '=', filter.applicationName);
    if (filter.deploymentGroupName !== undefined) query = query.where('deployment_group_name', '=', filter.deploymentGroupName);
    if (filter.statuses !== undefined && filter.statuses.length > 0) query = query.where('status', 'in', [...filter.statuses]);
    if (filter.createdAfter !== undefined) query = query.where('create_time', '>=', filter.createdAfter);
    if (filter.createdBefore !== undefined) query = query.where('create_time', '<=', filter.createdBefore);
    if (page.nextToken !== undefined) {
      const [time, id] = decodePageToken(page.nextToken, ['number', 'string']) as [number, string];
      query = query.where((eb) => eb.or([eb('create_time', '<', time), eb.and([eb('create_time', '=', time), eb('id', '<', id)])]));
    }
    const rows = await query.execute();
    const items = rows.slice(0, limit);
    const last = items.at(-1);
    return { items: items.map((r) => r.id), nextToken: rows.length > limit && last !== undefined ? encodePageToken([Number(last.create_time), last.id]) : undefined };
  }

  async active(): Promise<StoredDeployment[]> {
    const rows = await this.#db.selectFrom('deployments').select(['id', 'json', 'revision']).where('status', 'in', ACTIVE).orderBy('create_time').orderBy('id').execute();
    return rows.map((r) => ({ deployment: parseDeployment(r.json, r.id), revision: Number(r.revision) }));
  }

  async withPendingEffects(): Promise<StoredDeployment[]> {
    const rows = await this.#db.selectFrom('deployments').select(['id', 'json', 'revision']).where('effects_pending', '=', 1).orderBy('create_time').orderBy('id').execute();
    return rows.map((r) => ({ deployment: parseDeployment(r.json, r.id), revision: Number(r.revision) }));
  }
}

/** The indexed marker of `pendingEffects`, so the sweep finds them without reading every deployment. */
function effectsPending(deployment: Deployment): number {
  return deployment.pendingEffects === undefined ? 0 : 1;
}

export class KyselyDeploymentConfigsRepo implements DeploymentConfigsRepo {
  readonly #db: Kysely<Tables>;

  constructor(db: Kysely<Database>) {
    this.#db = db.withTables<DeploymentTables>();
  }

  async create(config: DeploymentConfig): Promise<void> {
    await conflictAs(this.#db.insertInto('deployment_configs').values({ name: config.deploymentConfigName, json: JSON.stringify(config) }).execute(), `deployment config ${config.deploymentConfigName}`);
  }

  async get(name: string): Promise<DeploymentConfig | undefined> {
    const row = await this.#db.selectFrom('deployment_configs').select('json').where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : parseDeploymentConfig(row.json, name);
  }

  async list(): Promise<DeploymentConfig[]> {
    const rows = await this.#db.selectFrom('deployment_configs').select(['name', 'json']).orderBy('name').execute();
    return rows.map((r) => parseDeploymentConfig(r.json, r.name));
  }

  async delete(name: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('deployment_configs').where('name', '=', name).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}
