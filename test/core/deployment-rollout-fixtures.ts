/** Drives the deployment-rollout machine the way the deployments service does, for the rule tests. */
import {
  applyRolloutEvent,
  createRollout,
  IN_PLACE_LIFECYCLE_EVENTS,
  type AutoRollbackEvent,
  type DeploymentRollout,
  type InstanceHealth,
  type LifecycleEvent,
  type RolloutEffect,
  type RolloutEvent,
  type RolloutPace,
} from '../../src/core/deployment-rollout.js';

export const ONE_AT_A_TIME: RolloutPace = { kind: 'ONE_AT_A_TIME' };
export const HALF_AT_A_TIME: RolloutPace = { kind: 'MINIMUM_HEALTHY', minimumHealthyHosts: { type: 'FLEET_PERCENT', value: 50 } };
export const ALL_AT_ONCE: RolloutPace = { kind: 'MINIMUM_HEALTHY', minimumHealthyHosts: { type: 'FLEET_PERCENT', value: 0 } };
export const hostCount = (value: number): RolloutPace => ({ kind: 'MINIMUM_HEALTHY', minimumHealthyHosts: { type: 'HOST_COUNT', value } });
export const fleetPercent = (value: number): RolloutPace => ({ kind: 'MINIMUM_HEALTHY', minimumHealthyHosts: { type: 'FLEET_PERCENT', value } });

export interface RolloutOptions {
  readonly pace?: RolloutPace;
  readonly ignoreApplicationStopFailures?: boolean;
  readonly autoRollback?: readonly AutoRollbackEvent[];
  readonly isRollback?: boolean;
}

export function newRollout(options: RolloutOptions = {}): DeploymentRollout {
  return createRollout({
    deploymentId: 'd-TEST00001',
    pace: options.pace ?? ONE_AT_A_TIME,
    lifecycleEventNames: IN_PLACE_LIFECYCLE_EVENTS,
    ignoreApplicationStopFailures: options.ignoreApplicationStopFailures ?? false,
    autoRollback: { enabled: options.autoRollback !== undefined, events: options.autoRollback ?? [] },
    isRollback: options.isRollback ?? false,
    instanceTimeoutMs: 60 * 60_000,
    createTime: 0,
  });
}

/** Instances i01, i02 … never deployed (Unhealthy, Unknown revision). */
export function instances(n: number): InstanceHealth[] {
  return Array.from({ length: n }, (_, k) => ({ instanceName: `i${String(k + 1).padStart(2, '0')}`, health: 'Unhealthy', revisionHealth: 'Unknown' }));
}

/** Lifecycle results of an instance: all succeed, or the named event fails and the rest are not reported. */
export function results(failAt?: string): LifecycleEvent[] {
  const out: LifecycleEvent[] = [];
  for (const name of IN_PLACE_LIFECYCLE_EVENTS) {
    if (name === failAt) {
      out.push({ lifecycleEventName: name, status: 'Failed', diagnostics: { errorCode: 'ScriptFailed', scriptName: 'x.sh', message: 'exit 1', logTail: '' } });
      if (name !== 'ApplicationStop') break;
      continue;
    }
    out.push({ lifecycleEventName: name, status: 'Succeeded' });
  }
  return out;
}

export interface Run {
  readonly rollout: DeploymentRollout;
  /** Instances in the order they were started. */
  readonly started: string[];
  /** The most instances running at once. */
  readonly maxConcurrent: number;
  readonly effects: RolloutEffect[];
}

/**
 * Starts the rollout on `hosts`, then completes running instances oldest first, failing those named
 * in `failing` (at ValidateService unless a lifecycle event name is given), until the deployment ends.
 */
export function drive(options: RolloutOptions, hosts: readonly InstanceHealth[], failing: Readonly<Record<string, string>> = {}): Run {
  let rollout = newRollout(options);
  const started: string[] = [];
  const running: string[] = [];
  const effects: RolloutEffect[] = [];
  let maxConcurrent = 0;
  let clock = 1;
  const apply = (event: RolloutEvent) => {
    const t = applyRolloutEvent(rollout, event);
    if (t.error) throw new Error(`${t.error.code}: ${t.error.message}`);
    rollout = t.rollout;
    for (const e of t.effects) {
      effects.push(e);
      if (e.type === 'RUN_INSTANCE') {
        started.push(e.instanceName);
        running.push(e.instanceName);
      }
    }
    maxConcurrent = Math.max(maxConcurrent, running.length);
  };
  apply({ type: 'START', at: clock, instances: hosts });
  while (rollout.status === 'InProgress') {
    const next = running.shift();
    if (next === undefined) throw new Error('nothing running but the deployment is not over');
    clock += 1;
    apply({ type: 'INSTANCE_ENDED', at: clock, instanceName: next, events: results(failing[next]) });
  }
  return { rollout, started, maxConcurrent, effects };
}

export const statusOf = (run: Run) => Object.fromEntries(run.rollout.instances.map((i) => [i.instanceName, i.status]));
export const fail = (...names: string[]): Record<string, string> => Object.fromEntries(names.map((n) => [n, 'ValidateService']));
