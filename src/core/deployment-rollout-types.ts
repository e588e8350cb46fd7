/**
 * Types of the deployment-rollout machine (reference §2.9–2.12, decisions 14–15): the state of one
 * in-place deployment across its instances, the events that move it and the effects it asks for.
 */

/** Deployment status (§2.12). `Ready` and `Baking` belong to blue/green and ECS/Lambda, not built. */
export type DeploymentStatus = 'Created' | 'Queued' | 'InProgress' | 'Succeeded' | 'Failed' | 'Stopped';
/** Instance (target) status in a deployment. */
export type InstanceStatus = 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'Skipped' | 'Unknown';
export type LifecycleEventStatus = 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'Skipped' | 'Unknown';

/** The in-place lifecycle events in the order the agent runs them (§2.5). */
export const IN_PLACE_LIFECYCLE_EVENTS = [
  'ApplicationStop',
  'DownloadBundle',
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'ApplicationStart',
  'ValidateService',
] as const;

export type MinimumHealthyHostsType = 'HOST_COUNT' | 'FLEET_PERCENT';

export interface MinimumHealthyHosts {
  readonly type: MinimumHealthyHostsType;
  readonly value: number;
}

/**
 * How many instances must stay healthy. `ONE_AT_A_TIME` is CodeDeployDefault.OneAtATime, whose
 * rules (one at a time, the last instance may fail) are not those of any HOST_COUNT.
 */
export type RolloutPace = { readonly kind: 'ONE_AT_A_TIME' } | { readonly kind: 'MINIMUM_HEALTHY'; readonly minimumHealthyHosts: MinimumHealthyHosts };

/** Health of an instance before the deployment (§2.9 step 1). */
export interface InstanceHealth {
  readonly instanceName: string;
  /** Healthy when the last deployment to it succeeded; never deployed is Unhealthy. */
  readonly health: 'Healthy' | 'Unhealthy';
  /** Against the group's target revision; Unknown when it never got one. */
  readonly revisionHealth: 'Current' | 'Old' | 'Unknown';
}

export interface LifecycleEventDiagnostics {
  /** The agent's code (§2.4): Success, ScriptMissing, ScriptNotExecutable, ScriptTimedOut, ScriptFailed, UnknownError. */
  readonly errorCode: string;
  readonly scriptName: string;
  readonly message: string;
  /** The end of scripts.log. */
  readonly logTail: string;
}

export interface LifecycleEvent {
  readonly lifecycleEventName: string;
  readonly status: LifecycleEventStatus;
  readonly startTime?: number | undefined;
  readonly endTime?: number | undefined;
  readonly diagnostics?: LifecycleEventDiagnostics | undefined;
}

/** Why an instance failed when no lifecycle event says so (the server gave up on it). */
export type InstanceFailureCode = 'AGENT_ISSUE' | 'TIMEOUT' | 'MANUAL_STOP';

export interface RolloutInstance {
  readonly instanceName: string;
  readonly status: InstanceStatus;
  readonly lifecycleEvents: readonly LifecycleEvent[];
  readonly startTime?: number | undefined;
  readonly endTime?: number | undefined;
  /** When the server stops waiting for it (startTime + instance timeout). */
  readonly deadline?: number | undefined;
  readonly failure?: { readonly code: InstanceFailureCode; readonly message: string } | undefined;
}

/** Error codes of a deployment that ended badly (the subset of the API's ErrorCode built here). */
export type DeploymentErrorCode = 'HEALTH_CONSTRAINTS' | 'HEALTH_CONSTRAINTS_INVALID' | 'NO_INSTANCES' | 'MANUAL_STOP' | 'REVISION_MISSING' | 'INTERNAL_ERROR';

export type AutoRollbackEvent = 'DEPLOYMENT_FAILURE' | 'DEPLOYMENT_STOP_ON_REQUEST' | 'DEPLOYMENT_STOP_ON_ALARM';

