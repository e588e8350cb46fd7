/**
 * The CodeDeploy operations nagare serves (`X-Amz-Target: CodeDeploy_20141006.<Operation>`) for
 * EC2/on-premises (Server) deployments: applications, revisions, deployment groups, deployments
 * with their targets and instances, deployment configurations and on-premises instances. Every
 * operation calls the deployments services; shapes in codedeploy-shapes.ts, exceptions in
 * codedeploy-errors.ts.
 */
import type { RolloutInstance } from '../../core/deployment-rollout.js';
import type { Deployment } from '../../core/deployment.js';
import type { Services } from '../../server/services.js';
import type { DeploymentGroupInput } from '../../server/deployments/applications-service.js';
import { deployError } from '../../server/deployments/deploy-errors.js';
import type { AwsOperation } from './codebuild-operations.js';
import * as input from './codedeploy-input.js';
import { applicationInfo, deploymentConfigInfo, deploymentGroupInfo, deploymentInfo, deploymentTarget, instanceInfo, instanceSummary, revisionInfo, toRevision } from './codedeploy-shapes.js';

type Json = Record<string, unknown>;
const PAGE = 100;
const page = (nextToken: string | undefined) => ({ limit: PAGE, nextToken });
const ok = async (work: Promise<unknown>): Promise<Json> => {
  await work;
  return {};
};

function groupInput(body: Record<string, unknown> & { applicationName: string }, deploymentGroupName: string): DeploymentGroupInput {
  const unsupported = input.UNSUPPORTED_GROUP_KEYS.filter((key) => {
    const value = body[key];
    return value !== undefined && value !== false && !(Array.isArray(value) && value.length === 0);
  });
  const parsed = input.createGroupInput.omit({ deploymentGroupName: true }).parse(body);
  return { ...parsed, deploymentGroupName, autoRollbackConfiguration: parsed.autoRollbackConfiguration && { enabled: parsed.autoRollbackConfiguration.enabled ?? false, events: parsed.autoRollbackConfiguration.events ?? [] }, unsupported };
}

function instanceOf(services: Services, deployment: Deployment, name: string): { instance: RolloutInstance; arn: string } {
  const instance = deployment.rollout.instances.find((i) => i.instanceName === name || i.instanceName === name.split('/').at(-1));
  if (!instance) throw deployError('API_NOT_FOUND', 'InstanceDoesNotExistException', `Instance ${name} is not part of deployment ${deployment.deploymentId}`);
  const { region, accountId } = services.context.settings;
  return { instance, arn: `arn:aws:codedeploy:${region}:${accountId}:instance/${instance.instanceName}` };
}

