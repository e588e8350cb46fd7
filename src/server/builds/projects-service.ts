/**
 * Build projects, as CodeBuild's CreateProject, UpdateProject, DeleteProject, BatchGetProjects and
 * ListProjects see them. Input arrives validated (src/api/project-input.ts); this service applies
 * CodeBuild's defaults and rules that need the store.
 *
 * Errors: API_ALREADY_EXISTS, API_NOT_FOUND, API_INVALID_INPUT.
 */
import { NagareError } from '../../core/errors.js';
import {
  DEFAULT_QUEUED_TIMEOUT_MINUTES,
  DEFAULT_TIMEOUT_MINUTES,
  type BuildProject,
  type EnvironmentVariable,
  type ProjectArtifacts,
  type ProjectCache,
  type ProjectLogsConfig,
  type ProjectSource,
  type RegistryCredential,
  type Tag,
} from '../../core/project.js';
import type { Page, PageRequest } from '../../core/store.js';
import { fleetNameOf } from '../agents/fleets-service.js';
import type { ServerContext } from '../server-context.js';

/** A project as CreateProject takes it: everything but the name optional where CodeBuild allows. */
export interface ProjectInput {
  readonly name: string;
  readonly description?: string | undefined;
  readonly source: { readonly type: ProjectSource['type']; readonly location?: string | undefined; readonly buildspec?: string | undefined; readonly gitCloneDepth?: number | undefined };
  readonly sourceVersion?: string | undefined;
  readonly environment: {
    readonly type?: string | undefined;
    readonly image: string;
    readonly computeType?: string | undefined;
    readonly environmentVariables?: readonly EnvironmentVariable[] | undefined;
    readonly privilegedMode?: boolean | undefined;
    readonly registryCredential?: RegistryCredential | undefined;
    readonly fleet?: { readonly fleetArn: string } | undefined;
  };
  readonly artifacts: ProjectArtifacts;
  readonly secondaryArtifacts?: readonly ProjectArtifacts[] | undefined;
  readonly cache?: { readonly type: ProjectCache['type']; readonly modes?: readonly string[] | undefined } | undefined;
  readonly timeoutInMinutes?: number | undefined;
  readonly queuedTimeoutInMinutes?: number | undefined;
  readonly concurrentBuildLimit?: number | undefined;
  readonly tags?: readonly Tag[] | undefined;
  readonly serviceRole?: string | undefined;
  readonly encryptionKey?: string | undefined;
  readonly logsConfig?: ProjectLogsConfig | undefined;
}

export class ProjectsService {
  constructor(private readonly context: ServerContext) {}

  async create(input: ProjectInput): Promise<BuildProject> {
    const now = this.context.clock();
    const project = await this.withFleet(this.compile(input, now, now));
    if (await this.context.store.projects.get(project.name)) {
      throw new NagareError('API_ALREADY_EXISTS', `Project already exists: ${project.name}`);
    }
    await this.context.store.projects.create(project).catch((error: unknown) => {
      if (error instanceof NagareError && error.code === 'STORE_CONFLICT') throw new NagareError('API_ALREADY_EXISTS', `Project already exists: ${project.name}`);
      throw error;
    });
    return project;
  }

  /** UpdateProject: the given fields replace the stored ones; the rest stay. */
  async update(name: string, changes: Partial<Omit<ProjectInput, 'name'>>): Promise<BuildProject> {
    const existing = await this.get(name);
    const merged: ProjectInput = {
      name,
      description: changes.description ?? existing.description,
      source: changes.source ?? existing.source,
      sourceVersion: changes.sourceVersion ?? existing.sourceVersion,
      environment: changes.environment ?? existing.environment,
      artifacts: changes.artifacts ?? existing.artifacts,
      secondaryArtifacts: changes.secondaryArtifacts ?? existing.secondaryArtifacts,
      cache: changes.cache ?? existing.cache,
      timeoutInMinutes: changes.timeoutInMinutes ?? existing.timeoutInMinutes,
      queuedTimeoutInMinutes: changes.queuedTimeoutInMinutes ?? existing.queuedTimeoutInMinutes,
      concurrentBuildLimit: changes.concurrentBuildLimit ?? existing.concurrentBuildLimit,
      tags: changes.tags ?? existing.tags,
      serviceRole: changes.serviceRole ?? existing.serviceRole,
      encryptionKey: changes.encryptionKey ?? existing.encryptionKey,
      logsConfig: changes.logsConfig ?? existing.logsConfig,
    };
    const project = await this.withFleet(this.compile(merged, existing.created, this.context.clock()));
    await this.context.store.projects.update(project);
    return project;
  }

