/**
 * The dashboard's views of CodeDeploy (protocol/native-deployments.ts), made from the stored
 * deployments, groups and instances. Never the bundle's place in the blob store, never a job's
 * payload: what a person reading the page needs, and what the AWS API would show them anyway.
 */
import type { RolloutInstance } from '../core/deployment-rollout.js';
import type { Deployment, DeploymentSummary, OnPremisesInstance, RevisionLocation } from '../core/deployment.js';
import type { AgentView } from '../protocol/native-agents.js';
import { deploymentOfJob, type DeploymentSummaryView, type DeploymentView, type FleetInstanceView, type RevisionView } from '../protocol/native-deployments.js';

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

export function revisionView(revision: RevisionLocation): RevisionView {
  if (revision.revisionType === 'GitHub') {
    const { repository, commitId } = revision.gitHubLocation;
    return { revisionType: 'GitHub', label: `${repository}@${commitId.slice(0, 12)}`, gitHubLocation: { repository, commitId } };
  }
  const s3 = revision.s3Location;
  return { revisionType: 'S3', label: `s3://${s3.bucket}/${s3.key}`, s3Location: ({ bucket: s3.bucket, key: s3.key, bundleType: s3.bundleType, version: s3.version, eTag: s3.eTag }) };
}

export function deploymentSummaryView(deployment: Deployment): DeploymentSummaryView {
  const { rollout } = deployment;
  const count = (status: string): number => rollout.instances.filter((i) => i.status === status).length;
  const rollback = deployment.rollbackInfo;
  return ({
    deploymentId: deployment.deploymentId,
    applicationName: deployment.applicationName,
    deploymentGroupName: deployment.deploymentGroupName,
    deploymentConfigName: deployment.deploymentConfigName,
    status: rollout.status,
    creator: deployment.creator,
    description: deployment.description,
    requestedBy: deployment.requestedBy,
    revision: revisionView(deployment.revision),
    createTime: new Date(rollout.createTime).toISOString(),
    startTime: iso(rollout.startTime),
    completeTime: iso(rollout.completeTime),
    errorInformation: rollout.errorInformation && { code: rollout.errorInformation.code, message: rollout.errorInformation.message },
    overview: { Pending: count('Pending'), InProgress: count('InProgress'), Succeeded: count('Succeeded'), Failed: count('Failed'), Skipped: count('Skipped') },
    rollbackInfo: rollback && ({ rollbackDeploymentId: rollback.rollbackDeploymentId, rollbackTriggeringDeploymentId: rollback.rollbackTriggeringDeploymentId, rollbackMessage: rollback.rollbackMessage }),
  });
}

function instanceView(instance: RolloutInstance): DeploymentView['instances'][number] {
  return ({
    instanceName: instance.instanceName,
    status: instance.status,
    startTime: iso(instance.startTime),
    endTime: iso(instance.endTime),
    failure: instance.failure && { code: instance.failure.code, message: instance.failure.message },
    lifecycleEvents: instance.lifecycleEvents.map((event) => ({
      lifecycleEventName: event.lifecycleEventName,
      status: event.status,
      startTime: iso(event.startTime),
      endTime: iso(event.endTime),
      diagnostics: event.diagnostics && { errorCode: event.diagnostics.errorCode, scriptName: event.diagnostics.scriptName, message: event.diagnostics.message, logTail: event.diagnostics.logTail },
    })),
  });
}

export function deploymentView(deployment: Deployment): DeploymentView {
  return {
    ...deploymentSummaryView(deployment),
    fileExistsBehavior: deployment.fileExistsBehavior,
    ignoreApplicationStopFailures: deployment.ignoreApplicationStopFailures,
    autoRollbackConfiguration: { enabled: deployment.autoRollbackConfiguration.enabled, events: [...deployment.autoRollbackConfiguration.events] },
    instances: deployment.rollout.instances.map(instanceView),
  };
}

export function deploymentBrief(summary: DeploymentSummary | undefined): { deploymentId: string; status: string; createTime: string; endTime?: string } | undefined {
  return summary && ({ deploymentId: summary.deploymentId, status: summary.status, createTime: new Date(summary.createTime).toISOString(), endTime: iso(summary.endTime) });
}

/**
 * One instance in the deployed fleet: the revision its last deployment in the group (`groupId`)
 * put there when that succeeded, and the health and current jobs of the agent serving it.
 */
export function fleetInstanceView(instance: OnPremisesInstance, groupId: string | undefined, deployments: ReadonlyMap<string, Deployment>, agents: ReadonlyMap<string, AgentView>): FleetInstanceView {
  const last = groupId === undefined ? undefined : instance.lastDeployments[groupId];
  const lastRevision = last && deployments.get(last.deploymentId)?.revision;
  const agent = instance.agentId === undefined ? undefined : agents.get(instance.agentId);
  return ({
    instanceName: instance.instanceName,
    tags: Object.fromEntries(instance.tags.map((tag) => [tag.Key, tag.Value ?? ''])),
    lastDeployment: last && ({ deploymentId: last.deploymentId, succeeded: last.succeeded, revision: lastRevision && revisionView(lastRevision) }),
    serves: last?.succeeded && lastRevision ? revisionView(lastRevision) : undefined,
    agent: agent && {
      id: agent.id,
      name: agent.name,
      health: agent.health,
      lastSeenAt: agent.lastSeenAt,
      currentJobs: agent.currentJobs.map((id) => {
        const deploymentId = deploymentOfJob(id);
        return deploymentId === undefined ? { id, buildId: id } : { id, deploymentId };
      }),
    },
  });
}
