/**
 * Which instances a deployment group deploys to (reference §2.8), and their health going in
 * (§2.9 step 1). Pure.
 */
import type { DeploymentGroup, OnPremisesInstance, Tag, TagFilter } from './deployment.js';
import type { InstanceHealth } from './deployment-rollout-types.js';

/** One filter against an instance's tags: KEY_ONLY, VALUE_ONLY or KEY_AND_VALUE. */
export function tagMatches(tags: readonly Tag[], filter: TagFilter): boolean {
  return tags.some((tag) => {
    const value = tag.Value ?? '';
    switch (filter.Type) {
      case 'KEY_ONLY':
        return tag.Key === filter.Key;
      case 'VALUE_ONLY':
        return value === (filter.Value ?? '');
      case 'KEY_AND_VALUE':
        return tag.Key === filter.Key && value === (filter.Value ?? '');
    }
  });
}

/** A list of filters: any one matching is enough (OR). */
export function matchesAnyFilter(tags: readonly Tag[], filters: readonly TagFilter[]): boolean {
  return filters.some((filter) => tagMatches(tags, filter));
}

/** A tag set: one filter of every group must match (AND across groups, OR within). */
export function matchesTagSet(tags: readonly Tag[], groups: readonly (readonly TagFilter[])[]): boolean {
  return groups.length > 0 && groups.every((group) => matchesAnyFilter(tags, group));
}

/**
 * Whether the group selects the instance. On-premises instances are chosen by
 * `onPremisesInstanceTagFilters` / `onPremisesTagSet`; nagare's instances are all on-premises, so
 * `ec2TagFilters` / `ec2TagSet` are read the same way (a group written for EC2 hosts works as is).
 */
export function groupSelects(group: DeploymentGroup, instance: OnPremisesInstance): boolean {
  if (instance.deregisterTime !== undefined) return false;
  const { tags } = instance;
  return (
    matchesAnyFilter(tags, group.onPremisesInstanceTagFilters) ||
    matchesAnyFilter(tags, group.ec2TagFilters) ||
    matchesTagSet(tags, group.onPremisesTagSet ?? []) ||
    matchesTagSet(tags, group.ec2TagSet ?? [])
  );
}

/**
 * The instance's health for a deployment of `targetKey` to the group: Healthy when its last
 * deployment in the group succeeded; Current when that put the group's target revision there.
 */
export function instanceHealth(instance: OnPremisesInstance, groupId: string, groupTargetKey: string | undefined): InstanceHealth {
  const last = instance.lastDeployments[groupId];
  if (last === undefined) return { instanceName: instance.instanceName, health: 'Unhealthy', revisionHealth: 'Unknown' };
  return {
    instanceName: instance.instanceName,
    health: last.succeeded ? 'Healthy' : 'Unhealthy',
    revisionHealth: last.succeeded && last.revisionKey === groupTargetKey ? 'Current' : 'Old',
  };
}
