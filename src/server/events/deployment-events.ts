/**
 * CodeDeploy's events (reference §1.5): `CodeDeploy Deployment State-change Notification` and
 * `CodeDeploy Instance State-change Notification`, built from a deployment as stored before and
 * after one change and stored by the same transaction (DeploymentsRepo.save), as builds' are.
 * Deriving them from the two states makes each change one event exactly once, however often the
 * rollout is re-dispatched. `detail` keys are camelCase, as AWS sends them for CodeDeploy.
 *
 * States: START when the deployment (or an instance) begins, SUCCESS / FAILURE when it ends, STOP
 * when the deployment is stopped (an instance it interrupted ends FAILURE, as its status says).
 * READY belongs to blue/green deployments, which nagare does not run.
 */
import { eventTime, type AwsEvent, type TracedEvent } from '../../core/aws-event.js';
import type { Deployment } from '../../core/deployment.js';
import type { DeploymentStatus, InstanceStatus } from '../../core/deployment-rollout-types.js';
import type { EventOrigin } from './aws-events.js';
import { traceIdOf } from './trace.js';

export const DEPLOYMENT_STATE_CHANGE = 'CodeDeploy Deployment State-change Notification';
export const INSTANCE_STATE_CHANGE = 'CodeDeploy Instance State-change Notification';

const DEPLOYMENT_STATES: Partial<Record<DeploymentStatus, string>> = { InProgress: 'START', Succeeded: 'SUCCESS', Failed: 'FAILURE', Stopped: 'STOP' };
const INSTANCE_STATES: Partial<Record<InstanceStatus, string>> = { InProgress: 'START', Succeeded: 'SUCCESS', Failed: 'FAILURE' };

function arns(origin: EventOrigin, deployment: Deployment): { application: string; deploymentGroup: string } {
  const { region, accountId } = origin.settings;
  return {
    application: `arn:aws:codedeploy:${region}:${accountId}:application:${deployment.applicationName}`,
    deploymentGroup: `arn:aws:codedeploy:${region}:${accountId}:deploymentgroup:${deployment.applicationName}/${deployment.deploymentGroupName}`,
  };
}

function envelope(origin: EventOrigin, detailType: string, resources: readonly string[], detail: Record<string, unknown>): AwsEvent {
  const { accountId, region } = origin.settings;
  return { version: '0', id: origin.newId(), 'detail-type': detailType, source: 'aws.codedeploy', account: accountId, time: eventTime(origin.clock()), region, resources, detail };
}

/**
 * The events of one deployment change: instances that ended, then the deployment's own change, then
 * instances that began — what ended is told before what began, as for pipelines.
 */
export function deploymentEvents(origin: EventOrigin, before: Deployment | undefined, after: Deployment): TracedEvent[] {
  const resources = arns(origin, after);
  const base = {
    deploymentId: after.deploymentId,
    instanceGroupId: after.deploymentGroupId,
    deploymentGroup: after.deploymentGroupName,
    application: after.applicationName,
    region: origin.settings.region,
  };
  const previous = new Map((before?.rollout.instances ?? []).map((i) => [i.instanceName, i.status]));
  const ended: AwsEvent[] = [];
  const began: AwsEvent[] = [];
  for (const instance of after.rollout.instances) {
    const state = INSTANCE_STATES[instance.status];
    if (state === undefined || previous.get(instance.instanceName) === instance.status) continue;
    const instanceArn = `arn:aws:codedeploy:${origin.settings.region}:${origin.settings.accountId}:instance/${instance.instanceName}`;
    const event = envelope(origin, INSTANCE_STATE_CHANGE, [instanceArn, resources.deploymentGroup, resources.application], { ...base, instanceId: instance.instanceName, state });
    (state === 'START' ? began : ended).push(event);
  }
  const state = DEPLOYMENT_STATES[after.rollout.status];
  const changed = state !== undefined && before?.rollout.status !== after.rollout.status;
  const own = changed ? [envelope(origin, DEPLOYMENT_STATE_CHANGE, [resources.application, resources.deploymentGroup], { ...base, state })] : [];
  // A deployment starts before its instances and ends after them.
  const ordered = [...ended, ...own, ...began];
  const traceId = traceIdOf(after.traceParent);
  return ordered.map((event) => ({ ...event, traceId }));
}