  async delete(name: string): Promise<void> {
    if (!(await this.context.store.projects.delete(name))) throw notFound(name);
  }

  async get(name: string): Promise<BuildProject> {
    const project = await this.context.store.projects.get(name);
    if (!project) throw notFound(name);
    return project;
  }

  async batchGet(names: readonly string[]): Promise<{ projects: BuildProject[]; notFound: string[] }> {
    const projects = await this.context.store.projects.getMany(names);
    const found = new Set(projects.map((p) => p.name));
    return { projects, notFound: names.filter((n) => !found.has(n)) };
  }

  list(page: PageRequest): Promise<Page<string>> {
    return this.context.store.projects.list(page);
  }

  /** The fleet must exist (as CodeBuild checks); a name is accepted too and stored as the fleet's ARN. */
  private async withFleet(project: BuildProject): Promise<BuildProject> {
    const asked = project.environment.fleet?.fleetArn;
    if (asked === undefined) return project;
    const fleet = await this.context.store.fleets.get(fleetNameOf(asked));
    if (!fleet || (asked.startsWith('arn:') && fleet.arn !== asked)) throw invalid(`environment.fleet.fleetArn names no fleet: ${asked}; create it first with CreateFleet`);
    return { ...project, environment: { ...project.environment, fleet: { fleetArn: fleet.arn } } };
  }

  private compile(input: ProjectInput, created: number, lastModified: number): BuildProject {
    const { region, accountId } = this.context.settings;
    const timeout = input.timeoutInMinutes ?? DEFAULT_TIMEOUT_MINUTES;
    const queued = input.queuedTimeoutInMinutes ?? DEFAULT_QUEUED_TIMEOUT_MINUTES;
    if (timeout < 5 || timeout > 2160) throw invalid(`timeoutInMinutes must be from 5 to 2160, not ${timeout}`);
    if (queued < 5 || queued > 480) throw invalid(`queuedTimeoutInMinutes must be from 5 to 480, not ${queued}`);
    if (input.concurrentBuildLimit !== undefined && input.concurrentBuildLimit < 1) throw invalid('concurrentBuildLimit must be at least 1');
    if (input.source.type === 'NO_SOURCE' && !input.source.buildspec) throw invalid('A NO_SOURCE project needs source.buildspec (an inline buildspec)');
    if (input.source.type === 'GIT' && !input.source.location) throw invalid('A GIT project needs source.location (a git URL or a path on the agent)');
    const names = new Set<string>();
    for (const variable of input.environment.environmentVariables ?? []) {
      if (variable.name.startsWith('CODEBUILD_')) throw invalid(`Environment variable names starting with CODEBUILD_ are reserved: ${variable.name}`);
      if (names.has(variable.name)) throw invalid(`Environment variable ${variable.name} is given twice`);
      names.add(variable.name);
    }
    return {
      name: input.name,
      arn: `arn:aws:codebuild:${region}:${accountId}:project/${input.name}`,
      description: input.description,
      source: { type: input.source.type, location: input.source.location, buildspec: input.source.buildspec, gitCloneDepth: input.source.gitCloneDepth },
      sourceVersion: input.sourceVersion,
      environment: {
        type: 'LINUX_CONTAINER',
        image: input.environment.image,
        computeType: input.environment.computeType ?? 'BUILD_GENERAL1_SMALL',
        environmentVariables: input.environment.environmentVariables ?? [],
        privilegedMode: input.environment.privilegedMode ?? false,
        ...(input.environment.registryCredential ? { registryCredential: input.environment.registryCredential } : {}),
        ...(input.environment.fleet ? { fleet: input.environment.fleet } : {}),
      },
      artifacts: input.artifacts,
      secondaryArtifacts: input.secondaryArtifacts ?? [],
      cache: { type: input.cache?.type ?? 'NO_CACHE', modes: input.cache?.modes ?? [] },
      timeoutInMinutes: timeout,
      queuedTimeoutInMinutes: queued,
      concurrentBuildLimit: input.concurrentBuildLimit,
      tags: input.tags ?? [],
      ...(input.serviceRole === undefined ? {} : { serviceRole: input.serviceRole }),
      ...(input.encryptionKey === undefined ? {} : { encryptionKey: input.encryptionKey }),
      ...(input.logsConfig === undefined ? {} : { logsConfig: input.logsConfig }),
      created,
      lastModified,
    };
  }
}

function notFound(name: string): NagareError {
  return new NagareError('API_NOT_FOUND', `Project cannot be found: ${name}`, { details: { resource: 'project' } });
}

function invalid(message: string): NagareError {
  return new NagareError('API_INVALID_INPUT', message);
}