export const CODEDEPLOY_OPERATIONS: Readonly<Record<string, AwsOperation>> = {
  // Applications
  CreateApplication: async (s, body) => {
    const { applicationName, computePlatform } = input.createApplicationInput.parse(body);
    return { applicationId: (await s.deployments.applications.createApplication(applicationName, computePlatform)).applicationId };
  },
  GetApplication: async (s, body) => ({ application: applicationInfo(await s.deployments.applications.application(input.applicationInput.parse(body).applicationName)) }),
  BatchGetApplications: async (s, body) => ({ applicationsInfo: (await s.deployments.applications.applications(input.batchApplicationsInput.parse(body).applicationNames)).map(applicationInfo) }),
  ListApplications: async (s, body) => {
    const result = await s.deployments.applications.listApplications(page(input.listInput.parse(body).nextToken));
    return { applications: result.items, nextToken: result.nextToken };
  },
  DeleteApplication: (s, body) => ok(s.deployments.applications.deleteApplication(input.applicationInput.parse(body).applicationName)),

  // Revisions
  RegisterApplicationRevision: async (s, body) => {
    const { applicationName, revision, description } = input.registerRevisionInput.parse(body);
    await s.deployments.applications.application(applicationName);
    return ok(s.deployments.revisions.register(applicationName, toRevision(revision), description));
  },
  GetApplicationRevision: async (s, body) => {
    const { applicationName, revision } = input.getRevisionInput.parse(body);
    await s.deployments.applications.application(applicationName);
    const found = await s.deployments.revisions.get(applicationName, toRevision(revision));
    return { applicationName, revision: found.revision, revisionInfo: revisionInfo(found).genericRevisionInfo };
  },
  ListApplicationRevisions: async (s, body) => {
    const { applicationName, nextToken } = input.listRevisionsInput.parse(body);
    await s.deployments.applications.application(applicationName);
    const result = await s.deployments.revisions.list(applicationName, page(nextToken));
    return { revisions: result.items.map((r) => r.revision), nextToken: result.nextToken };
  },

  // Deployment groups
  CreateDeploymentGroup: async (s, body) => {
    const parsed = input.createGroupInput.parse(body);
    return { deploymentGroupId: (await s.deployments.applications.createGroup(groupInput(parsed, parsed.deploymentGroupName))).deploymentGroupId };
  },
  UpdateDeploymentGroup: async (s, body) => {
    const parsed = input.updateGroupInput.parse(body);
    const given = groupInput(parsed, parsed.newDeploymentGroupName ?? parsed.currentDeploymentGroupName);
    await s.deployments.applications.updateGroup(parsed.currentDeploymentGroupName, {
      ...Object.fromEntries(Object.entries(given).filter(([key, value]) => value !== undefined && (key in parsed || key === 'deploymentGroupName' || key === 'unsupported'))),
      applicationName: parsed.applicationName,
    });
    return { hooksNotCleanedUp: [] };
  },
  GetDeploymentGroup: async (s, body) => {
    const { applicationName, deploymentGroupName } = input.groupInput.parse(body);
    return { deploymentGroupInfo: deploymentGroupInfo(await s.deployments.applications.group(applicationName, deploymentGroupName)) };
  },
  ListDeploymentGroups: async (s, body) => {
    const { applicationName, nextToken } = input.listGroupsInput.parse(body);
    const result = await s.deployments.applications.listGroups(applicationName, page(nextToken));
    return { applicationName, deploymentGroups: result.items, nextToken: result.nextToken };
  },
  DeleteDeploymentGroup: async (s, body) => {
    const { applicationName, deploymentGroupName } = input.groupInput.parse(body);
    await s.deployments.applications.deleteGroup(applicationName, deploymentGroupName);
    return { hooksNotCleanedUp: [] };
  },

  // Deployments
  CreateDeployment: async (s, body) => {
    const parsed = input.createDeploymentInput.parse(body);
    if (parsed.deploymentGroupName === undefined) throw deployError('API_INVALID_INPUT', 'DeploymentGroupNameRequiredException', 'deploymentGroupName is required');
    if (parsed.targetInstances !== undefined) throw deployError('UNSUPPORTED_FEATURE', 'InvalidTargetInstancesException', 'targetInstances is for blue/green deployments, which nagare does not support yet', { key: 'targetInstances' });
    if (parsed.updateOutdatedInstancesOnly === true) throw deployError('UNSUPPORTED_FEATURE', 'InvalidUpdateOutdatedInstancesOnlyValueException', 'updateOutdatedInstancesOnly is not supported by nagare yet', { key: 'updateOutdatedInstancesOnly' });
    if (parsed.autoRollbackConfiguration?.events?.includes('DEPLOYMENT_STOP_ON_ALARM')) throw deployError('UNSUPPORTED_FEATURE', 'InvalidAutoRollbackConfigException', 'DEPLOYMENT_STOP_ON_ALARM needs CloudWatch alarms, which nagare does not support yet', { key: 'autoRollbackConfiguration.events' });
    const rollback = parsed.autoRollbackConfiguration;
    const events = (rollback?.events ?? []).filter((e): e is 'DEPLOYMENT_FAILURE' | 'DEPLOYMENT_STOP_ON_REQUEST' => e !== 'DEPLOYMENT_STOP_ON_ALARM');
    const deployment = await s.deployments.create({
      applicationName: parsed.applicationName,
      deploymentGroupName: parsed.deploymentGroupName,
      revision: parsed.revision && toRevision(parsed.revision),
      deploymentConfigName: parsed.deploymentConfigName,
      description: parsed.description,
      ignoreApplicationStopFailures: parsed.ignoreApplicationStopFailures,
      fileExistsBehavior: parsed.fileExistsBehavior,
      autoRollbackConfiguration: rollback && { enabled: rollback.enabled ?? false, events },
    });
    return { deploymentId: deployment.deploymentId };
  },
  GetDeployment: async (s, body) => ({ deploymentInfo: deploymentInfo(await s.deployments.get(input.deploymentIdInput.parse(body).deploymentId)) }),
  BatchGetDeployments: async (s, body) => ({ deploymentsInfo: (await s.deployments.getMany(input.batchDeploymentsInput.parse(body).deploymentIds)).map(deploymentInfo) }),
  ListDeployments: async (s, body) => {
    const parsed = input.listDeploymentsInput.parse(body);
    if (parsed.deploymentGroupName !== undefined && parsed.applicationName === undefined) throw deployError('API_INVALID_INPUT', 'ApplicationNameRequiredException', 'Give applicationName with deploymentGroupName');
    const range = parsed.createTimeRange;
    const result = await s.deployments.list(
      { applicationName: parsed.applicationName, deploymentGroupName: parsed.deploymentGroupName, statuses: parsed.includeOnlyStatuses, createdAfter: range?.start && range.start * 1000, createdBefore: range?.end && range.end * 1000 },
      page(parsed.nextToken),
    );
    return { deployments: result.items, nextToken: result.nextToken };
  },
  StopDeployment: async (s, body) => {
    const { deploymentId, autoRollbackEnabled } = input.stopDeploymentInput.parse(body);
    return s.deployments.stop(deploymentId, autoRollbackEnabled);
  },
  ContinueDeployment: (_s, body) => {
    input.continueDeploymentInput.parse(body);
    throw deployError('API_INVALID_INPUT', 'UnsupportedActionForDeploymentTypeException', 'ContinueDeployment applies to blue/green deployments waiting for traffic to be rerouted; in-place deployments have nothing to continue');
  },
  ListDeploymentTargets: async (s, body) => {
    const { deploymentId, targetFilters } = input.listTargetsInput.parse(body);
    const deployment = await s.deployments.get(deploymentId);
    const statuses = targetFilters?.TargetStatus;
    return { targetIds: deployment.rollout.instances.filter((i) => !statuses || statuses.includes(i.status)).map((i) => i.instanceName) };
  },
  BatchGetDeploymentTargets: async (s, body) => {
    const { deploymentId, targetIds } = input.batchTargetsInput.parse(body);
    const deployment = await s.deployments.get(deploymentId);
    const found = targetIds.map((id) => instanceOf(s, deployment, id));
    return { deploymentTargets: found.map(({ instance, arn }) => deploymentTarget(deployment, instance, arn)) };
  },
  ListDeploymentInstances: async (s, body) => {
    const { deploymentId, instanceStatusFilter } = input.listInstancesInput.parse(body);
    const deployment = await s.deployments.get(deploymentId);
    return { instancesList: deployment.rollout.instances.filter((i) => !instanceStatusFilter || instanceStatusFilter.includes(i.status)).map((i) => i.instanceName) };
  },
  BatchGetDeploymentInstances: async (s, body) => {
    const { deploymentId, instanceIds } = input.batchInstancesInput.parse(body);
    const deployment = await s.deployments.get(deploymentId);
    const found = instanceIds.map((id) => instanceOf(s, deployment, id));
    return { instancesSummary: found.map(({ instance, arn }) => instanceSummary(deployment, instance, arn)) };
  },

  // Deployment configurations
  CreateDeploymentConfig: async (s, body) => {
    const parsed = input.createConfigInput.parse(body);
    if (parsed.computePlatform !== undefined && parsed.computePlatform !== 'Server') throw deployError('UNSUPPORTED_FEATURE', 'InvalidComputePlatformException', `computePlatform ${parsed.computePlatform} is not supported by nagare yet`, { key: 'computePlatform' });
    const extra = [parsed.trafficRoutingConfig === undefined ? undefined : 'trafficRoutingConfig', parsed.zonalConfig === undefined ? undefined : 'zonalConfig'].filter((k): k is string => k !== undefined);
    return { deploymentConfigId: (await s.deployments.configs.create(parsed.deploymentConfigName, parsed.minimumHealthyHosts, extra)).deploymentConfigId };
  },
  GetDeploymentConfig: async (s, body) => ({ deploymentConfigInfo: deploymentConfigInfo(await s.deployments.configs.config(input.configInput.parse(body).deploymentConfigName)) }),
  ListDeploymentConfigs: async (s, body) => {
    input.listInput.parse(body);
    return { deploymentConfigsList: await s.deployments.configs.list() };
  },
  DeleteDeploymentConfig: (s, body) => ok(s.deployments.configs.delete(input.configInput.parse(body).deploymentConfigName)),

  // On-premises instances
  RegisterOnPremisesInstance: (s, body) => {
    const { instanceName, iamSessionArn, iamUserArn } = input.registerInstanceInput.parse(body);
    return ok(s.deployments.instances.register(instanceName, { iamSessionArn, iamUserArn }));
  },
  DeregisterOnPremisesInstance: (s, body) => ok(s.deployments.instances.deregister(input.instanceInput.parse(body).instanceName)),
  GetOnPremisesInstance: async (s, body) => ({ instanceInfo: instanceInfo(await s.deployments.instances.get(input.instanceInput.parse(body).instanceName)) }),
  BatchGetOnPremisesInstances: async (s, body) => ({ instanceInfos: (await s.deployments.instances.getMany(input.batchInstancesByNameInput.parse(body).instanceNames)).map(instanceInfo) }),
  ListOnPremisesInstances: async (s, body) => {
    const { registrationStatus, tagFilters } = input.listOnPremisesInput.parse(body);
    return { instanceNames: (await s.deployments.instances.list(registrationStatus ?? 'Registered', tagFilters)).map((i) => i.instanceName) };
  },
  AddTagsToOnPremisesInstances: (s, body) => {
    const { tags, instanceNames } = input.tagsInput.parse(body);
    return ok(s.deployments.instances.addTags(tags, instanceNames));
  },
  RemoveTagsFromOnPremisesInstances: (s, body) => {
    const { tags, instanceNames } = input.tagsInput.parse(body);
    return ok(s.deployments.instances.removeTags(tags, instanceNames));
  },
};
