/**
 * CodeDeploy applications and deployment groups (reference §2.8). A group picks instances by
 * on-premises tag filters, EC2 tag filters (read the same way: nagare's instances are all
 * on-premises) or tag sets of up to three groups; BLUE_GREEN deployments, load balancers,
 * alarms, Auto Scaling groups and SNS triggers are refused with UNSUPPORTED_FEATURE naming the key.
 */
import type { Application, AutoRollbackConfiguration, DeploymentGroup, TagFilter } from '../../core/deployment.js';
import { DEFAULT_DEPLOYMENT_CONFIG_NAME } from '../../core/deployment-rollout-health.js';
import { NagareError } from '../../core/errors.js';
import type { Page, PageRequest } from '../../core/store.js';
import type { ServerContext } from '../server-context.js';
import { alreadyExists, checkName, conflictAs, deployError, invalid, notFound } from './deploy-errors.js';
import type { DeploymentConfigsService } from './deployment-configs-service.js';

export interface DeploymentGroupInput {
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  readonly deploymentConfigName?: string | undefined;
  readonly serviceRoleArn?: string | undefined;
  readonly ec2TagFilters?: readonly TagFilter[] | undefined;
  readonly onPremisesInstanceTagFilters?: readonly TagFilter[] | undefined;
  readonly ec2TagSet?: { readonly ec2TagSetList?: readonly (readonly TagFilter[])[] | undefined } | undefined;
  readonly onPremisesTagSet?: { readonly onPremisesTagSetList?: readonly (readonly TagFilter[])[] | undefined } | undefined;
  readonly autoRollbackConfiguration?: Partial<AutoRollbackConfiguration> | undefined;
  readonly deploymentStyle?: { readonly deploymentType?: string | undefined; readonly deploymentOption?: string | undefined } | undefined;
  readonly outdatedInstancesStrategy?: 'UPDATE' | 'IGNORE' | undefined;
  /** Keys nagare does not build yet, present in the request (refused when set). */
  readonly unsupported?: readonly string[] | undefined;
}

export class ApplicationsService {
  constructor(
    private readonly context: ServerContext,
    private readonly configs: DeploymentConfigsService,
  ) {}

  async createApplication(applicationName: string, computePlatform = 'Server'): Promise<Application> {
    checkName(applicationName, 'application name', 'InvalidApplicationNameException');
    if (computePlatform !== 'Server') throw deployError('UNSUPPORTED_FEATURE', 'InvalidComputePlatformException', `computePlatform ${computePlatform} is not supported by nagare yet; only Server (EC2/on-premises) deployments are`);
    const application: Application = { applicationId: this.context.newId(), applicationName, computePlatform: 'Server', createTime: this.context.clock() };
    await conflictAs(this.context.store.deployApplications.create(application), () => alreadyExists('ApplicationAlreadyExistsException', `Application ${applicationName} already exists`));
    return application;
  }

  async application(applicationName: string): Promise<Application> {
    const found = await this.context.store.deployApplications.get(applicationName);
    if (!found) throw notFound('ApplicationDoesNotExistException', `No application found for name: ${applicationName}`);
    return found;
  }

  applications(names: readonly string[]): Promise<Application[]> {
    return Promise.all(names.map((name) => this.application(name)));
  }

  listApplications(page: PageRequest): Promise<Page<string>> {
    return this.context.store.deployApplications.list(page);
  }

  async deleteApplication(applicationName: string): Promise<void> {
    // AWS answers a delete of an unknown application with success.
    await this.context.store.deployApplications.delete(applicationName);
  }

  async createGroup(input: DeploymentGroupInput): Promise<DeploymentGroup> {
    await this.application(input.applicationName);
    const group = await this.compile(input, this.context.newId(), undefined);
    await conflictAs(this.context.store.deploymentGroups.create(group), () => alreadyExists('DeploymentGroupAlreadyExistsException', `Deployment group ${group.deploymentGroupName} already exists for application ${group.applicationName}`));
    return group;
  }

