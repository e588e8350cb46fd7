/** nagare's CodeDeploy objects in the shapes of the CodeDeploy API (times in epoch seconds). */
import type { DeploymentConfig } from '../../core/deployment-rollout-health.js';
import type { RolloutInstance } from '../../core/deployment-rollout.js';
import type { Application, Deployment, DeploymentGroup, DeploymentSummary, OnPremisesInstance, RegisteredRevision, RevisionLocation } from '../../core/deployment.js';
import { deployError } from '../../server/deployments/deploy-errors.js';

type Json = Record<string, unknown>;
const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

export function applicationInfo(app: Application): Json {
  return { applicationId: app.applicationId, applicationName: app.applicationName, createTime: seconds(app.createTime), linkedToGitHub: false, computePlatform: app.computePlatform };
}

const summary = (s: DeploymentSummary | undefined): Json | undefined => (s ? { deploymentId: s.deploymentId, status: s.status, createTime: seconds(s.createTime), endTime: seconds(s.endTime) } : undefined);

export function deploymentGroupInfo(group: DeploymentGroup): Json {
  return {
    applicationName: group.applicationName,
    deploymentGroupId: group.deploymentGroupId,
    deploymentGroupName: group.deploymentGroupName,
    deploymentConfigName: group.deploymentConfigName,
    serviceRoleArn: group.serviceRoleArn,
    ec2TagFilters: group.ec2TagFilters,
    onPremisesInstanceTagFilters: group.onPremisesInstanceTagFilters,
    ...(group.ec2TagSet ? { ec2TagSet: { ec2TagSetList: group.ec2TagSet } } : {}),
    ...(group.onPremisesTagSet ? { onPremisesTagSet: { onPremisesTagSetList: group.onPremisesTagSet } } : {}),
    autoScalingGroups: [],
    triggerConfigurations: [],
    autoRollbackConfiguration: group.autoRollbackConfiguration,
    deploymentStyle: { deploymentType: 'IN_PLACE', deploymentOption: 'WITHOUT_TRAFFIC_CONTROL' },
    outdatedInstancesStrategy: group.outdatedInstancesStrategy,
    targetRevision: group.targetRevision,
    lastSuccessfulDeployment: summary(group.lastSuccessfulDeployment),
    lastAttemptedDeployment: summary(group.lastAttemptedDeployment),
    computePlatform: 'Server',
  };
}

export function deploymentInfo(deployment: Deployment): Json {
  const { rollout } = deployment;
  const count = (status: string) => rollout.instances.filter((i) => i.status === status).length;
  return {
    applicationName: deployment.applicationName,
    deploymentGroupName: deployment.deploymentGroupName,
    deploymentConfigName: deployment.deploymentConfigName,
    deploymentId: deployment.deploymentId,
    revision: deployment.revision,
    status: rollout.status,
    errorInformation: rollout.errorInformation,
    createTime: seconds(rollout.createTime),
    startTime: seconds(rollout.startTime),
    completeTime: seconds(rollout.completeTime),
    deploymentOverview: { Pending: count('Pending'), InProgress: count('InProgress'), Succeeded: count('Succeeded'), Failed: count('Failed'), Skipped: count('Skipped'), Ready: 0 },
    description: deployment.description,
    creator: deployment.creator,
    ignoreApplicationStopFailures: deployment.ignoreApplicationStopFailures,
    autoRollbackConfiguration: deployment.autoRollbackConfiguration,
    updateOutdatedInstancesOnly: false,
    rollbackInfo: deployment.rollbackInfo,
    deploymentStyle: { deploymentType: 'IN_PLACE', deploymentOption: 'WITHOUT_TRAFFIC_CONTROL' },
    instanceTerminationWaitTimeStarted: false,
    fileExistsBehavior: deployment.fileExistsBehavior,
    computePlatform: 'Server',
    deploymentStatusMessages: [],
  };
}

function lifecycleEvents(instance: RolloutInstance): Json[] {
  return instance.lifecycleEvents.map((e) => {
    // A failure the server decided (agent lost, timeout, stop) shows on the event that was running.
    const diagnostics = e.diagnostics ?? (e.status === 'Failed' && instance.failure ? { errorCode: 'UnknownError', scriptName: '', message: `${instance.failure.code}: ${instance.failure.message}`, logTail: '' } : undefined);
    return { lifecycleEventName: e.lifecycleEventName, status: e.status, startTime: seconds(e.startTime), endTime: seconds(e.endTime), diagnostics };
  });
}

