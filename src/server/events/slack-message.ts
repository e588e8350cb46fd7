/**
 * An event as a Slack incoming-webhook message: one line a person reads at a glance, with a link
 * to what it is about on the dashboard.
 */
import type { AwsEvent } from '../../core/aws-event.js';

export function slackMessage(event: AwsEvent, publicUrl: string): { text: string } {
  const d = event.detail;
  const str = (key: string): string => (typeof d[key] === 'string' ? d[key] : typeof d[key] === 'number' ? String(d[key]) : '');
  switch (event['detail-type']) {
    case 'CodeBuild Build State Change': {
      const id = str('build-id').replace(/^.*:build\//, '');
      return { text: `Build ${id} of project ${str('project-name')}: ${str('build-status')} <${publicUrl}/builds/${encodeURIComponent(id)}|open>` };
    }
    case 'CodeBuild Build Phase Change': {
      const id = str('build-id').replace(/^.*:build\//, '');
      return { text: `Build ${id}: phase ${str('completed-phase')} ${str('completed-phase-status')} <${publicUrl}/builds/${encodeURIComponent(id)}|open>` };
    }
    case 'CodePipeline Pipeline Execution State Change':
    case 'CodePipeline Stage Execution State Change':
    case 'CodePipeline Action Execution State Change': {
      const where = [str('stage') && `stage ${str('stage')}`, str('action') && `action ${str('action')}`].filter(Boolean).join(', ');
      const link = `${publicUrl}/pipelines/${encodeURIComponent(str('pipeline'))}/executions/${encodeURIComponent(str('execution-id'))}`;
      return { text: `Pipeline ${str('pipeline')}${where ? ` (${where})` : ''}: ${str('state')}, execution ${str('execution-id')} <${link}|open>` };
    }
    case 'CodeCommit Repository State Change':
      return { text: `Repository ${str('repositoryName')}: ${str('referenceFullName')} ${str('event').replace(/^reference/, '').toLowerCase()} at ${str('commitId') || str('oldCommitId')} <${publicUrl}/repositories/${encodeURIComponent(str('repositoryName'))}|open>` };
    case 'CodeDeploy Deployment State-change Notification':
    case 'CodeDeploy Instance State-change Notification': {
      const instance = str('instanceId') ? ` on instance ${str('instanceId')}` : '';
      return { text: `Deployment ${str('deploymentId')} of ${str('application')}/${str('deploymentGroup')}${instance}: ${str('state')}` };
    }
    default:
      return { text: `${event['detail-type']} from ${event.source} at ${event.time}` };
  }
}