  /** UpdateDeploymentGroup: `currentName`, and the fields given replace the stored ones. */
  async updateGroup(currentName: string, input: Partial<DeploymentGroupInput> & { readonly applicationName: string }): Promise<DeploymentGroup> {
    const current = await this.group(input.applicationName, currentName);
    const merged: DeploymentGroupInput = {
      applicationName: input.applicationName,
      deploymentGroupName: input.deploymentGroupName ?? current.deploymentGroupName,
      deploymentConfigName: input.deploymentConfigName ?? current.deploymentConfigName,
      serviceRoleArn: input.serviceRoleArn ?? current.serviceRoleArn,
      ec2TagFilters: input.ec2TagFilters ?? current.ec2TagFilters,
      onPremisesInstanceTagFilters: input.onPremisesInstanceTagFilters ?? current.onPremisesInstanceTagFilters,
      ec2TagSet: input.ec2TagSet ?? (current.ec2TagSet ? { ec2TagSetList: current.ec2TagSet } : undefined),
      onPremisesTagSet: input.onPremisesTagSet ?? (current.onPremisesTagSet ? { onPremisesTagSetList: current.onPremisesTagSet } : undefined),
      autoRollbackConfiguration: input.autoRollbackConfiguration ?? current.autoRollbackConfiguration,
      deploymentStyle: input.deploymentStyle,
      outdatedInstancesStrategy: input.outdatedInstancesStrategy ?? current.outdatedInstancesStrategy,
      unsupported: input.unsupported,
    };
    const group = await this.compile(merged, current.deploymentGroupId, current);
    await conflictAs(this.context.store.deploymentGroups.update(currentName, group), () => alreadyExists('DeploymentGroupAlreadyExistsException', `Deployment group ${group.deploymentGroupName} already exists for application ${group.applicationName}`));
    return group;
  }

  async group(applicationName: string, deploymentGroupName: string): Promise<DeploymentGroup> {
    await this.application(applicationName);
    const found = await this.context.store.deploymentGroups.get(applicationName, deploymentGroupName);
    if (!found) throw notFound('DeploymentGroupDoesNotExistException', `No deployment group found for name: ${deploymentGroupName}`);
    return found;
  }

  async listGroups(applicationName: string, page: PageRequest): Promise<Page<string>> {
    await this.application(applicationName);
    return this.context.store.deploymentGroups.list(applicationName, page);
  }

  async deleteGroup(applicationName: string, deploymentGroupName: string): Promise<void> {
    await this.application(applicationName);
    await this.context.store.deploymentGroups.delete(applicationName, deploymentGroupName);
  }

  /** Saves what a deployment changed on its group (target revision, last deployments). */
  async saveGroup(group: DeploymentGroup): Promise<void> {
    await this.context.store.deploymentGroups.update(group.deploymentGroupName, group).catch((error: unknown) => {
      // The group was deleted meanwhile: nothing to record on it.
      if (error instanceof NagareError && error.code === 'STORE_NOT_FOUND') return;
      throw error;
    });
  }

