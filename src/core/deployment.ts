/**
 * CodeDeploy's objects as nagare keeps them (reference §2.8–2.12): applications, deployment groups,
 * revisions, deployments and on-premises instances, named and shaped as the CodeDeploy API names
 * them so that the AWS routes answer them nearly as they are.
 */
import type { AutoRollbackEvent, DeploymentRollout, RolloutEffect } from './deployment-rollout-types.js';

export interface Application {
  readonly applicationId: string;
  readonly applicationName: string;
  readonly computePlatform: 'Server';
  readonly createTime: number;
}

export type TagFilterType = 'KEY_ONLY' | 'VALUE_ONLY' | 'KEY_AND_VALUE';

/** EC2TagFilter and TagFilter of the API: the same shape. */
export interface TagFilter {
  readonly Key?: string | undefined;
  readonly Value?: string | undefined;
  readonly Type: TagFilterType;
}

export interface Tag {
  readonly Key: string;
  readonly Value?: string | undefined;
}

export interface AutoRollbackConfiguration {
  readonly enabled: boolean;
  readonly events: readonly AutoRollbackEvent[];
}

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
  readonly bundleType: 'zip' | 'tar' | 'tgz';
  readonly version?: string | undefined;
  readonly eTag?: string | undefined;
}

export interface GitHubLocation {
  /** A hosted repository's name (`owner/name` is accepted and its last part used). */
  readonly repository: string;
  readonly commitId: string;
}

export type RevisionLocation =
  | { readonly revisionType: 'S3'; readonly s3Location: S3Location }
  | { readonly revisionType: 'GitHub'; readonly gitHubLocation: GitHubLocation };

/** One key per revision, the same however the location was spelt (for revision health). */
export function revisionKey(revision: RevisionLocation): string {
  if (revision.revisionType === 'GitHub') return `github:${revision.gitHubLocation.repository}@${revision.gitHubLocation.commitId}`;
  const s3 = revision.s3Location;
  return `s3:${s3.bucket}/${s3.key}#${s3.version ?? ''}#${s3.eTag ?? ''}#${s3.bundleType}`;
}

export interface DeploymentSummary {
  readonly deploymentId: string;
  readonly status: string;
  readonly endTime?: number | undefined;
  readonly createTime: number;
}

export interface DeploymentGroup {
  readonly applicationName: string;
  readonly deploymentGroupId: string;
  readonly deploymentGroupName: string;
  readonly deploymentConfigName: string;
  readonly serviceRoleArn?: string | undefined;
  readonly ec2TagFilters: readonly TagFilter[];
  readonly onPremisesInstanceTagFilters: readonly TagFilter[];
  /** Up to three groups of filters: an instance matches one filter of every group. */
  readonly ec2TagSet?: readonly (readonly TagFilter[])[] | undefined;
  readonly onPremisesTagSet?: readonly (readonly TagFilter[])[] | undefined;
  readonly autoRollbackConfiguration: AutoRollbackConfiguration;
  readonly outdatedInstancesStrategy: 'UPDATE' | 'IGNORE';
  readonly targetRevision?: RevisionLocation | undefined;
  readonly lastSuccessfulDeployment?: DeploymentSummary | undefined;
  readonly lastAttemptedDeployment?: DeploymentSummary | undefined;
}

export interface RegisteredRevision {
  readonly applicationName: string;
  readonly revision: RevisionLocation;
  readonly description?: string | undefined;
  readonly registerTime: number;
  readonly firstUsedTime?: number | undefined;
  readonly lastUsedTime?: number | undefined;
  readonly deploymentGroups: readonly string[];
}

export type DeploymentCreator = 'user' | 'codeDeployRollback' | 'CodeDeploy';

export interface RollbackInfo {
  readonly rollbackDeploymentId?: string | undefined;
  readonly rollbackTriggeringDeploymentId?: string | undefined;
  readonly rollbackMessage?: string | undefined;
}

export interface Deployment {
  readonly deploymentId: string;
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  readonly deploymentGroupId: string;
  readonly deploymentConfigName: string;
  readonly revision: RevisionLocation;
  readonly creator: DeploymentCreator;
  readonly description?: string | undefined;
  readonly fileExistsBehavior: 'DISALLOW' | 'OVERWRITE' | 'RETAIN';
  readonly ignoreApplicationStopFailures: boolean;
  readonly autoRollbackConfiguration: AutoRollbackConfiguration;
  readonly rollbackInfo?: RollbackInfo | undefined;
  /** Who asked for it when it came from a pipeline (`codepipeline/<pipeline>`), for the dashboard. */
  readonly requestedBy?: string | undefined;
  /**
   * The W3C traceparent of the deployment's own span (`00-<trace id>-<span id>-01`): in the trace
   * of the pipeline execution that started it, else a trace of its own. Absent in deployments
   * stored before it was kept.
   */
  readonly traceParent?: string | undefined;
  /** The span the deployment's span is a child of (a pipeline action's), for exported spans. */
  readonly parentSpanId?: string | undefined;
  /** The bundle instances download: a blob of the revision store, set when the deployment starts. */
  readonly bundle?: { readonly blobKey: string; readonly bundleType: 'zip' | 'tar' | 'tgz' } | undefined;
  readonly rollout: DeploymentRollout;
  /**
   * The effects of the transition that ended the rollout, saved with it and cleared once carried
   * out: a server that dies in between leaves them here for the periodic sweep (an outbox).
   */
  readonly pendingEffects?: readonly RolloutEffect[] | undefined;
}

/** An on-premises instance: a host running `nagare agent --instance-name`. */
export interface OnPremisesInstance {
  readonly instanceName: string;
  readonly instanceArn: string;
  readonly iamSessionArn?: string | undefined;
  readonly iamUserArn?: string | undefined;
  readonly registerTime: number;
  readonly deregisterTime?: number | undefined;
  readonly tags: readonly Tag[];
  /** The agent serving it; deploy jobs of this instance target that agent. */
  readonly agentId?: string | undefined;
  /** Per deployment group id: the last deployment to this instance and how it ended (§2.9 step 7). */
  readonly lastDeployments: Readonly<Record<string, { readonly deploymentId: string; readonly revisionKey: string; readonly succeeded: boolean }>>;
}
