/**
 * The deployment-rollout state machine (reference §2.9–2.12, decisions 14–15). Pure:
 * `applyRolloutEvent(rollout, event) → { rollout, effects, error? }`. The deployments service
 * stores the rollout, carries out the effects (a `deploy` job per instance, cancelling one, the
 * rollback deployment, the instances' health) and feeds the outcomes back as events.
 *
 * The rules, each tested in test/core/deployment-rollout*.test.ts:
 * - Instances run in the order Unhealthy, Unknown revision, Old, Current.
 * - With `m` instances to keep healthy out of `N`, an instance starts only while
 *   `running + failed + 1 ≤ N − m`: the healthy count never drops below the minimum. The rollout is
 *   rolling: the next instance starts as soon as room frees up.
 * - It fails (HEALTH_CONSTRAINTS) as soon as `failed ≥ N − m` while instances wait to start; when
 *   none wait (the last batch) it waits for the running ones and succeeds if `succeeded ≥ max(m, 1)`.
 *   OneAtATime is `m = N − 1`, which gives its "every instance but the last" rule.
 * - A minimum at or above N fails at once (HEALTH_CONSTRAINTS_INVALID); no instances: NO_INSTANCES.
 * - An instance fails when a lifecycle event failed, except ApplicationStop under
 *   `ignoreApplicationStopFailures`; an agent lost or the instance timeout fail it too.
 * - STOP ends the deployment Stopped; waiting instances are Skipped, running ones cancelled.
 * - DEPLOYMENT_FAILURE / DEPLOYMENT_STOP_ON_REQUEST ask for a rollback when configured, once some
 *   instance was attempted, and never for a deployment that is itself a rollback.
 *
 * Times come in events; nothing here reads a clock.
 */
import {
  deploymentOrder,
  healthConstraintsValid,
  minimumHealthyCount,
} from './deployment-rollout-health.js';
import type {
  DeploymentErrorCode,
  DeploymentRollout,
  LifecycleEvent,
  RolloutEffect,
  RolloutErrorCode,
  RolloutEvent,
  RolloutInstance,
  RolloutTransition,
} from './deployment-rollout-types.js';

export * from './deployment-rollout-types.js';
export * from './deployment-rollout-health.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Draft = Mutable<Omit<DeploymentRollout, 'instances'>> & { instances: Mutable<RolloutInstance>[] };
interface Step {
  readonly d: Draft;
  readonly at: number;
  readonly effects: RolloutEffect[];
  stopStatus?: 'Pending' | 'Succeeded';
}
type Refusal = { code: RolloutErrorCode; message: string } | undefined;
type EventOf<T extends RolloutEvent['type']> = Extract<RolloutEvent, { type: T }>;

export type NewRollout = Omit<DeploymentRollout, 'status' | 'minimumHealthy' | 'instances' | 'startTime' | 'completeTime' | 'errorInformation'>;

/** A deployment just created: status Created, no instances chosen yet. */
export function createRollout(init: NewRollout): DeploymentRollout {
  return { ...init, status: 'Created', minimumHealthy: 0, instances: [] };
}

export function isRolloutComplete(rollout: DeploymentRollout): boolean {
  return rollout.status === 'Succeeded' || rollout.status === 'Failed' || rollout.status === 'Stopped';
}

export function applyRolloutEvent(rollout: DeploymentRollout, event: RolloutEvent): RolloutTransition {
  const step: Step = { d: structuredClone(rollout) as Draft, at: event.at, effects: [] };
  const refusal = dispatch(step, event);
  if (refusal) return { rollout, effects: [], error: refusal };
  return { rollout: step.d, effects: step.effects, ...(step.stopStatus ? { stopStatus: step.stopStatus } : {}) };
}

function dispatch(step: Step, event: RolloutEvent): Refusal {
  if (isRolloutComplete(step.d)) return { code: 'DEPLOYMENT_ALREADY_COMPLETED', message: `deployment ${step.d.deploymentId} is already ${step.d.status}` };
  switch (event.type) {
    case 'QUEUE':
      if (step.d.status !== 'Created') return alreadyStarted(step.d);
      step.d.status = 'Queued';
      return undefined;
    case 'START':
      return start(step, event);
    case 'LIFECYCLE_EVENT':
      return lifecycleEvent(step, event);
    case 'INSTANCE_ENDED':
      return instanceEnded(step, event);
    case 'AGENT_LOST':
      return failInstance(step, event.instanceName, 'AGENT_ISSUE', event.message);
    case 'TIMER':
      return timer(step);
    case 'STOP':
      return stop(step, event);
    case 'ABORT':
      end(step, 'Failed', event.code, event.message);
      return undefined;
  }
}

const alreadyStarted = (d: Draft): Refusal => ({ code: 'DEPLOYMENT_ALREADY_STARTED', message: `deployment ${d.deploymentId} is already ${d.status}` });

