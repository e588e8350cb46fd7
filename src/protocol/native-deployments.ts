/**
 * The dashboard's read-only views of CodeDeploy in the native API (`GET /api/v1/deploy/…`): a page
 * of deployments, one deployment with its instances' lifecycle events, and the deployed fleet
 * (application → deployment group → instances → the revision each serves, with its agent's
 * health). Times are ISO strings, as in the rest of the native API. Nothing here is secret: no
 * bundle location inside the server, no environment, no token.
 */
import { z } from 'zod';

const iso = z.string();

/** A revision as the dashboard shows it: the AWS location and a one-line label. */
export const revisionView = z.object({
  revisionType: z.enum(['S3', 'GitHub']),
  /** `s3://bucket/key` or `repository@commit` (first 12 characters of the commit). */
  label: z.string(),
  s3Location: z.object({ bucket: z.string(), key: z.string(), bundleType: z.string(), version: z.string().optional(), eTag: z.string().optional() }).optional(),
  gitHubLocation: z.object({ repository: z.string(), commitId: z.string() }).optional(),
});
export type RevisionView = z.output<typeof revisionView>;

export const lifecycleEventView = z.object({
  lifecycleEventName: z.string(),
  status: z.string(),
  startTime: iso.optional(),
  endTime: iso.optional(),
  /** The agent's diagnostics on a failed event: its code, the script, a message and the end of scripts.log. */
  diagnostics: z.object({ errorCode: z.string(), scriptName: z.string(), message: z.string(), logTail: z.string() }).optional(),
});
export type LifecycleEventView = z.output<typeof lifecycleEventView>;

export const deploymentInstanceView = z.object({
  instanceName: z.string(),
  status: z.string(),
  startTime: iso.optional(),
  endTime: iso.optional(),
  /** Why the server failed it when no lifecycle event says so (AGENT_ISSUE, TIMEOUT, MANUAL_STOP). */
  failure: z.object({ code: z.string(), message: z.string() }).optional(),
  lifecycleEvents: z.array(lifecycleEventView),
});
export type DeploymentInstanceView = z.output<typeof deploymentInstanceView>;

export const rollbackInfoView = z.object({
  /** The deployment that rolled this one back. */
  rollbackDeploymentId: z.string().optional(),
  /** The deployment this one rolls back. */
  rollbackTriggeringDeploymentId: z.string().optional(),
  rollbackMessage: z.string().optional(),
});

export const deploymentSummaryView = z.object({
  deploymentId: z.string(),
  applicationName: z.string(),
  deploymentGroupName: z.string(),
  deploymentConfigName: z.string(),
  status: z.string(),
  creator: z.string(),
  description: z.string().optional(),
  /** `codepipeline/<pipeline>` when a pipeline's CodeDeploy action asked for it. */
  requestedBy: z.string().optional(),
  revision: revisionView,
  createTime: iso,
  startTime: iso.optional(),
  completeTime: iso.optional(),
  errorInformation: z.object({ code: z.string(), message: z.string() }).optional(),
  overview: z.object({ Pending: z.number(), InProgress: z.number(), Succeeded: z.number(), Failed: z.number(), Skipped: z.number() }),
  rollbackInfo: rollbackInfoView.optional(),
});
export type DeploymentSummaryView = z.output<typeof deploymentSummaryView>;

export const deploymentView = deploymentSummaryView.extend({
  fileExistsBehavior: z.string(),
  ignoreApplicationStopFailures: z.boolean(),
  autoRollbackConfiguration: z.object({ enabled: z.boolean(), events: z.array(z.string()) }),
  instances: z.array(deploymentInstanceView),
});
export type DeploymentView = z.output<typeof deploymentView>;

export const listDeploymentsAnswer = z.object({ deployments: z.array(deploymentSummaryView), nextToken: z.string().optional() });
export type ListDeploymentsAnswer = z.output<typeof listDeploymentsAnswer>;
export const getDeploymentAnswer = z.object({ deployment: deploymentView });
export type GetDeploymentAnswer = z.output<typeof getDeploymentAnswer>;

/** A job an agent holds now: a build's job id is the build id; a deploy job's names its deployment. */
export const agentJobView = z.object({ id: z.string(), buildId: z.string().optional(), deploymentId: z.string().optional() });
export type AgentJobView = z.output<typeof agentJobView>;

export const instanceAgentView = z.object({
  id: z.string(),
  name: z.string(),
  health: z.enum(['CONNECTED', 'LOST']),
  lastSeenAt: iso,
  currentJobs: z.array(agentJobView),
});

export const fleetInstanceView = z.object({
  instanceName: z.string(),
  tags: z.record(z.string(), z.string()),
  /** The last deployment of this group to the instance, and how it ended there. */
  lastDeployment: z.object({ deploymentId: z.string(), succeeded: z.boolean(), revision: revisionView.optional() }).optional(),
  /** The revision it serves: that of its last deployment in the group, when it succeeded. */
  serves: revisionView.optional(),
  /** The agent serving it; absent when no `nagare agent --instance-name` claimed it yet. */
  agent: instanceAgentView.optional(),
});
export type FleetInstanceView = z.output<typeof fleetInstanceView>;

const deploymentBrief = z.object({ deploymentId: z.string(), status: z.string(), createTime: iso, endTime: iso.optional() });

export const fleetGroupView = z.object({
  deploymentGroupName: z.string(),
  deploymentConfigName: z.string(),
  targetRevision: revisionView.optional(),
  lastAttemptedDeployment: deploymentBrief.optional(),
  lastSuccessfulDeployment: deploymentBrief.optional(),
  instances: z.array(fleetInstanceView),
});
export type FleetGroupView = z.output<typeof fleetGroupView>;

export const deployedFleetAnswer = z.object({
  applications: z.array(z.object({ applicationName: z.string(), deploymentGroups: z.array(fleetGroupView) })),
  /** Registered instances of the page shown that no deployment group of the applications shown selects. */
  instancesInNoGroup: z.array(fleetInstanceView),
  /** The next page of applications. */
  nextToken: z.string().optional(),
  /** The next page of registered instances (200 a page, by name), under the same applications. */
  instancesNextToken: z.string().optional(),
});
export type DeployedFleetAnswer = z.output<typeof deployedFleetAnswer>;

/** The deployment a deploy job belongs to (its id is `<deploymentId>.<instanceName>`), or undefined for a build's job. */
export function deploymentOfJob(jobId: string): string | undefined {
  return /^(d-[A-Z0-9]{9})\.[A-Za-z0-9._+=,@-]+$/.exec(jobId)?.[1];
}