  private async compile(input: DeploymentGroupInput, id: string, current: DeploymentGroup | undefined): Promise<DeploymentGroup> {
    checkName(input.deploymentGroupName, 'deployment group name', 'InvalidDeploymentGroupNameException');
    const unsupported = input.unsupported?.[0];
    if (unsupported !== undefined) throw deployError('UNSUPPORTED_FEATURE', 'InvalidInputException', `${unsupported} is not supported by nagare yet; remove it from the deployment group`, { key: unsupported });
    const style = input.deploymentStyle;
    if (style?.deploymentType !== undefined && style.deploymentType !== 'IN_PLACE') {
      throw deployError('UNSUPPORTED_FEATURE', 'InvalidDeploymentStyleException', `deploymentStyle.deploymentType ${style.deploymentType} is not supported by nagare yet; only IN_PLACE deployments are`, { key: 'deploymentStyle.deploymentType' });
    }
    if (style?.deploymentOption === 'WITH_TRAFFIC_CONTROL') {
      throw deployError('UNSUPPORTED_FEATURE', 'InvalidDeploymentStyleException', 'deploymentStyle.deploymentOption WITH_TRAFFIC_CONTROL needs a load balancer, which nagare does not support yet', { key: 'deploymentStyle.deploymentOption' });
    }
    const configName = input.deploymentConfigName ?? DEFAULT_DEPLOYMENT_CONFIG_NAME;
    await this.configs.config(configName);
    const ec2TagFilters = checkFilters(input.ec2TagFilters ?? [], 'ec2TagFilters');
    const onPremisesInstanceTagFilters = checkFilters(input.onPremisesInstanceTagFilters ?? [], 'onPremisesInstanceTagFilters');
    const ec2TagSet = checkTagSet(input.ec2TagSet?.ec2TagSetList, 'ec2TagSet');
    const onPremisesTagSet = checkTagSet(input.onPremisesTagSet?.onPremisesTagSetList, 'onPremisesTagSet');
    if (ec2TagFilters.length > 0 && ec2TagSet) throw invalid('InvalidEC2TagCombinationException', 'Use ec2TagFilters or ec2TagSet, not both');
    if (onPremisesInstanceTagFilters.length > 0 && onPremisesTagSet) throw invalid('InvalidOnPremisesTagCombinationException', 'Use onPremisesInstanceTagFilters or onPremisesTagSet, not both');
    const rollback = input.autoRollbackConfiguration;
    const events = rollback?.events ?? [];
    if (events.includes('DEPLOYMENT_STOP_ON_ALARM')) throw deployError('UNSUPPORTED_FEATURE', 'InvalidAutoRollbackConfigException', 'autoRollbackConfiguration.events DEPLOYMENT_STOP_ON_ALARM needs CloudWatch alarms, which nagare does not support yet', { key: 'autoRollbackConfiguration.events' });
    const enabled = rollback?.enabled ?? false;
    if (enabled && events.length === 0) throw invalid('InvalidAutoRollbackConfigException', 'autoRollbackConfiguration is enabled but names no events; name DEPLOYMENT_FAILURE and/or DEPLOYMENT_STOP_ON_REQUEST');
    return {
      applicationName: input.applicationName,
      deploymentGroupId: id,
      deploymentGroupName: input.deploymentGroupName,
      deploymentConfigName: configName,
      serviceRoleArn: input.serviceRoleArn,
      ec2TagFilters,
      onPremisesInstanceTagFilters,
      ec2TagSet,
      onPremisesTagSet,
      autoRollbackConfiguration: { enabled, events: [...new Set(events)] },
      outdatedInstancesStrategy: input.outdatedInstancesStrategy ?? 'UPDATE',
      targetRevision: current?.targetRevision,
      lastSuccessfulDeployment: current?.lastSuccessfulDeployment,
      lastAttemptedDeployment: current?.lastAttemptedDeployment,
    };
  }
}

function checkFilters(filters: readonly TagFilter[], key: string): TagFilter[] {
  for (const filter of filters) {
    if (filter.Type !== 'VALUE_ONLY' && !filter.Key) throw invalid('InvalidTagException', `${key}: a ${filter.Type} filter needs a Key`);
    if (filter.Type === 'KEY_AND_VALUE' && filter.Value === undefined) throw invalid('InvalidTagException', `${key}: a KEY_AND_VALUE filter needs a Value`);
  }
  return filters.map((f) => ({ ...(f.Key !== undefined ? { Key: f.Key } : {}), ...(f.Value !== undefined ? { Value: f.Value } : {}), Type: f.Type }));
}

/** Up to three groups of up to ten filters each (§2.8). */
function checkTagSet(groups: readonly (readonly TagFilter[])[] | undefined, key: string): TagFilter[][] | undefined {
  if (groups === undefined || groups.length === 0) return undefined;
  if (groups.length > 3) throw invalid('TagSetListLimitExceededException', `${key} may hold at most 3 tag groups; it holds ${groups.length}`);
  return groups.map((group, i) => {
    if (group.length === 0 || group.length > 10) throw invalid('InvalidTagException', `${key} group ${i + 1} must hold 1 to 10 tag filters`);
    return checkFilters(group, `${key}[${i}]`);
  });
}
