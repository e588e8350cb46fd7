/**
 * The migrations, defined in code (no directory scan, so they survive bundling), one per schema
 * change, applied in name order at open. Never edit a released migration: add the next one.
 */
import type { Migration, MigrationProvider } from 'kysely';
import * as createTables from './0001-create-tables.js';
import * as repositories from './0002-repositories.js';
import * as pipelines from './0003-pipelines.js';
import * as externalRepositories from './0004-external-repositories.js';
import * as cursors from './0005-cursors.js';
import * as webhookDeliveries from './0006-webhook-deliveries.js';
import * as pipelineExecutions from './0007-pipeline-executions.js';
import * as jobRouting from './0008-job-routing.js';
import * as components from './0009-components.js';
import * as deployments from './0010-deployments.js';
import * as events from './0011-events.js';
import * as buildBatches from './0012-build-batches.js';
import * as agentImageMap from './0013-agent-image-map.js';
import * as deploymentEffectsPending from './0014-deployment-effects-pending.js';
import * as dashboardLists from './0015-dashboard-lists.js';

const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-create-tables': createTables,
  '0002-repositories': repositories,
  '0003-pipelines': pipelines,
  '0004-external-repositories': externalRepositories,
  '0005-cursors': cursors,
  '0006-webhook-deliveries': webhookDeliveries,
  '0007-pipeline-executions': pipelineExecutions,
  '0008-job-routing': jobRouting,
  '0009-components': components,
  '0010-deployments': deployments,
  '0011-events': events,
  '0012-build-batches': buildBatches,
  '0013-agent-image-map': agentImageMap,
  '0014-deployment-effects-pending': deploymentEffectsPending,
  '0015-dashboard-lists': dashboardLists,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve({ ...MIGRATIONS }),
};
