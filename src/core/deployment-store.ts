/**
 * The store's repositories of CodeDeploy objects (migration 0010). Same contract as store.ts:
 * durable on resolve, STORE_CONFLICT for a taken name, STORE_NOT_FOUND only where stated.
 */
import type { TracedEvent } from './aws-event.js';
import type { DeploymentConfig } from './deployment-rollout-health.js';
import type { Application, Deployment, DeploymentGroup, OnPremisesInstance, RegisteredRevision, RevisionLocation } from './deployment.js';
import type { Page, PageRequest } from './store.js';

export interface DeployApplicationsRepo {
  create(application: Application): Promise<void>;
  get(name: string): Promise<Application | undefined>;
  /** Sorted by name. */
  list(page: PageRequest): Promise<Page<string>>;
  /** Deletes the application with its deployment groups and revisions; true when it existed. */
  delete(name: string): Promise<boolean>;
}

export interface DeploymentGroupsRepo {
  /** STORE_CONFLICT when the application already has a group of that name. */
  create(group: DeploymentGroup): Promise<void>;
  /** Replaces the group stored as `currentName` (a rename when the names differ); STORE_NOT_FOUND when absent. */
  update(currentName: string, group: DeploymentGroup): Promise<void>;
  get(applicationName: string, name: string): Promise<DeploymentGroup | undefined>;
  /** Sorted by name. */
  list(applicationName: string, page: PageRequest): Promise<Page<string>>;
  delete(applicationName: string, name: string): Promise<boolean>;
}

export interface DeployRevisionsRepo {
  /** Registers the revision, or updates its description when it is already registered. */
  register(revision: RegisteredRevision): Promise<void>;
  get(applicationName: string, revision: RevisionLocation): Promise<RegisteredRevision | undefined>;
  /** Newest registration first. */
  list(applicationName: string, page: PageRequest): Promise<Page<RegisteredRevision>>;
  /** Records that a deployment to `groupName` used it (first/last used times, the groups); registers it when absent. */
  markUsed(applicationName: string, revision: RevisionLocation, groupName: string, at: number): Promise<void>;
}

export interface DeploymentConfigsRepo {
  /** Custom configurations only (the built-ins are not stored). */
  create(config: DeploymentConfig): Promise<void>;
  get(name: string): Promise<DeploymentConfig | undefined>;
  list(): Promise<DeploymentConfig[]>;
  delete(name: string): Promise<boolean>;
}

export interface StoredDeployment {
  readonly deployment: Deployment;
  /** Bumped by every save (optimistic concurrency). */
  readonly revision: number;
}

export interface DeploymentFilter {
  readonly applicationName?: string | undefined;
  readonly deploymentGroupName?: string | undefined;
  readonly statuses?: readonly string[] | undefined;
  readonly createdAfter?: number | undefined;
  readonly createdBefore?: number | undefined;
}

export interface DeploymentsRepo {
  insert(deployment: Deployment): Promise<void>;
  get(deploymentId: string): Promise<StoredDeployment | undefined>;
  getMany(deploymentIds: readonly string[]): Promise<Deployment[]>;
  /**
   * Writes the deployment if it is still at `expectedRevision`; false (nothing written) otherwise.
   * `events` (the AWS events of the change) are appended to the event log in the same transaction,
   * so a change and its events are stored together or not at all.
   */
  save(deployment: Deployment, expectedRevision: number, events?: readonly TracedEvent[]): Promise<boolean>;
  /** Ids, newest first. */
  list(filter: DeploymentFilter, page: PageRequest): Promise<Page<string>>;
  /** Deployments not yet Succeeded, Failed or Stopped, oldest first (what a restarted server carries on). */
  active(): Promise<StoredDeployment[]>;
  /** Deployments saved with `pendingEffects` (ending effects not yet carried out), oldest first. */
  withPendingEffects(): Promise<StoredDeployment[]>;
}

export interface InstancesRepo {
  /** STORE_CONFLICT when an instance of that name is registered (not deregistered). */
  register(instance: OnPremisesInstance): Promise<void>;
  get(name: string): Promise<OnPremisesInstance | undefined>;
  getMany(names: readonly string[]): Promise<OnPremisesInstance[]>;
  /** Sorted by name; deregistered ones included only when asked. */
  list(filter: { readonly registrationStatus?: 'Registered' | 'Deregistered' | undefined }): Promise<OnPremisesInstance[]>;
  /** One page of `list`, by name (keyset: a page never repeats or skips an instance); API_INVALID_INPUT for a token it did not issue. */
  listPage(filter: { readonly registrationStatus?: 'Registered' | 'Deregistered' | undefined }, page: PageRequest): Promise<Page<OnPremisesInstance>>;
  /** Replaces the stored instance; STORE_NOT_FOUND when absent. */
  update(instance: OnPremisesInstance): Promise<void>;
}

export interface DeploymentStore {
  readonly deployApplications: DeployApplicationsRepo;
  readonly deploymentGroups: DeploymentGroupsRepo;
  readonly deployRevisions: DeployRevisionsRepo;
  readonly deploymentConfigs: DeploymentConfigsRepo;
  readonly deployments: DeploymentsRepo;
  readonly instances: InstancesRepo;
}
