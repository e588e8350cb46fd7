/**
 * The CodeDeploy JSON the store keeps, parsed on read with zod into the core types instead of
 * cast. A row that does not parse is refused with STORE_RECORD_INVALID naming it.
 */
import { z } from 'zod';
import type { DeploymentConfig } from '../core/deployment-rollout-health.js';
import type { Application, Deployment, DeploymentGroup, OnPremisesInstance, RegisteredRevision } from '../core/deployment.js';
import { NagareError } from '../core/errors.js';

const text = z.string();
const time = z.number();
const tagFilter = z.object({ Key: text.optional(), Value: text.optional(), Type: z.enum(['KEY_ONLY', 'VALUE_ONLY', 'KEY_AND_VALUE']) });
const autoRollback = z.object({ enabled: z.boolean(), events: z.array(z.enum(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'])) });
export const revisionLocationSchema = z.discriminatedUnion('revisionType', [
  z.object({ revisionType: z.literal('S3'), s3Location: z.object({ bucket: text, key: text, bundleType: z.enum(['zip', 'tar', 'tgz']), version: text.optional(), eTag: text.optional() }) }),
  z.object({ revisionType: z.literal('GitHub'), gitHubLocation: z.object({ repository: text, commitId: text }) }),
]);
const summary = z.object({ deploymentId: text, status: text, endTime: time.optional(), createTime: time });

const application = z.object({ applicationId: text, applicationName: text, computePlatform: z.literal('Server'), createTime: time });

const group = z.object({
  applicationName: text,
  deploymentGroupId: text,
  deploymentGroupName: text,
  deploymentConfigName: text,
  serviceRoleArn: text.optional(),
  ec2TagFilters: z.array(tagFilter),
  onPremisesInstanceTagFilters: z.array(tagFilter),
  ec2TagSet: z.array(z.array(tagFilter)).optional(),
  onPremisesTagSet: z.array(z.array(tagFilter)).optional(),
  autoRollbackConfiguration: autoRollback,
  outdatedInstancesStrategy: z.enum(['UPDATE', 'IGNORE']),
  targetRevision: revisionLocationSchema.optional(),
  lastSuccessfulDeployment: summary.optional(),
  lastAttemptedDeployment: summary.optional(),
});

const revision = z.object({
  applicationName: text,
  revision: revisionLocationSchema,
  description: text.optional(),
  registerTime: time,
  firstUsedTime: time.optional(),
  lastUsedTime: time.optional(),
  deploymentGroups: z.array(text),
});

const config = z.object({
  deploymentConfigName: text,
  deploymentConfigId: text,
  minimumHealthyHosts: z.union([z.object({ type: z.enum(['HOST_COUNT', 'FLEET_PERCENT']), value: z.number() }), z.object({ type: z.literal('MOST_CONCURRENCY'), value: z.literal(1) })]),
  computePlatform: z.literal('Server'),
  createTime: time,
  builtIn: z.boolean(),
});

const lifecycleStatus = z.enum(['Pending', 'InProgress', 'Succeeded', 'Failed', 'Skipped', 'Unknown']);
const lifecycleEvent = z.object({
  lifecycleEventName: text,
  status: lifecycleStatus,
  startTime: time.optional(),
  endTime: time.optional(),
  diagnostics: z.object({ errorCode: text, scriptName: text, message: text, logTail: text }).optional(),
});
const rollout = z.object({
  deploymentId: text,
  status: z.enum(['Created', 'Queued', 'InProgress', 'Succeeded', 'Failed', 'Stopped']),
  pace: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('ONE_AT_A_TIME') }),
    z.object({ kind: z.literal('MINIMUM_HEALTHY'), minimumHealthyHosts: z.object({ type: z.enum(['HOST_COUNT', 'FLEET_PERCENT']), value: z.number() }) }),
  ]),
  minimumHealthy: z.number(),
  instances: z.array(
    z.object({
      instanceName: text,
      status: lifecycleStatus,
      lifecycleEvents: z.array(lifecycleEvent),
      startTime: time.optional(),
      endTime: time.optional(),
      deadline: time.optional(),
      failure: z.object({ code: z.enum(['AGENT_ISSUE', 'TIMEOUT', 'MANUAL_STOP']), message: text }).optional(),
    }),
  ),
  lifecycleEventNames: z.array(text),
  ignoreApplicationStopFailures: z.boolean(),
  autoRollback,
  isRollback: z.boolean(),
  instanceTimeoutMs: z.number(),
  createTime: time,
  startTime: time.optional(),
  completeTime: time.optional(),
  errorInformation: z.object({ code: z.enum(['HEALTH_CONSTRAINTS', 'HEALTH_CONSTRAINTS_INVALID', 'NO_INSTANCES', 'MANUAL_STOP', 'REVISION_MISSING', 'INTERNAL_ERROR']), message: text }).optional(),
});

