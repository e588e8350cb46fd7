/**
 * What is deployed where, in one answer (`GET /api/v1/deploy/fleet`): a page of applications, each
 * with its deployment groups, the instances each group selects by tag, the revision each instance
 * serves, and the health and current jobs of the agent serving it. Reads are bounded: a page of
 * applications, their groups, a page of registered instances (by name), the last deployments they
 * name (by id, 25 at a time) and the agents. The two pages turn independently: the instances of the
 * next page (`instancesNextToken`) under the same applications, or the next applications.
 */
import type { Deployment, DeploymentGroup } from '../core/deployment.js';
import { groupSelects } from '../core/deployment-targets.js';
import type { DeployedFleetAnswer } from '../protocol/native-deployments.js';
import type { Services } from '../server/services.js';
import { deploymentBrief, fleetInstanceView, revisionView } from './deploy-views.js';

const APPLICATIONS_PER_PAGE = 20;
const MAX_GROUPS_PER_APPLICATION = 100;
const INSTANCES_PER_PAGE = 200;

export interface DeployedFleetPages {
  /** The page of applications. */
  readonly nextToken?: string | undefined;
  /** The page of registered instances. */
  readonly instancesNextToken?: string | undefined;
}

export async function deployedFleet(services: Services, pages: DeployedFleetPages): Promise<DeployedFleetAnswer> {
  const deployments = services.deployments;
  const { applications, instances } = deployments;
  const page = await applications.listApplications({ limit: APPLICATIONS_PER_PAGE, nextToken: pages.nextToken });
  const groupsByApplication = await Promise.all(page.items.map(async (applicationName) => {
    const names = await applications.listGroups(applicationName, { limit: MAX_GROUPS_PER_APPLICATION });
    return { applicationName, groups: await Promise.all(names.items.map((name) => applications.group(applicationName, name))) };
  }));
  const instancePage = await instances.listRegisteredPage({ limit: INSTANCES_PER_PAGE, nextToken: pages.instancesNextToken });
  const registered = instancePage.items;
  const agents = new Map((await services.agents.list()).map((agent) => [agent.id, agent]));

  const wanted = new Set<string>();
  for (const instance of registered) for (const last of Object.values(instance.lastDeployments)) wanted.add(last.deploymentId);
  const known = new Map<string, Deployment>();
  const ids = [...wanted];
  for (let at = 0; at < ids.length; at += 25) for (const deployment of await deployments.getMany(ids.slice(at, at + 25))) known.set(deployment.deploymentId, deployment);

  const inSomeGroup = new Set<string>();
  const groupView = (group: DeploymentGroup): DeployedFleetAnswer['applications'][number]['deploymentGroups'][number] => {
    const selected = registered.filter((instance) => groupSelects(group, instance));
    for (const instance of selected) inSomeGroup.add(instance.instanceName);
    const attempted = deploymentBrief(group.lastAttemptedDeployment);
    const succeeded = deploymentBrief(group.lastSuccessfulDeployment);
    return {
      deploymentGroupName: group.deploymentGroupName,
      deploymentConfigName: group.deploymentConfigName,
      ...(group.targetRevision ? { targetRevision: revisionView(group.targetRevision) } : {}),
      ...(attempted ? { lastAttemptedDeployment: attempted } : {}),
      ...(succeeded ? { lastSuccessfulDeployment: succeeded } : {}),
      instances: selected.map((instance) => fleetInstanceView(instance, group.deploymentGroupId, known, agents)),
    };
  };
  const answer = groupsByApplication.map(({ applicationName, groups }) => ({ applicationName, deploymentGroups: groups.map(groupView) }));
  return {
    applications: answer,
    instancesInNoGroup: registered.filter((instance) => !inSomeGroup.has(instance.instanceName)).map((instance) => fleetInstanceView(instance, undefined, known, agents)),
    ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }),
    ...(instancePage.nextToken === undefined ? {} : { instancesNextToken: instancePage.nextToken }),
  };
}