export interface DeploymentRollout {
  readonly deploymentId: string;
  readonly status: DeploymentStatus;
  readonly pace: RolloutPace;
  /** Set at START: instances that must end Succeeded for the deployment to succeed (at least 1). */
  readonly minimumHealthy: number;
  /** Ordered as deployed: Unhealthy, Unknown revision, Old, Current (§2.9 step 2). */
  readonly instances: readonly RolloutInstance[];
  readonly lifecycleEventNames: readonly string[];
  readonly ignoreApplicationStopFailures: boolean;
  readonly autoRollback: { readonly enabled: boolean; readonly events: readonly AutoRollbackEvent[] };
  /** A rollback deployment never asks for another rollback (no loops). */
  readonly isRollback: boolean;
  /** How long the server waits for one instance before it fails it (TIMEOUT). */
  readonly instanceTimeoutMs: number;
  readonly createTime: number;
  readonly startTime?: number | undefined;
  readonly completeTime?: number | undefined;
  readonly errorInformation?: { readonly code: DeploymentErrorCode; readonly message: string } | undefined;
}

export type RolloutEvent =
  | { readonly type: 'QUEUE'; readonly at: number }
  | { readonly type: 'START'; readonly at: number; readonly instances: readonly InstanceHealth[] }
  /** A lifecycle event started or ended on an instance (live progress). */
  | { readonly type: 'LIFECYCLE_EVENT'; readonly at: number; readonly instanceName: string; readonly event: LifecycleEvent }
  /** The instance finished its lifecycle; `events` are the results in order (events not run may be absent). */
  | { readonly type: 'INSTANCE_ENDED'; readonly at: number; readonly instanceName: string; readonly events: readonly LifecycleEvent[] }
  | { readonly type: 'AGENT_LOST'; readonly at: number; readonly instanceName: string; readonly message: string }
  | { readonly type: 'TIMER'; readonly at: number }
  /** StopDeployment; `autoRollbackEnabled` as in the API (undefined: the group's DEPLOYMENT_STOP_ON_REQUEST). */
  | { readonly type: 'STOP'; readonly at: number; readonly autoRollbackEnabled?: boolean | undefined }
  /** The deployment cannot run at all (its revision is missing …). */
  | { readonly type: 'ABORT'; readonly at: number; readonly code: DeploymentErrorCode; readonly message: string };

export type RolloutEffect =
  | { readonly type: 'RUN_INSTANCE'; readonly instanceName: string; readonly lifecycleEvents: readonly string[] }
  | { readonly type: 'CANCEL_INSTANCE'; readonly instanceName: string }
  | { readonly type: 'DEPLOYMENT_ENDED'; readonly status: 'Succeeded' | 'Failed' | 'Stopped' }
  /** Instances whose outcome changes their health (§2.9 step 7). */
  | { readonly type: 'RECORD_INSTANCE_HEALTH'; readonly instances: readonly { readonly instanceName: string; readonly succeeded: boolean }[] }
  | { readonly type: 'ROLLBACK'; readonly reason: 'DEPLOYMENT_FAILURE' | 'DEPLOYMENT_STOP_ON_REQUEST' };

export type RolloutErrorCode = 'DEPLOYMENT_ALREADY_COMPLETED' | 'DEPLOYMENT_NOT_STARTED' | 'DEPLOYMENT_ALREADY_STARTED' | 'INSTANCE_NOT_IN_DEPLOYMENT';

export interface RolloutTransition {
  readonly rollout: DeploymentRollout;
  readonly effects: readonly RolloutEffect[];
  /** A refused event: the rollout is unchanged and there are no effects. */
  readonly error?: { readonly code: RolloutErrorCode; readonly message: string } | undefined;
  /** StopDeployment's answer: Pending while instances still run, Succeeded otherwise. */
  readonly stopStatus?: 'Pending' | 'Succeeded' | undefined;
}
