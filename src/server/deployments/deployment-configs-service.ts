/**
 * Deployment configurations (reference §2.9): the three built-ins, answered by name and never
 * stored, and custom ones with minimumHealthyHosts HOST_COUNT or FLEET_PERCENT.
 */
import { BUILT_IN_DEPLOYMENT_CONFIGS, type DeploymentConfig } from '../../core/deployment-rollout-health.js';
import type { ServerContext } from '../server-context.js';
import { alreadyExists, checkName, conflictAs, deployError, invalid, notFound } from './deploy-errors.js';

export class DeploymentConfigsService {
  constructor(private readonly context: ServerContext) {}

  async create(name: string, minimumHealthyHosts: { readonly type?: string | undefined; readonly value?: number | undefined } | undefined, extra: readonly string[] = []): Promise<DeploymentConfig> {
    checkName(name, 'deployment configuration name', 'InvalidDeploymentConfigNameException');
    if (BUILT_IN_DEPLOYMENT_CONFIGS.some((c) => c.deploymentConfigName === name) || name.startsWith('CodeDeployDefault.')) {
      throw alreadyExists('DeploymentConfigAlreadyExistsException', `Deployment configuration ${name} already exists (CodeDeployDefault. names are reserved)`);
    }
    const unsupported = extra[0];
    if (unsupported !== undefined) throw deployError('UNSUPPORTED_FEATURE', 'InvalidInputException', `${unsupported} is not supported by nagare yet (it applies to Lambda and ECS deployments); remove it`, { key: unsupported });
    if (minimumHealthyHosts?.type === undefined || minimumHealthyHosts.value === undefined) throw invalid('InvalidMinimumHealthyHostValueException', 'minimumHealthyHosts with a type (HOST_COUNT or FLEET_PERCENT) and a value is required');
    const { type, value } = minimumHealthyHosts;
    if (type !== 'HOST_COUNT' && type !== 'FLEET_PERCENT') throw invalid('InvalidMinimumHealthyHostValueException', `minimumHealthyHosts.type must be HOST_COUNT or FLEET_PERCENT, not ${type}`);
    if (!Number.isInteger(value) || value < 0 || (type === 'FLEET_PERCENT' && value > 99)) {
      throw invalid('InvalidMinimumHealthyHostValueException', type === 'FLEET_PERCENT' ? 'A FLEET_PERCENT minimum must be a whole number from 0 to 99' : 'A HOST_COUNT minimum must be a whole number of at least 0');
    }
    const config: DeploymentConfig = { deploymentConfigName: name, deploymentConfigId: this.context.newId(), minimumHealthyHosts: { type, value }, computePlatform: 'Server', createTime: this.context.clock(), builtIn: false };
    await conflictAs(this.context.store.deploymentConfigs.create(config), () => alreadyExists('DeploymentConfigAlreadyExistsException', `Deployment configuration ${name} already exists`));
    return config;
  }

  async config(name: string): Promise<DeploymentConfig> {
    const found = BUILT_IN_DEPLOYMENT_CONFIGS.find((c) => c.deploymentConfigName === name) ?? (await this.context.store.deploymentConfigs.get(name));
    if (!found) throw notFound('DeploymentConfigDoesNotExistException', `No deployment configuration found for name: ${name}`);
    return found;
  }

  async list(): Promise<string[]> {
    const custom = await this.context.store.deploymentConfigs.list();
    return [...BUILT_IN_DEPLOYMENT_CONFIGS, ...custom].map((c) => c.deploymentConfigName);
  }

  async delete(name: string): Promise<void> {
    if (BUILT_IN_DEPLOYMENT_CONFIGS.some((c) => c.deploymentConfigName === name)) throw invalid('InvalidOperationException', `The built-in deployment configuration ${name} cannot be deleted`);
    await this.context.store.deploymentConfigs.delete(name);
  }
}
