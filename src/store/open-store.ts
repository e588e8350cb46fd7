/**
 * Opens the store: SQLite (a file; the default in the data directory) or PostgreSQL, chosen by
 * the URL (forms in database-url.ts), and brings the schema up to date before returning. Several
 * servers may open the same PostgreSQL database at once: Kysely's migrator takes an advisory lock.
 */
import { Migrator } from 'kysely';
import { NagareError } from '../core/errors.js';
import type { Store } from '../core/store.js';
import type { Backend } from './backend.js';
import { parseDatabaseUrl } from './database-url.js';
import { KyselyAgentsRepo } from './kysely-agents-repo.js';
import { KyselyFleetsRepo } from './kysely-fleets-repo.js';
import { KyselyBuildsRepo } from './kysely-builds-repo.js';
import { KyselyCredentialsRepo } from './kysely-credentials-repo.js';
import { KyselyJobQueue } from './kysely-job-queue.js';
import { KyselyParametersRepo } from './kysely-parameters-repo.js';
import { KyselyProjectsRepo } from './kysely-projects-repo.js';
import { KyselyBuildBatchesRepo } from './kysely-build-batches-repo.js';
import { KyselyComponentsRepo } from './kysely-components-repo.js';
import { KyselyCursorsRepo } from './kysely-cursors-repo.js';
import { KyselyEventRulesRepo } from './kysely-event-rules-repo.js';
import { KyselyEventsRepo } from './kysely-events-repo.js';
import { KyselyNotificationRulesRepo } from './kysely-notification-rules-repo.js';
import { KyselyWebhookDeliveriesRepo } from './kysely-webhook-deliveries-repo.js';
import { KyselyPipelinesRepo } from './kysely-pipelines-repo.js';
import { KyselyRepositoriesRepo } from './kysely-repositories-repo.js';
import { KyselyDeployApplicationsRepo, KyselyDeploymentGroupsRepo } from './kysely-deploy-applications-repo.js';
import { KyselyDeployRevisionsRepo } from './kysely-deploy-revisions-repo.js';
import { KyselyDeploymentConfigsRepo, KyselyDeploymentsRepo } from './kysely-deployments-repo.js';
import { KyselyInstancesRepo } from './kysely-instances-repo.js';
import { migrationProvider } from './migrations/index.js';
import { openPostgres } from './postgres-database.js';
import { openSqlite } from './sqlite-database.js';

export interface StoreOptions {
  /** `sqlite:///abs/path/nagare.db`, a plain file path, or `postgres://…`. */
  readonly url: string;
}

/**
 * Rejects with STORE_UNAVAILABLE when the database cannot be opened or reached, and with
 * STORE_MIGRATION_FAILED (naming the migration) when the schema cannot be brought up to date.
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  const location = parseDatabaseUrl(options.url);
  const backend = location.dialect === 'sqlite' ? openSqlite(location.path) : openPostgres(location.url);
  try {
    await migrate(backend);
  } catch (error) {
    await backend.db.destroy().catch(() => undefined);
    throw error;
  }
  const { db } = backend;
  return {
    dialect: backend.dialect,
    components: new KyselyComponentsRepo(db, backend.dialect, backend.target),
    projects: new KyselyProjectsRepo(db),
    builds: new KyselyBuildsRepo(db),
    buildBatches: new KyselyBuildBatchesRepo(db),
    jobs: new KyselyJobQueue(db, backend.claimJob),
    agents: new KyselyAgentsRepo(db),
    fleets: new KyselyFleetsRepo(db),
    credentials: new KyselyCredentialsRepo(db),
    parameters: new KyselyParametersRepo(db),
    repositories: new KyselyRepositoriesRepo(db),
    pipelines: new KyselyPipelinesRepo(db),
    cursors: new KyselyCursorsRepo(db),
    webhookDeliveries: new KyselyWebhookDeliveriesRepo(db),
    deployApplications: new KyselyDeployApplicationsRepo(db),
    deploymentGroups: new KyselyDeploymentGroupsRepo(db),
    deployRevisions: new KyselyDeployRevisionsRepo(db),
    deploymentConfigs: new KyselyDeploymentConfigsRepo(db),
    deployments: new KyselyDeploymentsRepo(db),
    instances: new KyselyInstancesRepo(db),
    events: new KyselyEventsRepo(db),
    notificationRules: new KyselyNotificationRulesRepo(db),
    eventRules: new KyselyEventRulesRepo(db),
    close: () => db.destroy(),
  };
}

async function migrate(backend: Backend): Promise<void> {
  const migrationTableSchema = await backend.migrationTableSchema();
  const migrator = new Migrator({ db: backend.db, provider: migrationProvider, ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }) });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error === undefined) return;
  if (error instanceof NagareError && error.code === 'STORE_UNAVAILABLE') throw error;
  const failed = results.find((result) => result.status === 'Error')?.migrationName;
  const reason = error instanceof Error ? error.message : JSON.stringify(error);
  const message = failed === undefined
    ? `cannot bring the ${backend.dialect} database ${backend.target} up to date (${reason}); check the database URL, and that no newer nagare has migrated this database`
    : `migration ${failed} failed on the ${backend.dialect} database ${backend.target} (${reason}); fix the cause and start nagare again`;
  throw new NagareError('STORE_MIGRATION_FAILED', message, { cause: error, details: { database: backend.target, ...(failed === undefined ? {} : { migration: failed }) } });
}
