/**
 * What the rollout machine asks for, done: a `deploy` job per instance (its id derived from the
 * deployment and the instance, so that a repeated effect — a retry, a restarted server's
 * reconciliation — never runs an instance twice), cancellations, the instances' health, the
 * group's last deployments and target revision, the next queued deployment, automatic rollback.
 * Also the agent's reports on deploy jobs and the periodic sweep (lost agents, timeouts, catching up).
 *
 * Every effect may be carried out again (a crash after the ending transition was saved leaves its
 * `pendingEffects` for the sweep): jobs and the rollback have derived ids, the health records and
 * the group's summaries are written as the same values, and a late ending never overwrites the
 * summary of a deployment created after it.
 */
import { createHash } from 'node:crypto';
import type { Deployment, DeploymentSummary } from '../../core/deployment.js';
import { revisionKey } from '../../core/deployment.js';
import { nextRolloutDeadline, type LifecycleEvent, type RolloutEffect } from '../../core/deployment-rollout.js';
import { NagareError } from '../../core/errors.js';
import type { Job } from '../../core/store.js';
import { deployJobId, deployJobPayload, type DeployJobPayload, type LifecycleEventResult } from '../../protocol/deploy-job.js';
import type { ServerContext } from '../server-context.js';
import { traceContextOf, traceIdOf } from '../events/trace.js';
import { deployError } from './deploy-errors.js';
import type { DeploymentsService } from './deployments-service.js';

export { deployJobId };

