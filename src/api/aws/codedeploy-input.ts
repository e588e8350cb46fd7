/**
 * The inputs of the CodeDeploy operations, parsed once with zod at the edge. Field names and
 * limits as the CodeDeploy API reference gives them; unknown fields are ignored as AWS does, except
 * the group and deployment features nagare does not build, which are named and refused.
 */
import { z } from 'zod';

const name = z.string().min(1).max(100);
const nextToken = z.string().max(2048).optional();
const tagFilter = z.object({ Key: z.string().max(128).optional(), Value: z.string().max(256).optional(), Type: z.enum(['KEY_ONLY', 'VALUE_ONLY', 'KEY_AND_VALUE']) });
const tag = z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256).optional() });
const tagSet = z.array(z.array(tagFilter)).max(100);
const autoRollback = z.object({ enabled: z.boolean().optional(), events: z.array(z.enum(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'])).optional() });

export const revisionLocation = z.object({
  revisionType: z.enum(['S3', 'GitHub', 'String', 'AppSpecContent']),
  s3Location: z.object({ bucket: z.string().min(1).max(255), key: z.string().min(1).max(1024), bundleType: z.enum(['tar', 'tgz', 'zip', 'YAML', 'JSON']).optional(), version: z.string().max(1024).optional(), eTag: z.string().max(1024).optional() }).optional(),
  gitHubLocation: z.object({ repository: z.string().min(1).max(200), commitId: z.string().min(1).max(64) }).optional(),
  string: z.unknown().optional(),
  appSpecContent: z.unknown().optional(),
});

export const applicationInput = z.object({ applicationName: name });
export const createApplicationInput = z.object({ applicationName: name, computePlatform: z.string().optional(), tags: z.array(z.unknown()).optional() });
export const batchApplicationsInput = z.object({ applicationNames: z.array(name).max(100) });
export const listInput = z.object({ nextToken });

export const registerRevisionInput = z.object({ applicationName: name, description: z.string().max(1000).optional(), revision: revisionLocation });
export const listRevisionsInput = z.object({ applicationName: name, nextToken, sortBy: z.string().optional(), sortOrder: z.string().optional(), s3Bucket: z.string().optional(), s3KeyPrefix: z.string().optional(), deployed: z.string().optional() });
export const getRevisionInput = z.object({ applicationName: name, revision: revisionLocation });

/** Group keys nagare refuses with UNSUPPORTED_FEATURE when they carry anything. */
export const UNSUPPORTED_GROUP_KEYS = ['autoScalingGroups', 'loadBalancerInfo', 'blueGreenDeploymentConfiguration', 'alarmConfiguration', 'triggerConfigurations', 'ecsServices', 'terminationHookEnabled'] as const;

const groupFields = {
  applicationName: name,
  deploymentConfigName: name.optional(),
  serviceRoleArn: z.string().max(2048).optional(),
  ec2TagFilters: z.array(tagFilter).max(100).optional(),
  onPremisesInstanceTagFilters: z.array(tagFilter).max(100).optional(),
  ec2TagSet: z.object({ ec2TagSetList: tagSet.optional() }).optional(),
  onPremisesTagSet: z.object({ onPremisesTagSetList: tagSet.optional() }).optional(),
  autoRollbackConfiguration: autoRollback.optional(),
  deploymentStyle: z.object({ deploymentType: z.string().optional(), deploymentOption: z.string().optional() }).optional(),
  outdatedInstancesStrategy: z.enum(['UPDATE', 'IGNORE']).optional(),
  tags: z.array(z.unknown()).optional(),
  ...Object.fromEntries(UNSUPPORTED_GROUP_KEYS.map((key) => [key, z.unknown().optional()])),
};
export const createGroupInput = z.object({ ...groupFields, deploymentGroupName: name });
export const updateGroupInput = z.object({ ...groupFields, currentDeploymentGroupName: name, newDeploymentGroupName: name.optional() });
export const groupInput = z.object({ applicationName: name, deploymentGroupName: name });
export const listGroupsInput = z.object({ applicationName: name, nextToken });

export const createDeploymentInput = z.object({
  applicationName: name,
  deploymentGroupName: name.optional(),
  revision: revisionLocation.optional(),
  deploymentConfigName: name.optional(),
  description: z.string().max(1000).optional(),
  ignoreApplicationStopFailures: z.boolean().optional(),
  autoRollbackConfiguration: autoRollback.optional(),
  updateOutdatedInstancesOnly: z.boolean().optional(),
  fileExistsBehavior: z.enum(['DISALLOW', 'OVERWRITE', 'RETAIN']).optional(),
  targetInstances: z.unknown().optional(),
  overrideAlarmConfiguration: z.unknown().optional(),
});
export const deploymentIdInput = z.object({ deploymentId: z.string().min(1).max(64) });
export const batchDeploymentsInput = z.object({ deploymentIds: z.array(z.string().min(1).max(64)).max(25) });
export const stopDeploymentInput = z.object({ deploymentId: z.string().min(1).max(64), autoRollbackEnabled: z.boolean().optional() });
export const continueDeploymentInput = z.object({ deploymentId: z.string().max(64).optional(), deploymentWaitType: z.string().optional() });
export const listDeploymentsInput = z.object({
  applicationName: name.optional(),
  deploymentGroupName: name.optional(),
  includeOnlyStatuses: z.array(z.enum(['Created', 'Queued', 'InProgress', 'Baking', 'Succeeded', 'Failed', 'Stopped', 'Ready'])).optional(),
  createTimeRange: z.object({ start: z.number().optional(), end: z.number().optional() }).optional(),
  nextToken,
});
export const listTargetsInput = z.object({ deploymentId: z.string().min(1).max(64), nextToken, targetFilters: z.record(z.string(), z.array(z.string())).optional() });
export const batchTargetsInput = z.object({ deploymentId: z.string().min(1).max(64), targetIds: z.array(z.string().min(1)).max(25) });
export const listInstancesInput = z.object({ deploymentId: z.string().min(1).max(64), nextToken, instanceStatusFilter: z.array(z.string()).optional(), instanceTypeFilter: z.array(z.string()).optional() });
export const batchInstancesInput = z.object({ deploymentId: z.string().min(1).max(64), instanceIds: z.array(z.string().min(1)).max(25) });

export const createConfigInput = z.object({
  deploymentConfigName: name,
  minimumHealthyHosts: z.object({ type: z.string().optional(), value: z.number().optional() }).optional(),
  trafficRoutingConfig: z.unknown().optional(),
  computePlatform: z.string().optional(),
  zonalConfig: z.unknown().optional(),
});
export const configInput = z.object({ deploymentConfigName: name });

export const registerInstanceInput = z.object({ instanceName: name, iamSessionArn: z.string().max(2048).optional(), iamUserArn: z.string().max(2048).optional() });
export const instanceInput = z.object({ instanceName: name });
export const batchInstancesByNameInput = z.object({ instanceNames: z.array(name).max(100) });
export const listOnPremisesInput = z.object({ registrationStatus: z.enum(['Registered', 'Deregistered']).optional(), tagFilters: z.array(tagFilter).max(100).optional(), nextToken });
export const tagsInput = z.object({ tags: z.array(tag).max(10), instanceNames: z.array(name).max(100) });
