/** The use cases of the server, built once by the composition root and handed to the HTTP layer. */
import { AgentsService } from './agents/agents-service.js';
import { AuthService } from './auth/auth-service.js';
import { SessionService } from './auth/session-service.js';
import { BuildsService } from './builds/builds-service.js';
import { ExternalRepositoriesService } from './repositories/external-repositories.js';
import { IntervalRunner } from './interval-runner.js';
import { ParametersService } from './parameters/parameters-service.js';
import { PipelinesService } from './pipelines/pipelines-service.js';
import { FleetsService } from './agents/fleets-service.js';
import { ProjectsService } from './builds/projects-service.js';
import { RepositoriesService } from './repositories/repositories-service.js';
import type { ServerContext } from './server-context.js';

export interface Services {
  readonly context: ServerContext;
  readonly projects: ProjectsService;
  readonly fleets: FleetsService;
  readonly builds: BuildsService;
  readonly agents: AgentsService;
  readonly parameters: ParametersService;
  readonly auth: AuthService;
  /** Dashboard sign-in: API token → sealed session cookie. */
  readonly sessions: SessionService;
  readonly repositories: RepositoriesService;
  /** Hosted repositories that mirror a git URL (polled, and fetched on signed webhooks). */
  readonly externalRepositories: ExternalRepositoriesService;
  readonly pipelines: PipelinesService;
  /** Periodic work (the composition root registers the components); listed at /api/v1/components. */
  readonly intervalRunner: IntervalRunner;
}

/** Where the services keep files of their own, apart from the store and blobs. */
export interface ServiceOptions {
  /** The directory of the hosted repositories (`<data-dir>/repositories`). */
  readonly repositoriesDir: string;
  /** This server as recorded in the components' last runs (host and process id). */
  readonly serverName?: string;
}

export function createServices(context: ServerContext, options: ServiceOptions): Services {
  const repositories = new RepositoriesService(context, options.repositoriesDir);
  return {
    context,
    projects: new ProjectsService(context),
    fleets: new FleetsService(context),
    builds: new BuildsService(context),
    agents: new AgentsService(context),
    parameters: new ParametersService(context),
    auth: new AuthService(context),
    sessions: new SessionService(context),
    repositories,
    externalRepositories: new ExternalRepositoriesService(context, repositories),
    pipelines: new PipelinesService(context),
    intervalRunner: new IntervalRunner(context, options.serverName ?? 'server'),
  };
}
