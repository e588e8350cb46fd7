/**
 * Issue 10, CodeDeploy: applications, deployment groups, registered revisions, custom deployment
 * configurations, deployments and on-premises instances. Each row holds its object as JSON (parsed
 * with zod on read, deployment-json.ts) beside the columns that queries filter on. A deployment's
 * instances (targets) with their lifecycle events are part of its rollout, saved with it under an
 * optimistic revision, so that what the machine decided and what is stored never disagree.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('deploy_applications')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('json', 'text', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('deployment_groups')
    .addColumn('application_name', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('json', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('deployment_groups_pk', ['application_name', 'name'])
    .execute();
  await db.schema
    .createTable('deploy_revisions')
    .addColumn('application_name', 'text', (c) => c.notNull())
    .addColumn('revision_key', 'text', (c) => c.notNull())
    .addColumn('register_time', 'bigint', (c) => c.notNull())
    .addColumn('json', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('deploy_revisions_pk', ['application_name', 'revision_key'])
    .execute();
  await db.schema
    .createTable('deployment_configs')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('json', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('deployments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('application_name', 'text', (c) => c.notNull())
    .addColumn('deployment_group_name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('create_time', 'bigint', (c) => c.notNull())
    .addColumn('json', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('deployments_by_group').on('deployments').columns(['application_name', 'deployment_group_name', 'create_time']).execute();
  await db.schema.createIndex('deployments_by_status').on('deployments').columns(['status']).execute();
  await db.schema
    .createTable('deploy_instances')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('deregistered', 'integer', (c) => c.notNull())
    .addColumn('json', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['deploy_instances', 'deployments', 'deployment_configs', 'deploy_revisions', 'deployment_groups', 'deploy_applications']) {
    await db.schema.dropTable(table).execute();
  }
}