function start(step: Step, event: EventOf<'START'>): Refusal {
  const { d } = step;
  if (d.status !== 'Created' && d.status !== 'Queued') return alreadyStarted(d);
  d.status = 'InProgress';
  d.startTime = event.at;
  d.instances = deploymentOrder(event.instances).map((i) => ({
    instanceName: i.instanceName,
    status: 'Pending',
    lifecycleEvents: d.lifecycleEventNames.map((name) => ({ lifecycleEventName: name, status: 'Pending' })),
  }));
  const total = d.instances.length;
  if (total === 0) {
    end(step, 'Failed', 'NO_INSTANCES', 'The deployment failed because no instances were found for your deployment group. Check your deployment group settings to make sure the tags you chose match at least one instance.');
    return undefined;
  }
  d.minimumHealthy = minimumHealthyCount(d.pace, total);
  if (!healthConstraintsValid(d.pace, total)) {
    for (const instance of d.instances) instance.status = 'Skipped';
    end(step, 'Failed', 'HEALTH_CONSTRAINTS_INVALID', `The deployment needs ${d.minimumHealthy} healthy instances out of ${total}, which leaves none to deploy to. Lower the minimum healthy hosts of the deployment configuration or add instances.`);
    return undefined;
  }
  advance(step);
  return undefined;
}

function instance(d: Draft, name: string): Mutable<RolloutInstance> | undefined {
  return d.instances.find((i) => i.instanceName === name);
}

const notInDeployment = (d: Draft, name: string): Refusal => ({ code: 'INSTANCE_NOT_IN_DEPLOYMENT', message: `instance ${name} is not running in deployment ${d.deploymentId}` });

function running(d: Draft, name: string): Mutable<RolloutInstance> | undefined {
  const found = instance(d, name);
  return d.status === 'InProgress' && found?.status === 'InProgress' ? found : undefined;
}

function lifecycleEvent(step: Step, event: EventOf<'LIFECYCLE_EVENT'>): Refusal {
  const target = running(step.d, event.instanceName);
  if (!target) return notInDeployment(step.d, event.instanceName);
  target.lifecycleEvents = mergeEvents(target.lifecycleEvents, [event.event]);
  return undefined;
}

function mergeEvents(current: readonly LifecycleEvent[], reported: readonly LifecycleEvent[]): LifecycleEvent[] {
  const byName = new Map(reported.map((e) => [e.lifecycleEventName, e]));
  return current.map((e) => byName.get(e.lifecycleEventName) ?? e);
}

/** An instance failed when an event failed, except ApplicationStop under ignoreApplicationStopFailures. */
export function instanceSucceeded(events: readonly LifecycleEvent[], ignoreApplicationStopFailures: boolean): boolean {
  return events.every((e) => e.status !== 'Failed' || (ignoreApplicationStopFailures && e.lifecycleEventName === 'ApplicationStop'));
}

function instanceEnded(step: Step, event: EventOf<'INSTANCE_ENDED'>): Refusal {
  const target = running(step.d, event.instanceName);
  if (!target) return notInDeployment(step.d, event.instanceName);
  const succeeded = instanceSucceeded(event.events, step.d.ignoreApplicationStopFailures);
  // Events the agent did not reach after a failure were skipped.
  target.lifecycleEvents = mergeEvents(target.lifecycleEvents, event.events).map((e) => (e.status === 'Pending' || e.status === 'InProgress' ? { ...e, status: succeeded ? 'Succeeded' : 'Skipped' } : e));
  target.status = succeeded ? 'Succeeded' : 'Failed';
  target.endTime = event.at;
  delete target.deadline;
  advance(step);
  return undefined;
}

function failInstance(step: Step, name: string, code: 'AGENT_ISSUE' | 'TIMEOUT', message: string): Refusal {
  const target = running(step.d, name);
  if (!target) return notInDeployment(step.d, name);
  markFailed(step, target, code, message);
  advance(step);
  return undefined;
}

function markFailed(step: Step, target: Mutable<RolloutInstance>, code: 'AGENT_ISSUE' | 'TIMEOUT' | 'MANUAL_STOP', message: string): void {
  target.status = 'Failed';
  target.endTime = step.at;
  target.failure = { code, message };
  delete target.deadline;
  target.lifecycleEvents = target.lifecycleEvents.map((e) =>
    e.status === 'InProgress' ? { ...e, status: 'Failed', endTime: step.at } : e.status === 'Pending' ? { ...e, status: 'Skipped' } : e,
  );
}

function timer(step: Step): Refusal {
  const late = step.d.instances.filter((i) => i.status === 'InProgress' && i.deadline !== undefined && i.deadline <= step.at);
  for (const target of late) {
    markFailed(step, target, 'TIMEOUT', `The instance did not finish its lifecycle events within ${Math.round(step.d.instanceTimeoutMs / 60_000)} minutes.`);
    step.effects.push({ type: 'CANCEL_INSTANCE', instanceName: target.instanceName });
  }
  if (step.d.status === 'InProgress') advance(step);
  return undefined;
}