function lastUpdated(deployment: Deployment, instance: RolloutInstance): number | undefined {
  return seconds(instance.endTime ?? instance.startTime ?? deployment.rollout.startTime ?? deployment.rollout.createTime);
}

export function instanceSummary(deployment: Deployment, instance: RolloutInstance, arn: string): Json {
  return { deploymentId: deployment.deploymentId, instanceId: arn, status: instance.status, lastUpdatedAt: lastUpdated(deployment, instance), lifecycleEvents: lifecycleEvents(instance) };
}

export function deploymentTarget(deployment: Deployment, instance: RolloutInstance, arn: string): Json {
  return {
    deploymentTargetType: 'InstanceTarget',
    instanceTarget: { deploymentId: deployment.deploymentId, targetId: instance.instanceName, targetArn: arn, status: instance.status, lastUpdatedAt: lastUpdated(deployment, instance), lifecycleEvents: lifecycleEvents(instance) },
  };
}

export function instanceInfo(instance: OnPremisesInstance): Json {
  return {
    instanceName: instance.instanceName,
    iamSessionArn: instance.iamSessionArn,
    iamUserArn: instance.iamUserArn,
    instanceArn: instance.instanceArn,
    registerTime: seconds(instance.registerTime),
    deregisterTime: seconds(instance.deregisterTime),
    tags: instance.tags,
  };
}

export function deploymentConfigInfo(config: DeploymentConfig): Json {
  return { deploymentConfigId: config.deploymentConfigId, deploymentConfigName: config.deploymentConfigName, minimumHealthyHosts: config.minimumHealthyHosts, createTime: seconds(config.createTime), computePlatform: config.computePlatform };
}

export function revisionInfo(revision: RegisteredRevision): Json {
  return {
    revisionLocation: revision.revision,
    genericRevisionInfo: { description: revision.description, deploymentGroups: revision.deploymentGroups, firstUsedTime: seconds(revision.firstUsedTime), lastUsedTime: seconds(revision.lastUsedTime), registerTime: seconds(revision.registerTime) },
  };
}

/** A RevisionLocation as the API gives it, checked: S3 (zip, tar, tgz) and GitHub; String and AppSpecContent are for Lambda and ECS. */
export function toRevision(input: { revisionType: string; s3Location?: { bucket: string; key: string; bundleType?: string | undefined; version?: string | undefined; eTag?: string | undefined } | undefined; gitHubLocation?: { repository: string; commitId: string } | undefined }): RevisionLocation {
  if (input.revisionType === 'S3') {
    const s3 = input.s3Location;
    if (!s3) throw deployError('API_INVALID_INPUT', 'InvalidRevisionException', 'An S3 revision needs s3Location with bucket, key and bundleType');
    const bundleType = s3.bundleType ?? 'zip';
    if (bundleType !== 'zip' && bundleType !== 'tar' && bundleType !== 'tgz') throw deployError('UNSUPPORTED_FEATURE', 'InvalidRevisionException', `s3Location.bundleType ${bundleType} is for Lambda and ECS appspecs, which nagare does not support yet; use zip, tar or tgz`, { key: 's3Location.bundleType' });
    return { revisionType: 'S3', s3Location: { bucket: s3.bucket, key: s3.key, bundleType, version: s3.version, eTag: s3.eTag } };
  }
  if (input.revisionType === 'GitHub') {
    const gitHub = input.gitHubLocation;
    if (!gitHub) throw deployError('API_INVALID_INPUT', 'InvalidRevisionException', 'A GitHub revision needs gitHubLocation with repository and commitId');
    return { revisionType: 'GitHub', gitHubLocation: { repository: gitHub.repository, commitId: gitHub.commitId } };
  }
  throw deployError('UNSUPPORTED_FEATURE', 'InvalidRevisionException', `revisionType ${input.revisionType} is for Lambda and ECS deployments, which nagare does not support yet; use S3 or GitHub`, { key: 'revisionType' });
}
