/** The tables of migration 0010 (and 0014's column) as Kysely sees them (JSON as text, times as bigint milliseconds). */
export type DeploymentTables = {
  deploy_applications: { name: string; json: string; created: number };
  deployment_groups: { application_name: string; name: string; json: string };
  deploy_revisions: { application_name: string; revision_key: string; register_time: number; json: string };
  deployment_configs: { name: string; json: string };
  deployments: { id: string; application_name: string; deployment_group_name: string; status: string; create_time: number; json: string; revision: number; effects_pending: number };
  deploy_instances: { name: string; deregistered: number; json: string };
};
