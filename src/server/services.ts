/** The use cases of the server, built once by the composition root and handed to the HTTP layer. */
import { AgentsService } from './agents-service.js';
import { AuthService } from './auth-service.js';
import { BuildsService } from './builds-service.js';
import { ParametersService } from './parameters-service.js';
import { ProjectsService } from './projects-service.js';
import type { ServerContext } from './server-context.js';

export interface Services {
  readonly context: ServerContext;
  readonly projects: ProjectsService;
  readonly builds: BuildsService;
  readonly agents: AgentsService;
  readonly parameters: ParametersService;
  readonly auth: AuthService;
}

export function createServices(context: ServerContext): Services {
  return {
    context,
    projects: new ProjectsService(context),
    builds: new BuildsService(context),
    agents: new AgentsService(context),
    parameters: new ParametersService(context),
    auth: new AuthService(context),
  };
}
