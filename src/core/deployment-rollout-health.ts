/**
 * Minimum healthy hosts (reference §2.9): the built-in deployment configurations, how many
 * instances must end healthy, how many may run at once, and the order instances are deployed in.
 */
import type { InstanceHealth, MinimumHealthyHosts, RolloutPace } from './deployment-rollout-types.js';

export interface DeploymentConfig {
  readonly deploymentConfigName: string;
  readonly deploymentConfigId: string;
  /** What GetDeploymentConfig reports. */
  readonly minimumHealthyHosts: MinimumHealthyHosts | { readonly type: 'MOST_CONCURRENCY'; readonly value: 1 };
  readonly computePlatform: 'Server';
  readonly createTime: number;
  readonly builtIn: boolean;
}

export const BUILT_IN_DEPLOYMENT_CONFIGS: readonly DeploymentConfig[] = [
  // GetDeploymentConfig reports OneAtATime as MOST_CONCURRENCY 1, a type no one can create (§2.9).
  { deploymentConfigName: 'CodeDeployDefault.OneAtATime', deploymentConfigId: 'one-at-a-time', minimumHealthyHosts: { type: 'MOST_CONCURRENCY', value: 1 }, computePlatform: 'Server', createTime: 0, builtIn: true },
  { deploymentConfigName: 'CodeDeployDefault.HalfAtATime', deploymentConfigId: 'half-at-a-time', minimumHealthyHosts: { type: 'FLEET_PERCENT', value: 50 }, computePlatform: 'Server', createTime: 0, builtIn: true },
  { deploymentConfigName: 'CodeDeployDefault.AllAtOnce', deploymentConfigId: 'all-at-once', minimumHealthyHosts: { type: 'FLEET_PERCENT', value: 0 }, computePlatform: 'Server', createTime: 0, builtIn: true },
];

export const DEFAULT_DEPLOYMENT_CONFIG_NAME = 'CodeDeployDefault.OneAtATime';

/** The pace a configuration gives a rollout. */
export function paceOf(config: DeploymentConfig): RolloutPace {
  const hosts = config.minimumHealthyHosts;
  if (hosts.type === 'MOST_CONCURRENCY') return { kind: 'ONE_AT_A_TIME' };
  return { kind: 'MINIMUM_HEALTHY', minimumHealthyHosts: hosts };
}

/**
 * The number of instances that must stay healthy out of `total`. FLEET_PERCENT is rounded up
 * (9 instances at 50 % → 5). OneAtATime behaves as "all but one" (the last instance may fail).
 */
export function minimumHealthyCount(pace: RolloutPace, total: number): number {
  if (pace.kind === 'ONE_AT_A_TIME') return Math.max(total - 1, 0);
  const { type, value } = pace.minimumHealthyHosts;
  return type === 'HOST_COUNT' ? value : Math.ceil((total * value) / 100);
}

/**
 * Whether the minimum can be kept at all (§2.9 step 4): a minimum equal to or above the number of
 * instances leaves no instance free to deploy. OneAtATime always can (a single instance is allowed).
 */
export function healthConstraintsValid(pace: RolloutPace, total: number): boolean {
  return pace.kind === 'ONE_AT_A_TIME' || minimumHealthyCount(pace, total) < total;
}

const HEALTH_RANK = { Unhealthy: 0, Healthy: 1 } as const;
const REVISION_RANK = { Unknown: 0, Old: 1, Current: 2 } as const;

/** Deploy order (§2.9 step 2): Unhealthy first, then Unknown revision, Old, Current; by name within each. */
export function deploymentOrder(instances: readonly InstanceHealth[]): InstanceHealth[] {
  return [...instances].sort(
    (a, b) =>
      HEALTH_RANK[a.health] - HEALTH_RANK[b.health] ||
      REVISION_RANK[a.revisionHealth] - REVISION_RANK[b.revisionHealth] ||
      (a.instanceName < b.instanceName ? -1 : a.instanceName > b.instanceName ? 1 : 0),
  );
}
