/**
 * Deployments (reference §2.9–2.12): CreateDeployment stores a deployment of a revision to a group,
 * picks the group's instances by tag and starts the rollout machine (core/deployment-rollout.ts);
 * every change goes through `dispatch`, which applies one event to the stored rollout under its
 * optimistic revision and then carries out the effects (deployment-effects.ts): a `deploy` job per
 * instance, cancellations, the instances' health, the group's last deployments, the rollback. The
 * transition that ends a deployment is saved with its effects as `pendingEffects`, cleared once
 * they are carried out, so that a server dying in between leaves them for the sweep.
 * One deployment at a time per group: a second waits Queued until the first ends.
 *
 * Each saved change stores its CodeDeploy events (deployment-events.ts) in the same transaction and,
 * when it changed a state, is published on the bus as `DeploymentChanged`.
 */
import { randomBytes } from 'node:crypto';
import type { Deployment, DeploymentCreator, RevisionLocation, RollbackInfo, AutoRollbackConfiguration } from '../../core/deployment.js';
import { revisionKey } from '../../core/deployment.js';
import {
  applyRolloutEvent,
  createRollout,
  IN_PLACE_LIFECYCLE_EVENTS,
  isRolloutComplete,
  paceOf,
  type RolloutEvent,
  type RolloutTransition,
} from '../../core/deployment-rollout.js';
import { groupSelects, instanceHealth } from '../../core/deployment-targets.js';
import type { DeploymentFilter } from '../../core/deployment-store.js';
import type { Page, PageRequest } from '../../core/store.js';
import { deploymentEvents } from '../events/deployment-events.js';
import { deploymentTraceParent, traceIdOf, type TraceContext } from '../events/trace.js';
import type { ServerContext } from '../server-context.js';
import type { ApplicationsService } from './applications-service.js';
import { deployError, invalid, notFound } from './deploy-errors.js';
import type { DeploymentConfigsService } from './deployment-configs-service.js';
import { DeploymentEffects } from './deployment-effects.js';
import type { InstancesService } from './instances-service.js';
import type { RevisionsService } from './revisions-service.js';

/** How long the server waits for one instance's lifecycle before failing it (TIMEOUT). */
export const INSTANCE_TIMEOUT_MS = 60 * 60_000;
const SAVE_ATTEMPTS = 20;

export interface CreateDeploymentInput {
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  readonly revision?: RevisionLocation | undefined;
  readonly deploymentConfigName?: string | undefined;
  readonly description?: string | undefined;
  readonly ignoreApplicationStopFailures?: boolean | undefined;
  readonly fileExistsBehavior?: 'DISALLOW' | 'OVERWRITE' | 'RETAIN' | undefined;
  readonly autoRollbackConfiguration?: AutoRollbackConfiguration | undefined;
  readonly creator?: DeploymentCreator | undefined;
  readonly rollbackInfo?: RollbackInfo | undefined;
  readonly requestedBy?: string | undefined;
  /** A fixed id (a rollback's, derived from the deployment it undoes, so it is created once). */
  readonly deploymentId?: string | undefined;
  /** The span the deployment hangs under (the pipeline action attempt, the deployment a rollback undoes). */
  readonly parentTrace?: TraceContext | undefined;
}

