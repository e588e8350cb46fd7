/**
 * The notification event types (CodeStar Notifications' ids, reference §2.3) and which AWS events
 * each stands for. Adding an event type is adding one entry here.
 */
import type { AwsEvent } from './aws-event.js';

export interface NotificationEventType {
  readonly eventTypeId: string;
  readonly serviceName: 'CodeBuild' | 'CodePipeline' | 'CodeCommit' | 'CodeDeploy';
  readonly eventTypeName: string;
  readonly resourceType: 'Project' | 'Pipeline' | 'Repository' | 'Application';
  /** Whether the event is one of this type (the resource is checked apart). */
  readonly matches: (event: AwsEvent) => boolean;
}

const BUILD_STATE = 'CodeBuild Build State Change';
const BUILD_PHASE = 'CodeBuild Build Phase Change';
const PIPELINE = 'CodePipeline Pipeline Execution State Change';
const STAGE = 'CodePipeline Stage Execution State Change';
const ACTION = 'CodePipeline Action Execution State Change';
const REPOSITORY = 'CodeCommit Repository State Change';
const DEPLOYMENT = 'CodeDeploy Deployment State-change Notification';

function detailIs(detailType: string, key: string, value: string): (event: AwsEvent) => boolean {
  return (event) => event['detail-type'] === detailType && event.detail[key] === value;
}

function isApproval(event: AwsEvent): boolean {
  const type = event.detail.type;
  return event['detail-type'] === ACTION && typeof type === 'object' && type !== null && (type as Record<string, unknown>).category === 'Approval';
}

function entry(eventTypeId: string, serviceName: NotificationEventType['serviceName'], resourceType: NotificationEventType['resourceType'], eventTypeName: string, matches: (event: AwsEvent) => boolean): NotificationEventType {
  return { eventTypeId, serviceName, resourceType, eventTypeName, matches };
}

const build = (status: string, name: string): NotificationEventType => entry(`codebuild-project-build-state-${status.toLowerCase().replace('_', '-')}`, 'CodeBuild', 'Project', `Build state: ${name}`, detailIs(BUILD_STATE, 'build-status', status));
const pipeline = (state: string, name: string): NotificationEventType => entry(`codepipeline-pipeline-pipeline-execution-${state.toLowerCase()}`, 'CodePipeline', 'Pipeline', `Pipeline execution: ${name}`, detailIs(PIPELINE, 'state', state));
const stage = (state: string, name: string): NotificationEventType => entry(`codepipeline-pipeline-stage-execution-${state.toLowerCase()}`, 'CodePipeline', 'Pipeline', `Stage execution: ${name}`, detailIs(STAGE, 'state', state));
const action = (state: string, name: string): NotificationEventType => entry(`codepipeline-pipeline-action-execution-${state.toLowerCase()}`, 'CodePipeline', 'Pipeline', `Action execution: ${name}`, detailIs(ACTION, 'state', state));
const approval = (id: string, state: string, name: string): NotificationEventType => entry(`codepipeline-pipeline-manual-approval-${id}`, 'CodePipeline', 'Pipeline', `Manual approval: ${name}`, (e) => isApproval(e) && e.detail.state === state);
const deployment = (id: string, state: string, name: string): NotificationEventType => entry(`codedeploy-application-deployment-${id}`, 'CodeDeploy', 'Application', `Deployment: ${name}`, detailIs(DEPLOYMENT, 'state', state));
const reference = (id: string, event: string, name: string): NotificationEventType => entry(`codecommit-repository-branches-and-tags-${id}`, 'CodeCommit', 'Repository', `Branches and tags: ${name}`, detailIs(REPOSITORY, 'event', event));

export const NOTIFICATION_EVENT_TYPES: readonly NotificationEventType[] = [
  build('FAILED', 'Failed'),
  build('SUCCEEDED', 'Succeeded'),
  build('IN_PROGRESS', 'In-progress'),
  build('STOPPED', 'Stopped'),
  entry('codebuild-project-build-phase-failure', 'CodeBuild', 'Project', 'Build phase: Failure', (e) => e['detail-type'] === BUILD_PHASE && e.detail['completed-phase-status'] !== 'SUCCEEDED'),
  entry('codebuild-project-build-phase-success', 'CodeBuild', 'Project', 'Build phase: Success', detailIs(BUILD_PHASE, 'completed-phase-status', 'SUCCEEDED')),
  action('SUCCEEDED', 'Succeeded'),
  action('FAILED', 'Failed'),
  action('CANCELED', 'Canceled'),
  action('STARTED', 'Started'),
  stage('STARTED', 'Started'),
  stage('SUCCEEDED', 'Succeeded'),
  stage('RESUMED', 'Resumed'),
  stage('CANCELED', 'Canceled'),
  stage('FAILED', 'Failed'),
  pipeline('FAILED', 'Failed'),
  pipeline('CANCELED', 'Canceled'),
  pipeline('STARTED', 'Started'),
  pipeline('RESUMED', 'Resumed'),
  pipeline('SUCCEEDED', 'Succeeded'),
  pipeline('SUPERSEDED', 'Superseded'),
  approval('failed', 'FAILED', 'Failed'),
  approval('needed', 'STARTED', 'Needed'),
  approval('succeeded', 'SUCCEEDED', 'Succeeded'),
  deployment('failed', 'FAILURE', 'Failed'),
  deployment('succeeded', 'SUCCESS', 'Succeeded'),
  deployment('started', 'START', 'Started'),
  reference('created', 'referenceCreated', 'Created'),
  reference('deleted', 'referenceDeleted', 'Deleted'),
  reference('updated', 'referenceUpdated', 'Updated'),
];

const BY_ID = new Map(NOTIFICATION_EVENT_TYPES.map((type) => [type.eventTypeId, type]));

export function notificationEventType(eventTypeId: string): NotificationEventType | undefined {
  return BY_ID.get(eventTypeId);
}

/**
 * Whether the event concerns the resource: its `resources` name the ARN (a build's project is in
 * `project-name`). An ARN ending in `*` concerns every resource it prefixes
 * (`arn:aws:codepipeline:<region>:<account>:*`: every pipeline).
 */
export function concernsResource(event: AwsEvent, resourceArn: string): boolean {
  if (event.resources.includes(resourceArn)) return true;
  if (resourceArn.endsWith('*')) {
    const prefix = resourceArn.slice(0, -1);
    if (event.resources.some((r) => r.startsWith(prefix))) return true;
  }
  const project = /:project\/(.+)$/.exec(resourceArn)?.[1];
  const name = event.detail['project-name'];
  if (project === undefined || event.source !== 'aws.codebuild' || typeof name !== 'string') return false;
  return project.endsWith('*') ? name.startsWith(project.slice(0, -1)) : name === project;
}