function stop(step: Step, event: EventOf<'STOP'>): Refusal {
  const { d } = step;
  const inFlight = d.instances.filter((i) => i.status === 'InProgress');
  for (const target of inFlight) {
    markFailed(step, target, 'MANUAL_STOP', 'The deployment was stopped while this instance was deploying.');
    step.effects.push({ type: 'CANCEL_INSTANCE', instanceName: target.instanceName });
  }
  step.stopStatus = inFlight.length > 0 ? 'Pending' : 'Succeeded';
  const rollback = event.autoRollbackEnabled ?? (d.autoRollback.enabled && d.autoRollback.events.includes('DEPLOYMENT_STOP_ON_REQUEST'));
  end(step, 'Stopped', 'MANUAL_STOP', 'The deployment was stopped by request.', rollback ? 'DEPLOYMENT_STOP_ON_REQUEST' : undefined);
  return undefined;
}

/** Starts what may start, or ends the deployment when its outcome is decided. */
function advance(step: Step): void {
  const { d } = step;
  const total = d.instances.length;
  const count = (status: RolloutInstance['status']) => d.instances.filter((i) => i.status === status).length;
  const failed = count('Failed');
  const pending = d.instances.filter((i) => i.status === 'Pending');
  let inProgress = count('InProgress');
  const room = total - d.minimumHealthy;
  if (failed >= room && pending.length > 0) {
    end(step, 'Failed', 'HEALTH_CONSTRAINTS', `The overall deployment failed because too many individual instances failed deployment (${failed} of ${total}; at least ${d.minimumHealthy} must stay healthy).`);
    return;
  }
  for (const next of pending) {
    if (inProgress + failed + 1 > room) break;
    next.status = 'InProgress';
    next.startTime = step.at;
    next.deadline = step.at + d.instanceTimeoutMs;
    inProgress += 1;
    step.effects.push({ type: 'RUN_INSTANCE', instanceName: next.instanceName, lifecycleEvents: d.lifecycleEventNames });
  }
  if (inProgress > 0 || pending.some((i) => i.status === 'Pending')) return;
  const succeeded = count('Succeeded');
  if (succeeded >= Math.max(d.minimumHealthy, 1)) end(step, 'Succeeded');
  else end(step, 'Failed', 'HEALTH_CONSTRAINTS', `The overall deployment failed because too many individual instances failed deployment (${succeeded} of ${total} succeeded; ${Math.max(d.minimumHealthy, 1)} needed).`);
}

function end(step: Step, status: 'Succeeded' | 'Failed' | 'Stopped', code?: DeploymentErrorCode, message?: string, rollbackReason?: 'DEPLOYMENT_STOP_ON_REQUEST'): void {
  const { d } = step;
  for (const waiting of d.instances.filter((i) => i.status === 'Pending')) {
    waiting.status = 'Skipped';
    waiting.lifecycleEvents = waiting.lifecycleEvents.map((e) => ({ ...e, status: 'Skipped' }));
  }
  if (status === 'Failed') {
    // Instances still running when the outcome is decided are cancelled: their result cannot change it.
    for (const target of d.instances.filter((i) => i.status === 'InProgress')) {
      markFailed(step, target, 'MANUAL_STOP', 'The deployment failed while this instance was deploying.');
      step.effects.push({ type: 'CANCEL_INSTANCE', instanceName: target.instanceName });
    }
  }
  d.status = status;
  d.completeTime = step.at;
  if (code !== undefined && message !== undefined) d.errorInformation = { code, message };
  step.effects.push({ type: 'DEPLOYMENT_ENDED', status });
  const attempted = d.instances.filter((i) => i.status === 'Succeeded' || i.status === 'Failed');
  if (attempted.length > 0) {
    step.effects.push({ type: 'RECORD_INSTANCE_HEALTH', instances: attempted.map((i) => ({ instanceName: i.instanceName, succeeded: i.status === 'Succeeded' })) });
  }
  const reason = status === 'Failed' ? 'DEPLOYMENT_FAILURE' : rollbackReason;
  const configured = reason === 'DEPLOYMENT_FAILURE' ? d.autoRollback.enabled && d.autoRollback.events.includes('DEPLOYMENT_FAILURE') : reason !== undefined;
  if (reason && configured && !d.isRollback && attempted.length > 0) step.effects.push({ type: 'ROLLBACK', reason });
}

/** The earliest instance deadline, for the service's timer. */
export function nextRolloutDeadline(rollout: DeploymentRollout): number | undefined {
  const deadlines = rollout.instances.flatMap((i) => (i.status === 'InProgress' && i.deadline !== undefined ? [i.deadline] : []));
  return deadlines.length > 0 ? Math.min(...deadlines) : undefined;
}