/** `d-` and nine upper-case letters and digits, as CodeDeploy's. */
export function newDeploymentId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return `d-${[...randomBytes(9)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

export class DeploymentsService {
  readonly #effects: DeploymentEffects;

  constructor(
    private readonly context: ServerContext,
    readonly applications: ApplicationsService,
    readonly configs: DeploymentConfigsService,
    readonly revisions: RevisionsService,
    readonly instances: InstancesService,
  ) {
    this.#effects = new DeploymentEffects(context, this);
  }

  async create(input: CreateDeploymentInput): Promise<Deployment> {
    const group = await this.applications.group(input.applicationName, input.deploymentGroupName);
    const revision = input.revision ?? group.targetRevision;
    if (!revision) throw invalid('RevisionRequiredException', `Give a revision: deployment group ${group.deploymentGroupName} has deployed none yet`);
    const configName = input.deploymentConfigName ?? group.deploymentConfigName;
    const config = await this.configs.config(configName);
    const autoRollback = input.autoRollbackConfiguration ?? group.autoRollbackConfiguration;
    const now = this.context.clock();
    const deploymentId = input.deploymentId ?? newDeploymentId();
    const creator = input.creator ?? 'user';
    const deployment: Deployment = {
      deploymentId,
      applicationName: group.applicationName,
      deploymentGroupName: group.deploymentGroupName,
      deploymentGroupId: group.deploymentGroupId,
      deploymentConfigName: configName,
      revision,
      creator,
      description: input.description,
      fileExistsBehavior: input.fileExistsBehavior ?? 'DISALLOW',
      ignoreApplicationStopFailures: input.ignoreApplicationStopFailures ?? false,
      autoRollbackConfiguration: autoRollback,
      rollbackInfo: input.rollbackInfo,
      requestedBy: input.requestedBy,
      traceParent: deploymentTraceParent(deploymentId, input.parentTrace),
      ...(input.parentTrace ? { parentSpanId: input.parentTrace.spanId } : {}),
      rollout: createRollout({
        deploymentId,
        pace: paceOf(config),
        lifecycleEventNames: IN_PLACE_LIFECYCLE_EVENTS,
        ignoreApplicationStopFailures: input.ignoreApplicationStopFailures ?? false,
        autoRollback,
        isRollback: creator === 'codeDeployRollback',
        instanceTimeoutMs: INSTANCE_TIMEOUT_MS,
        createTime: now,
      }),
    };
    await this.context.store.deployments.insert(deployment);
    await this.context.store.deployRevisions.markUsed(group.applicationName, revision, group.deploymentGroupName, now);
    await this.applications.saveGroup({ ...group, lastAttemptedDeployment: { deploymentId, status: 'Created', createTime: now } });
    this.context.logger.info({ deploymentId, applicationName: group.applicationName, deploymentGroupName: group.deploymentGroupName, revision: revisionKey(revision), traceId: traceIdOf(deployment.traceParent) }, 'deployment created');
    await this.begin(deploymentId);
    return (await this.get(deploymentId));
  }

  async get(deploymentId: string): Promise<Deployment> {
    const stored = await this.context.store.deployments.get(deploymentId);
    if (!stored) throw notFound('DeploymentDoesNotExistException', `The deployment ${deploymentId} does not exist`);
    return stored.deployment;
  }

  getMany(deploymentIds: readonly string[]): Promise<Deployment[]> {
    if (deploymentIds.length > 25) throw invalid('BatchLimitExceededException', 'At most 25 deployment ids per call');
    return this.context.store.deployments.getMany(deploymentIds);
  }

  async list(filter: DeploymentFilter, page: PageRequest): Promise<Page<string>> {
    if (filter.applicationName !== undefined) await this.applications.application(filter.applicationName);
    if (filter.applicationName !== undefined && filter.deploymentGroupName !== undefined) await this.applications.group(filter.applicationName, filter.deploymentGroupName);
    return this.context.store.deployments.list(filter, page);
  }

  /** StopDeployment: `Pending` while instances still run their events, `Succeeded` otherwise. */
  async stop(deploymentId: string, autoRollbackEnabled?: boolean): Promise<{ status: 'Pending' | 'Succeeded'; statusMessage: string }> {
    const transition = await this.dispatch(deploymentId, { type: 'STOP', at: this.context.clock(), autoRollbackEnabled });
    if (transition.error) throw deployError('API_CONFLICT', 'DeploymentAlreadyCompletedException', `The deployment ${deploymentId} has already completed`);
    const status = transition.stopStatus ?? 'Succeeded';
    return { status, statusMessage: status === 'Pending' ? 'Stopping: instances still running their lifecycle events are being cancelled' : 'The deployment is stopped' };
  }

  /**
   * Starts a Created or Queued deployment unless another deployment of its group is running (then
   * it waits Queued); a revision the server cannot find fails it with REVISION_MISSING.
   */
  async begin(deploymentId: string): Promise<void> {
    const deployment = await this.get(deploymentId);
    if (deployment.rollout.status !== 'Created' && deployment.rollout.status !== 'Queued') return;
    const active = await this.context.store.deployments.active();
    const ahead = active.find((d) => d.deployment.deploymentGroupId === deployment.deploymentGroupId && d.deployment.rollout.status === 'InProgress');
    const earlier = active.find((d) => d.deployment.deploymentGroupId === deployment.deploymentGroupId && d.deployment.deploymentId !== deploymentId);
    if (ahead || (earlier && earlier.deployment.rollout.createTime < deployment.rollout.createTime)) {
      if (deployment.rollout.status === 'Created') await this.dispatch(deploymentId, { type: 'QUEUE', at: this.context.clock() });
      return;
    }
    const bundle = await this.revisions.bundleFor(deploymentId, deployment.revision);
    if ('missing' in bundle) {
      await this.dispatch(deploymentId, { type: 'ABORT', at: this.context.clock(), code: 'REVISION_MISSING', message: bundle.missing });
      return;
    }
    const group = await this.context.store.deploymentGroups.get(deployment.applicationName, deployment.deploymentGroupName);
    if (!group) {
      await this.dispatch(deploymentId, { type: 'ABORT', at: this.context.clock(), code: 'INTERNAL_ERROR', message: `The deployment group ${deployment.deploymentGroupName} was deleted` });
      return;
    }
    const targetKey = group.targetRevision ? revisionKey(group.targetRevision) : undefined;
    const selected = (await this.context.store.instances.list({ registrationStatus: 'Registered' })).filter((i) => groupSelects(group, i));
    const instances = selected.map((i) => instanceHealth(i, group.deploymentGroupId, targetKey));
    await this.patch(deploymentId, (d) => ({ ...d, bundle }));
    await this.dispatch(deploymentId, { type: 'START', at: this.context.clock(), instances });
  }

  /**
   * Applies one event to the stored rollout and carries out its effects. Retries when another
   * server saved the deployment meanwhile; a refused event changes nothing and is returned as is.
   */
  async dispatch(deploymentId: string, event: RolloutEvent): Promise<RolloutTransition> {
    for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
      const stored = await this.context.store.deployments.get(deploymentId);
      if (!stored) throw notFound('DeploymentDoesNotExistException', `The deployment ${deploymentId} does not exist`);
      const transition = applyRolloutEvent(stored.deployment.rollout, event);
      if (transition.error) return transition;
      // The ending transition's effects are saved with it (no later transition would redo them);
      // the others are re-derived from the rollout by the sweep.
      const ending = isRolloutComplete(transition.rollout);
      const updated: Deployment = { ...stored.deployment, rollout: transition.rollout, ...(ending ? { pendingEffects: transition.effects } : {}) };
      const events = deploymentEvents(this.context, stored.deployment, updated);
      if (!(await this.context.store.deployments.save(updated, stored.revision, events))) continue;
      if (events.length > 0) this.context.events.publish({ type: 'DeploymentChanged', deployment: updated, previousStatus: stored.deployment.rollout.status });
      if (ending) await this.#effects.settle(updated);
      else await this.#effects.carryOut(updated, transition.effects);
      this.context.notifier.notify(`deployment:${deploymentId}`);
      return transition;
    }
    throw deployError('API_CONFLICT', 'ThrottlingException', `The deployment ${deploymentId} is changing too fast to record this event; try again`);
  }

  /** Records rollback information on a deployment (no rollout change). */
  setRollbackInfo(deploymentId: string, info: RollbackInfo): Promise<void> {
    return this.patch(deploymentId, (d) => ({ ...d, rollbackInfo: { ...d.rollbackInfo, ...info } }));
  }

  /** The ending effects are carried out: they leave the deployment (no-op when already gone). */
  clearPendingEffects(deploymentId: string): Promise<void> {
    return this.patch(deploymentId, ({ pendingEffects: _, ...rest }) => rest);
  }

  /** Changes fields of a deployment other than its rollout, under the same optimistic revision. */
  private async patch(deploymentId: string, change: (deployment: Deployment) => Deployment): Promise<void> {
    for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt++) {
      const stored = await this.context.store.deployments.get(deploymentId);
      if (!stored) return;
      if (await this.context.store.deployments.save(change(stored.deployment), stored.revision)) return;
    }
  }

  isComplete(deployment: Deployment): boolean {
    return isRolloutComplete(deployment.rollout);
  }

  /** Agent side and periodic work (deployment-effects.ts). */
  get effects(): DeploymentEffects {
    return this.#effects;
  }
}
