/**
 * On-premises instances (RegisterOnPremisesInstance and friends): hosts running `nagare agent
 * --instance-name NAME --tags K=V,…`, or registered through the API first and claimed by the agent
 * that names them. At most 10 tags per instance, as CodeDeploy allows.
 */
import type { OnPremisesInstance, Tag, TagFilter } from '../../core/deployment.js';
import { matchesAnyFilter } from '../../core/deployment-targets.js';
import { NagareError } from '../../core/errors.js';
import type { Page, PageRequest } from '../../core/store.js';
import type { ServerContext } from '../server-context.js';
import { alreadyExists, checkName, conflictAs, invalid, notFound } from './deploy-errors.js';

const MAX_TAGS = 10;

export class InstancesService {
  constructor(private readonly context: ServerContext) {}

  async register(instanceName: string, arns: { readonly iamSessionArn?: string | undefined; readonly iamUserArn?: string | undefined }, tags: readonly Tag[] = [], agentId?: string): Promise<OnPremisesInstance> {
    checkName(instanceName, 'instance name', 'InvalidInstanceNameException');
    if (arns.iamSessionArn !== undefined && arns.iamUserArn !== undefined) throw invalid('MultipleIamArnsProvidedException', 'Give iamSessionArn or iamUserArn, not both');
    const { region, accountId } = this.context.settings;
    const instance: OnPremisesInstance = {
      instanceName,
      instanceArn: `arn:aws:codedeploy:${region}:${accountId}:instance/${instanceName}`,
      iamSessionArn: arns.iamSessionArn,
      iamUserArn: arns.iamUserArn,
      registerTime: this.context.clock(),
      tags: checkTags(tags),
      agentId,
      lastDeployments: {},
    };
    await conflictAs(this.context.store.instances.register(instance), () => alreadyExists('InstanceNameAlreadyRegisteredException', `The on-premises instance name ${instanceName} is already registered`));
    return instance;
  }

  /**
   * An agent that starts with `--instance-name`: the instance is registered with the agent's tags,
   * or, when already registered, bound to this agent (tags replaced only when the agent gives some).
   */
  async registerAgentInstance(instanceName: string, tags: readonly Tag[], agentId: string): Promise<OnPremisesInstance> {
    const existing = await this.context.store.instances.get(instanceName);
    if (existing === undefined || existing.deregisterTime !== undefined) return this.register(instanceName, {}, tags, agentId);
    const updated: OnPremisesInstance = { ...existing, agentId, tags: tags.length > 0 ? checkTags(tags) : existing.tags };
    await this.context.store.instances.update(updated);
    return updated;
  }

  async deregister(instanceName: string): Promise<void> {
    const instance = await this.get(instanceName);
    if (instance.deregisterTime !== undefined) return;
    await this.context.store.instances.update({ ...instance, deregisterTime: this.context.clock() });
  }

  async get(instanceName: string): Promise<OnPremisesInstance> {
    const found = await this.context.store.instances.get(instanceName);
    if (!found) throw notFound('InstanceNotRegisteredException', `The on-premises instance ${instanceName} is not registered`);
    return found;
  }

  async getMany(names: readonly string[]): Promise<OnPremisesInstance[]> {
    if (names.length > 100) throw invalid('BatchLimitExceededException', 'At most 100 instance names per call');
    return this.context.store.instances.getMany(names);
  }

  /** ListOnPremisesInstances: registered ones by default; with tag filters, those matching any. */
  async list(registrationStatus: 'Registered' | 'Deregistered' | undefined, tagFilters: readonly TagFilter[] = []): Promise<OnPremisesInstance[]> {
    const all = await this.context.store.instances.list({ registrationStatus });
    return tagFilters.length === 0 ? all : all.filter((i) => matchesAnyFilter(i.tags, tagFilters));
  }

  /** A page of registered instances by name (the fleet view), never all of them at once. */
  listRegisteredPage(page: PageRequest): Promise<Page<OnPremisesInstance>> {
    return this.context.store.instances.listPage({ registrationStatus: 'Registered' }, page);
  }

  async addTags(tags: readonly Tag[], instanceNames: readonly string[]): Promise<void> {
    const add = checkTags(tags);
    for (const instance of await this.every(instanceNames)) {
      const kept = instance.tags.filter((t) => !add.some((a) => a.Key === t.Key));
      await this.context.store.instances.update({ ...instance, tags: checkTags([...kept, ...add]) });
    }
  }

  async removeTags(tags: readonly Tag[], instanceNames: readonly string[]): Promise<void> {
    for (const instance of await this.every(instanceNames)) {
      const left = instance.tags.filter((t) => !tags.some((r) => r.Key === t.Key && (r.Value === undefined || r.Value === (t.Value ?? ''))));
      await this.context.store.instances.update({ ...instance, tags: left });
    }
  }

  /** Records the outcome of a deployment on an instance (its health for the next one). */
  async recordDeployment(instanceName: string, groupId: string, entry: OnPremisesInstance['lastDeployments'][string]): Promise<void> {
    const instance = await this.context.store.instances.get(instanceName);
    if (!instance) return;
    await this.context.store.instances.update({ ...instance, lastDeployments: { ...instance.lastDeployments, [groupId]: entry } }).catch((error: unknown) => {
      if (!(error instanceof NagareError && error.code === 'STORE_NOT_FOUND')) throw error;
    });
  }

  private async every(names: readonly string[]): Promise<OnPremisesInstance[]> {
    if (names.length === 0) throw invalid('InstanceNameRequiredException', 'Name at least one instance');
    return Promise.all(names.map((n) => this.get(n)));
  }
}

function checkTags(tags: readonly Tag[]): Tag[] {
  if (tags.length > MAX_TAGS) throw invalid('InstanceLimitExceededException', `An instance may have at most ${MAX_TAGS} tags`);
  for (const tag of tags) {
    if (tag.Key.length < 1 || tag.Key.length > 128 || (tag.Value ?? '').length > 256) throw invalid('InvalidTagException', `Tag keys are 1 to 128 characters and values at most 256: ${tag.Key}`);
  }
  return tags.map((t) => ({ Key: t.Key, Value: t.Value ?? '' }));
}