/** A rollback's id is derived from the deployment it undoes, so that it is created once. */
export function rollbackDeploymentId(triggeringId: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const digest = createHash('sha256').update(`rollback:${triggeringId}`).digest();
  return `d-${[...digest.subarray(0, 9)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

/** A deploy job's payload, parsed (the queue stores it as JSON). */
function payloadOf(job: Job): DeployJobPayload {
  const parsed = deployJobPayload.safeParse(job.payload);
  if (!parsed.success) throw new NagareError('STORE_RECORD_INVALID', `The deploy job ${job.id} has a payload this server cannot read`, { details: { jobId: job.id } });
  return parsed.data;
}

export function toLifecycleEvent(result: LifecycleEventResult): LifecycleEvent {
  return { lifecycleEventName: result.name, status: result.status, startTime: result.startTime, endTime: result.endTime, diagnostics: result.diagnostics };
}

export class DeploymentEffects {
  constructor(
    private readonly context: ServerContext,
    private readonly deployments: DeploymentsService,
  ) {}

  /** Carries out the ending effects saved with a finished deployment, then clears them. */
  async settle(deployment: Deployment): Promise<void> {
    await this.carryOut(deployment, deployment.pendingEffects ?? []);
    await this.deployments.clearPendingEffects(deployment.deploymentId);
  }

  async carryOut(deployment: Deployment, effects: readonly RolloutEffect[]): Promise<void> {
    for (const effect of effects) {
      switch (effect.type) {
        case 'RUN_INSTANCE':
          await this.runInstance(deployment, effect.instanceName, effect.lifecycleEvents);
          break;
        case 'CANCEL_INSTANCE':
          await this.context.store.jobs.cancel(deployJobId(deployment.deploymentId, effect.instanceName));
          break;
        case 'RECORD_INSTANCE_HEALTH':
          await this.recordHealth(deployment, effect.instances);
          break;
        case 'DEPLOYMENT_ENDED':
          await this.ended(deployment, effect.status);
          break;
        case 'ROLLBACK':
          await this.rollback(deployment, effect.reason);
          break;
      }
    }
  }

  /** Enqueues the instance's deploy job for the agent serving it; an instance no agent serves fails at once. */
  private async runInstance(deployment: Deployment, instanceName: string, events: readonly string[]): Promise<void> {
    const instance = await this.context.store.instances.get(instanceName);
    if (instance?.agentId === undefined || deployment.bundle === undefined) {
      await this.deployments.dispatch(deployment.deploymentId, { type: 'AGENT_LOST', at: this.context.clock(), instanceName, message: `No agent serves instance ${instanceName}: start \`nagare agent --instance-name ${instanceName}\` on it` });
      return;
    }
    const payload: DeployJobPayload = {
      deploymentId: deployment.deploymentId,
      applicationName: deployment.applicationName,
      deploymentGroupName: deployment.deploymentGroupName,
      deploymentGroupId: deployment.deploymentGroupId,
      instanceName,
      creator: deployment.creator,
      bundleType: deployment.bundle.bundleType,
      fileExistsBehavior: deployment.fileExistsBehavior,
      ignoreApplicationStopFailures: deployment.ignoreApplicationStopFailures,
      events: [...events],
      ...(deployment.traceParent === undefined ? {} : { traceParent: deployment.traceParent }),
    };
    // The job is the target agent's alone; it carries that agent's fleet, since an agent of a
    // fleet takes only its fleet's jobs (core/job-routing.ts).
    const fleet = (await this.context.store.agents.get(instance.agentId))?.fleet;
    try {
      await this.context.store.jobs.enqueue({ id: deployJobId(deployment.deploymentId, instanceName), kind: 'deploy', target: instance.agentId, fleet, projectName: `deploy:${deployment.applicationName}`, queuedAt: this.context.clock(), payload });
    } catch (error) {
      // Enqueued before (a retried effect, or another server's reconciliation): it runs once.
      if (error instanceof NagareError && error.code === 'STORE_CONFLICT') return;
      throw error;
    }
    this.context.notifier.notify('jobs');
  }

  /** Each instance's last deployment in the group, unless one created later was recorded first (a late ending). */
  private async recordHealth(deployment: Deployment, instances: readonly { readonly instanceName: string; readonly succeeded: boolean }[]): Promise<void> {
    for (const i of instances) {
      const recorded = (await this.context.store.instances.get(i.instanceName))?.lastDeployments[deployment.deploymentGroupId];
      if (recorded && recorded.deploymentId !== deployment.deploymentId) {
        const other = await this.context.store.deployments.get(recorded.deploymentId);
        if (other && other.deployment.rollout.createTime > deployment.rollout.createTime) continue;
      }
      await this.deployments.instances.recordDeployment(i.instanceName, deployment.deploymentGroupId, { deploymentId: deployment.deploymentId, revisionKey: revisionKey(deployment.revision), succeeded: i.succeeded });
    }
  }

  private async ended(deployment: Deployment, status: 'Succeeded' | 'Failed' | 'Stopped'): Promise<void> {
    const group = await this.context.store.deploymentGroups.get(deployment.applicationName, deployment.deploymentGroupName);
    const summary = { deploymentId: deployment.deploymentId, status, createTime: deployment.rollout.createTime, endTime: deployment.rollout.completeTime };
    // An ending carried out late (by the sweep, after a crash) keeps what a newer deployment wrote.
    const newer = (kept: DeploymentSummary | undefined) => kept !== undefined && kept.deploymentId !== deployment.deploymentId && kept.createTime > deployment.rollout.createTime;
    if (group) {
      await this.deployments.applications.saveGroup({
        ...group,
        ...(newer(group.lastAttemptedDeployment) ? {} : { lastAttemptedDeployment: summary }),
        ...(status === 'Succeeded' && !newer(group.lastSuccessfulDeployment) ? { lastSuccessfulDeployment: summary, targetRevision: deployment.revision } : {}),
      });
    }
    this.context.logger.info({ deploymentId: deployment.deploymentId, status, error: deployment.rollout.errorInformation?.code, traceId: traceIdOf(deployment.traceParent) }, 'deployment ended');
    // The next deployment of the group waiting behind this one.
    const next = (await this.context.store.deployments.active()).find((d) => d.deployment.deploymentGroupId === deployment.deploymentGroupId && d.deployment.rollout.status !== 'InProgress');
    if (next) await this.deployments.begin(next.deployment.deploymentId);
  }

  /** A new deployment of the group's last good revision (§2.10), rollbackInfo on both. */
  private async rollback(deployment: Deployment, reason: 'DEPLOYMENT_FAILURE' | 'DEPLOYMENT_STOP_ON_REQUEST'): Promise<void> {
    const rollbackId = rollbackDeploymentId(deployment.deploymentId);
    // Created by an earlier attempt at this effect (rollbackInfo is set before it is created).
    if (await this.context.store.deployments.get(rollbackId)) return;
    const group = await this.context.store.deploymentGroups.get(deployment.applicationName, deployment.deploymentGroupName);
    const lastGood = group?.lastSuccessfulDeployment;
    const previous = lastGood && lastGood.deploymentId !== deployment.deploymentId ? await this.context.store.deployments.get(lastGood.deploymentId) : undefined;
    if (!group || !previous) {
      await this.deployments.setRollbackInfo(deployment.deploymentId, { rollbackMessage: 'Automatic rollback was not performed: the deployment group has no earlier successful deployment to roll back to.' });
      return;
    }
    await this.deployments.setRollbackInfo(deployment.deploymentId, { rollbackDeploymentId: rollbackId, rollbackMessage: `${reason === 'DEPLOYMENT_FAILURE' ? 'The deployment failed' : 'The deployment was stopped'}; rolled back by ${rollbackId} to the revision of ${previous.deployment.deploymentId}` });
    try {
      await this.deployments.create({
        deploymentId: rollbackId,
        applicationName: deployment.applicationName,
        deploymentGroupName: deployment.deploymentGroupName,
        revision: previous.deployment.revision,
        deploymentConfigName: deployment.deploymentConfigName,
        // The rollback reuses the last successful deployment's file-exists option (§2.10).
        fileExistsBehavior: previous.deployment.fileExistsBehavior,
        ignoreApplicationStopFailures: deployment.ignoreApplicationStopFailures,
        creator: 'codeDeployRollback',
        description: `Rollback of ${deployment.deploymentId}`,
        rollbackInfo: { rollbackTriggeringDeploymentId: deployment.deploymentId, rollbackMessage: `Rolls back ${deployment.deploymentId} to the revision of ${previous.deployment.deploymentId}` },
        // The rollback continues the trace of the deployment it undoes, as its child.
        parentTrace: traceContextOf(deployment.traceParent),
      });
    } catch (error) {
      // Created before this effect was repeated.
      if (error instanceof NagareError && error.code === 'STORE_CONFLICT') return;
      throw error;
    }
  }

  /** The payload of a leased deploy job, or undefined when its deployment no longer wants it. */
  async leased(job: Job): Promise<DeployJobPayload | undefined> {
    const payload = payloadOf(job);
    const stored = await this.context.store.deployments.get(payload.deploymentId);
    const instance = stored?.deployment.rollout.instances.find((i) => i.instanceName === payload.instanceName);
    if (!stored || instance?.status !== 'InProgress') return undefined;
    return payload;
  }

  /** The bundle blob of a deploy job, for the agent holding it. */
  async bundleOf(agentId: string, jobId: string): Promise<{ blobKey: string; bundleType: string }> {
    const job = await this.heldJob(agentId, jobId);
    const deployment = await this.deployments.get(payloadOf(job).deploymentId);
    if (!deployment.bundle) throw deployError('API_NOT_FOUND', 'RevisionDoesNotExistException', `Deployment ${deployment.deploymentId} has no bundle`);
    return deployment.bundle;
  }

  /** Keeps the lease of a deploy job whose hook runs long; answers whether to stop. */
  async heartbeat(agentId: string, jobId: string): Promise<{ stopRequested: boolean }> {
    await this.heldJob(agentId, jobId);
    const renewed = await this.context.store.jobs.renew(jobId, agentId, this.context.clock(), this.context.settings.leaseMs);
    return { stopRequested: !renewed };
  }

  /** A lifecycle event started or ended on the instance. Answers whether to stop. */
  async eventReported(agentId: string, jobId: string, result: LifecycleEventResult): Promise<{ stopRequested: boolean }> {
    const { deploymentId, instanceName } = payloadOf(await this.heldJob(agentId, jobId));
    await this.context.store.jobs.renew(jobId, agentId, this.context.clock(), this.context.settings.leaseMs);
    await this.context.store.jobs.markStarted(jobId, agentId);
    const transition = await this.deployments.dispatch(deploymentId, { type: 'LIFECYCLE_EVENT', at: this.context.clock(), instanceName, event: toLifecycleEvent(result) });
    return { stopRequested: transition.error !== undefined };
  }

  /** The instance finished its lifecycle. A repeated report (its answer lost) is accepted. */
  async completed(agentId: string, jobId: string, results: readonly LifecycleEventResult[]): Promise<{ stopRequested: boolean }> {
    const job = await this.context.store.jobs.get(jobId);
    if (!job || job.kind !== 'deploy') throw deployError('API_NOT_FOUND', 'InvalidInputException', `No deploy job ${jobId}`);
    const held = await this.context.store.jobs.complete(jobId, agentId);
    // A job this agent held that is closed already: a retry whose first attempt closed it and may
    // have died before the deployment heard of it (a server killed in between). The instance ends
    // now unless it ended already (then the rollout refuses the event and nothing changes).
    if (!held && !(job.state === 'DONE' && job.leaseOwner === agentId)) return { stopRequested: true };
    const { deploymentId, instanceName } = payloadOf(job);
    const transition = await this.deployments.dispatch(deploymentId, { type: 'INSTANCE_ENDED', at: this.context.clock(), instanceName, events: results.map(toLifecycleEvent) }).catch((error: unknown) => {
      // A deployment deleted (pruned) since: there is nothing left to tell.
      if (!held && error instanceof NagareError && error.code === 'API_NOT_FOUND') return { error: 'gone' };
      throw error;
    });
    return { stopRequested: !held && transition.error !== undefined };
  }

  /**
   * An agent restarted on an instance reports the event its predecessor was running when it
   * stopped (the CodeDeploy agent's code 7), so that the deployment goes on by its rules at once
   * rather than when the dead agent's lease runs out. The lease is the dead agent's, so the caller
   * must be the agent serving the job's instance now. The job ends, and the instance ends with
   * that event Failed and the events after it Skipped; none of them runs again. A report that
   * comes after the server gave up on the instance changes nothing and answers stopRequested.
   */
  async interrupted(agentId: string, jobId: string, result: LifecycleEventResult): Promise<{ stopRequested: boolean }> {
    if (result.status !== 'Failed') throw deployError('API_INVALID_INPUT', 'InvalidInputException', `An interrupted lifecycle event is reported Failed, not ${result.status}`);
    const job = await this.context.store.jobs.get(jobId);
    if (!job || job.kind !== 'deploy') throw deployError('API_NOT_FOUND', 'InvalidInputException', `No deploy job ${jobId}`);
    const { deploymentId, instanceName, traceParent } = payloadOf(job);
    const instance = await this.context.store.instances.get(instanceName);
    if (instance?.agentId !== agentId) throw new NagareError('AGENT_LEASE_EXPIRED', `The deploy job ${jobId} is for instance ${instanceName}, which this agent does not serve`);
    if (job.state === 'DONE' || !(await this.context.store.jobs.cancel(jobId))) return { stopRequested: true };
    this.context.logger.info({ jobId, agentId, deploymentId, event: result.name, traceId: traceIdOf(traceParent) }, 'deploy job interrupted by an agent restart');
    const transition = await this.deployments.dispatch(deploymentId, { type: 'INSTANCE_ENDED', at: this.context.clock(), instanceName, events: [toLifecycleEvent(result)] });
    return { stopRequested: transition.error !== undefined };
  }

  private async heldJob(agentId: string, jobId: string): Promise<Job> {
    const job = await this.context.store.jobs.get(jobId);
    if (!job || job.kind !== 'deploy' || job.state !== 'LEASED' || job.leaseOwner !== agentId) {
      throw new NagareError('AGENT_LEASE_EXPIRED', `The deploy job ${jobId} is not leased to this agent (stopped, or its lease expired)`);
    }
    return job;
  }

  /**
   * One pass of periodic work: ending effects a crash left pending are carried out; deploy jobs
   * whose agent stopped heartbeating fail their instance (AGENT_ISSUE); instances past their
   * timeout fail (TIMEOUT); deployments a crash left Created or Queued start; running instances
   * whose job was never enqueued get it.
   */
  async sweep(): Promise<void> {
    const { store, clock } = this.context;
    for (const { deployment } of await store.deployments.withPendingEffects()) {
      // One deployment whose effects fail (they stay pending, for the next pass) holds up no other work.
      await this.settle(deployment).catch((error: unknown) => this.context.logger.error({ err: error, deploymentId: deployment.deploymentId, traceId: traceIdOf(deployment.traceParent) }, 'carrying out the ending effects of a deployment failed; retried next pass'));
    }
    for (const job of await store.jobs.expired(clock())) {
      if (job.kind !== 'deploy') continue;
      if (!(await store.jobs.cancel(job.id))) continue;
      const { deploymentId, instanceName } = payloadOf(job);
      await this.deployments.dispatch(deploymentId, { type: 'AGENT_LOST', at: clock(), instanceName, message: `Agent ${job.leaseOwner ?? 'unknown'} stopped reporting; its lease expired` });
    }
    for (const { deployment } of await store.deployments.active()) {
      const { rollout } = deployment;
      if (rollout.status === 'Created' || rollout.status === 'Queued') {
        await this.deployments.begin(deployment.deploymentId);
        continue;
      }
      const deadline = nextRolloutDeadline(rollout);
      if (deadline !== undefined && deadline <= clock()) await this.deployments.dispatch(deployment.deploymentId, { type: 'TIMER', at: clock() });
      for (const instance of rollout.instances.filter((i) => i.status === 'InProgress')) {
        if (!(await store.jobs.get(deployJobId(deployment.deploymentId, instance.instanceName)))) await this.runInstance(deployment, instance.instanceName, rollout.lifecycleEventNames);
      }
    }
  }
}