const effect = z.discriminatedUnion('type', [
  z.object({ type: z.literal('RUN_INSTANCE'), instanceName: text, lifecycleEvents: z.array(text) }),
  z.object({ type: z.literal('CANCEL_INSTANCE'), instanceName: text }),
  z.object({ type: z.literal('DEPLOYMENT_ENDED'), status: z.enum(['Succeeded', 'Failed', 'Stopped']) }),
  z.object({ type: z.literal('RECORD_INSTANCE_HEALTH'), instances: z.array(z.object({ instanceName: text, succeeded: z.boolean() })) }),
  z.object({ type: z.literal('ROLLBACK'), reason: z.enum(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST']) }),
]);

const deployment = z.object({
  deploymentId: text,
  applicationName: text,
  deploymentGroupName: text,
  deploymentGroupId: text,
  deploymentConfigName: text,
  revision: revisionLocationSchema,
  creator: z.enum(['user', 'codeDeployRollback', 'CodeDeploy']),
  description: text.optional(),
  fileExistsBehavior: z.enum(['DISALLOW', 'OVERWRITE', 'RETAIN']),
  ignoreApplicationStopFailures: z.boolean(),
  autoRollbackConfiguration: autoRollback,
  rollbackInfo: z.object({ rollbackDeploymentId: text.optional(), rollbackTriggeringDeploymentId: text.optional(), rollbackMessage: text.optional() }).optional(),
  requestedBy: text.optional(),
  traceParent: text.optional(),
  parentSpanId: text.optional(),
  bundle: z.object({ blobKey: text, bundleType: z.enum(['zip', 'tar', 'tgz']) }).optional(),
  rollout,
  pendingEffects: z.array(effect).optional(),
});

const instance = z.object({
  instanceName: text,
  instanceArn: text,
  iamSessionArn: text.optional(),
  iamUserArn: text.optional(),
  registerTime: time,
  deregisterTime: time.optional(),
  tags: z.array(z.object({ Key: text, Value: text.optional() })),
  agentId: text.optional(),
  lastDeployments: z.record(text, z.object({ deploymentId: text, revisionKey: text, succeeded: z.boolean() })),
});

function parser<T>(schema: z.ZodType<T>, what: string): (json: string, name: string) => T {
  return (json, name) => {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      value = undefined;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new NagareError('STORE_RECORD_INVALID', `the stored ${what} ${name} cannot be read (${parsed.error.issues[0]?.message ?? 'not JSON'}); it was written by another version of nagare or changed by hand`, { details: { [what]: name } });
    return parsed.data;
  };
}

export const parseApplication: (json: string, name: string) => Application = parser(application, 'application');
export const parseDeploymentGroup: (json: string, name: string) => DeploymentGroup = parser(group, 'deploymentGroup');
export const parseRevision: (json: string, name: string) => RegisteredRevision = parser(revision, 'revision');
export const parseDeploymentConfig: (json: string, name: string) => DeploymentConfig = parser(config, 'deploymentConfig');
export const parseDeployment: (json: string, name: string) => Deployment = parser(deployment, 'deployment');
export const parseInstance: (json: string, name: string) => OnPremisesInstance = parser(instance, 'instance');
