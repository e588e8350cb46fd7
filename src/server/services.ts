/** The use cases of the server, built once by the composition root and handed to the HTTP layer. */
import { AgentsService } from './agents/agents-service.js';
import { AuthService } from './auth/auth-service.js';
import { BuildBatchesService } from './builds/build-batches-service.js';
import { SessionService } from './auth/session-service.js';
import { BuildsService } from './builds/builds-service.js';
import { ExternalRepositoriesService } from './repositories/external-repositories.js';
import { EventRulesService } from './events/event-rules-service.js';
import { EventsService } from './events/events-service.js';
import { NotificationOutbox, type OutboxOptions } from './events/notification-outbox.js';
import { NotificationsService } from './events/notifications-service.js';
import { IntervalRunner } from './interval-runner.js';
import { ParametersService } from './parameters/parameters-service.js';
import { PipelinesService } from './pipelines/pipelines-service.js';
import { FleetsService } from './agents/fleets-service.js';
import { ProjectsService } from './builds/projects-service.js';
import { RepositoriesService } from './repositories/repositories-service.js';
import type { ServerContext } from './server-context.js';
import { ApplicationsService } from './deployments/applications-service.js';
import { DeploymentConfigsService } from './deployments/deployment-configs-service.js';
import { DeploymentsService } from './deployments/deployments-service.js';
import { InstancesService } from './deployments/instances-service.js';
import { RevisionsService } from './deployments/revisions-service.js';

export interface Services {
  readonly context: ServerContext;
  readonly projects: ProjectsService;
  readonly fleets: FleetsService;
  readonly builds: BuildsService;
  /** Build batches (StartBuildBatch): their builds are ordinary builds of `builds`. */
  readonly buildBatches: BuildBatchesService;
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
  /** CodeDeploy: applications with their groups, configurations, revisions, instances, deployments. */
  readonly deployments: DeploymentsService;
  /** The event log (AWS event shapes) for readers: pages and the live stream. */
  readonly events: EventsService;
  readonly notifications: NotificationsService;
  /** Delivers notification rules' events (a component of the interval runner). */
  readonly notificationOutbox: NotificationOutbox;
  /** EventBridge-style rules: patterns and schedules that start pipelines and builds. */
  readonly eventRules: EventRulesService;
}

/** Where the services keep files of their own, apart from the store and blobs. */
export interface ServiceOptions {
  /** The directory of the hosted repositories (`<data-dir>/repositories`). */
  readonly repositoriesDir: string;
  /** This server as recorded in the components' last runs (host and process id). */
  readonly serverName?: string;
  /** Retries, back-off and timeouts of notification deliveries (tests shorten them). */
  readonly notificationOutbox?: OutboxOptions | undefined;
}

export function createServices(context: ServerContext, options: ServiceOptions): Services {
  const repositories = new RepositoriesService(context, options.repositoriesDir);
  const deployments = createDeploymentsService(context, repositories);
  const notifications = new NotificationsService(context);
  const pipelines = new PipelinesService(context);
  const fleets = new FleetsService(context);
  const builds = new BuildsService(context, fleets);
  return {
    context,
    projects: new ProjectsService(context),
    fleets,
    builds,
    buildBatches: new BuildBatchesService(context, builds),
    agents: new AgentsService(context, deployments.effects),
    parameters: new ParametersService(context),
    auth: new AuthService(context),
    sessions: new SessionService(context),
    repositories,
    externalRepositories: new ExternalRepositoriesService(context, repositories),
    pipelines,
    intervalRunner: new IntervalRunner(context, options.serverName ?? 'server'),
    deployments,
    events: new EventsService(context),
    notifications,
    notificationOutbox: new NotificationOutbox(context, notifications, options.notificationOutbox),
    eventRules: new EventRulesService(context, pipelines, builds),
  };
}

function createDeploymentsService(context: ServerContext, repositories: RepositoriesService): DeploymentsService {
  const configs = new DeploymentConfigsService(context);
  return new DeploymentsService(context, new ApplicationsService(context, configs), configs, new RevisionsService(context, repositories), new InstancesService(context));
}
