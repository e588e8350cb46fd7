/**
 * `nagare events [--follow] [--type …] [--json]`: the server's event log (AWS event shapes), and
 * `nagare notification-rule create|list|show|delete|test|event-types`: who is told of which events;
 * `nagare trace ID`: the events of one trace as a timeline.
 */
import type { Command } from 'commander';
import { NagareError } from '../../core/errors.js';
import type { ClientFlags } from '../../config/server-config.js';
import type { Json } from '../../client/nagare-client.js';
import { blockingWrite } from '../blocking-write.js';
import { clientFrom, table, text, withClientOptions } from '../client-options.js';
import type { CommandOutcome } from '../outcome.js';

type EventsFlags = ClientFlags & { follow?: boolean; type: string[]; after?: string; limit: string };

function eventLine(sequence: number, event: Json): string {
  const detail = (event.detail ?? {}) as Json;
  const what = [detail['project-name'], detail.pipeline, detail.repositoryName, detail.stage, detail.action, detail['completed-phase']].filter((v) => v !== undefined).map(text).join(' ');
  const state = detail['build-status'] ?? detail.state ?? detail.event ?? detail['completed-phase-status'];
  return `${sequence}\t${text(event.time)}\t${text(event['detail-type'])}\t${what}\t${text(state)}\n`;
}

export function registerEventCommands(program: Command, done: (outcome: CommandOutcome) => void): void {
  withClientOptions(program.command('events'))
    .description('Print the event log (EventBridge-shaped CodeBuild, CodePipeline and CodeCommit events); --follow keeps printing new ones')
    .option('-f, --follow', 'keep printing events as they happen (Ctrl-C stops)')
    .option('-t, --type <detail-type>', 'only events of this detail-type, e.g. "CodeBuild Build State Change" (repeatable)', (value: string, all: string[]) => [...all, value], [])
    .option('--after <sequence>', 'only events after this sequence number (default: the start; with --follow: from now)')
    .option('-n, --limit <count>', 'at most this many events without --follow', '100')
    .action(async (flags: EventsFlags) => {
      const { client, config } = clientFrom(flags);
      const after = flags.after === undefined ? undefined : Number(flags.after);
      if (after !== undefined && !(Number.isSafeInteger(after) && after >= 0)) throw new NagareError('CONFIG_INVALID', '--after takes a sequence number (0 or more)');
      if (!flags.follow) {
        const page = await client.listEvents(after ?? 0, Number(flags.limit), flags.type);
        done({ kind: 'output', json: config.json, value: page, text: page.events.map((e) => eventLine(e.sequence, e.event)).join('') });
        return;
      }
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      try {
        await client.followEvents(after ?? 'latest', flags.type, (sequence, event) => blockingWrite(1, config.json ? `${JSON.stringify({ sequence, event })}\n` : eventLine(sequence, event)), stop.signal);
      } catch (error) {
        if (!stop.signal.aborted) throw error;
      }
      done({ kind: 'output', json: false, value: null, text: '' });
    });

  withClientOptions(program.command('trace <trace-id>'))
    .description('Print everything one trace touched (a pipeline execution and its builds), as a timeline; the id is NAGARE_TRACE_ID of a build')
    .action(async (traceId: string, flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const events: { sequence: number; event: Json }[] = [];
      for (let after = 0; ; ) {
        const page = await client.listEvents(after, 1000, [], traceId);
        events.push(...page.events);
        if (page.events.length < 1000) break;
        after = page.nextAfter;
      }
      if (events.length === 0) throw new NagareError('API_NOT_FOUND', `No event carries the trace id ${traceId}`);
      done({ kind: 'output', json: config.json, value: events, text: events.map((e) => eventLine(e.sequence, e.event)).join('') });
    });

  const rule = program.command('notification-rule').description('Manage notification rules: which events of a pipeline, project, repository or application are POSTed to a webhook or Slack');

  withClientOptions(rule.command('create <name>'))
    .description('Create a notification rule (needs the admin token)')
    .option('--pipeline <name>', 'watch this pipeline')
    .option('--project <name>', 'watch this build project')
    .option('--repository <name>', 'watch this repository')
    .option('--application <name>', 'watch the deployments of this CodeDeploy application')
    .option('--resource <arn>', 'watch this resource ARN (instead of --pipeline/--project/--repository/--application)')
    .option('--region <region>', 'the server\'s region, for the ARN', 'us-east-1')
    .requiredOption('-e, --event <id>', 'an event type id, e.g. codepipeline-pipeline-manual-approval-needed (repeatable; see event-types)', (value: string, all: string[]) => [...all, value], [])
    .option('--webhook-url <url>', 'POST each event (JSON, signed) to this URL')
    .option('--slack-url <url>', 'POST a readable message to this Slack incoming webhook')
    .option('--secret <secret>', 'sign webhook bodies with HMAC-SHA256 of this secret (X-Nagare-Signature)')
    .option('--secret-name <name>', 'sign with a secret stored by `nagare secret put`')
    .action(async (name: string, flags: ClientFlags & { pipeline?: string; project?: string; repository?: string; application?: string; resource?: string; region: string; event: string[]; webhookUrl?: string; slackUrl?: string; secret?: string; secretName?: string }) => {
      const { client, config } = clientFrom(flags);
      const account = '000000000000';
      const resources = [
        flags.pipeline && `arn:aws:codepipeline:${flags.region}:${account}:${flags.pipeline}`,
        flags.project && `arn:aws:codebuild:${flags.region}:${account}:project/${flags.project}`,
        flags.repository && `arn:aws:codecommit:${flags.region}:${account}:${flags.repository}`,
        flags.application && `arn:aws:codedeploy:${flags.region}:${account}:application:${flags.application}`,
        flags.resource,
      ].filter((r): r is string => typeof r === 'string' && r !== '');
      if (resources.length !== 1) throw new NagareError('CONFIG_INVALID', 'Give exactly one of --pipeline, --project, --repository, --application or --resource');
      const targets = [
        ...(flags.webhookUrl ? [{ TargetType: 'Webhook', TargetAddress: flags.webhookUrl, ...(flags.secret === undefined ? {} : { Secret: flags.secret }), ...(flags.secretName === undefined ? {} : { SecretName: flags.secretName }) }] : []),
        ...(flags.slackUrl ? [{ TargetType: 'Slack', TargetAddress: flags.slackUrl }] : []),
      ];
      if (targets.length === 0) throw new NagareError('CONFIG_INVALID', 'Give a target: --webhook-url URL --secret S, or --slack-url URL');
      const created = await client.createNotificationRule({ Name: name, EventTypeIds: flags.event, Resource: resources[0], Targets: targets, DetailType: 'FULL' });
      done({ kind: 'output', json: config.json, value: created, text: `Created notification rule ${name}\n${created.Arn}\n` });
    });

  withClientOptions(rule.command('list'))
    .description('List notification rules')
    .action(async (flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const { NotificationRules: rules } = await client.listNotificationRules();
      done({ kind: 'output', json: config.json, value: rules, text: table(['NAME', 'STATUS', 'RESOURCE', 'ARN'], rules.map((r) => [text(r.Name), text(r.Status), text(r.Resource), text(r.Arn)])) });
    });

  withClientOptions(rule.command('show <name-or-arn>'))
    .description('Show a rule, its targets, its delivery counts and its dead-letter list')
    .action(async (nameOrArn: string, flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const shown = await client.describeNotificationRule(nameOrArn);
      const targets = (shown.Targets as Json[]).map((t) => `  ${text(t.TargetType)} ${text(t.TargetAddress)}${t.Signed === true ? ' (signed)' : ''}`);
      const counts = shown.deliveries as Json;
      const dead = (shown.deadLetters as Json[]).map((d) => `  event ${text(d.eventSequence)} to ${text(d.targetAddress)}: ${text(d.attempts)} tries, ${text(d.lastError)} (delivery ${text(d.deliveryId)})`);
      const lines = [
        `Name:        ${text(shown.Name)}`,
        `ARN:         ${text(shown.Arn)}`,
        `Resource:    ${text(shown.Resource)}`,
        `Status:      ${text(shown.Status)}`,
        `Event types: ${(shown.EventTypes as Json[]).map((e) => text(e.EventTypeId)).join(', ')}`,
        'Targets:',
        ...targets,
        `Deliveries:  ${text(counts.DELIVERED)} delivered, ${text(counts.PENDING)} pending, ${text(counts.DEAD)} dead`,
        ...(dead.length > 0 ? ['Dead letters:', ...dead] : []),
      ];
      done({ kind: 'output', json: config.json, value: shown, text: `${lines.join('\n')}\n` });
    });

  withClientOptions(rule.command('delete <name-or-arn>'))
    .description('Delete a notification rule and its undelivered notifications')
    .action(async (nameOrArn: string, flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const deleted = await client.deleteNotificationRule(nameOrArn);
      done({ kind: 'output', json: config.json, value: deleted, text: `Deleted notification rule ${deleted.Arn}\n` });
    });

  withClientOptions(rule.command('test <name-or-arn>'))
    .description('Send a test event to each target of the rule now and say what each answered')
    .action(async (nameOrArn: string, flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const { results } = await client.testNotificationRule(nameOrArn);
      const failed = results.filter((r) => !r.delivered);
      const lines = results.map((r) => `${r.delivered ? 'delivered' : 'FAILED   '} ${r.TargetAddress}${r.error ? `: ${r.error}` : ''}`);
      if (failed.length > 0) throw new NagareError('NOTIFICATION_TARGET_FAILED', `${failed.length} of ${results.length} targets did not accept the test event:\n${lines.join('\n')}`);
      done({ kind: 'output', json: config.json, value: results, text: `${lines.join('\n')}\n` });
    });

  withClientOptions(rule.command('event-types'))
    .description('List the event type ids a rule can name')
    .action(async (flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const { EventTypes: types } = await client.listNotificationEventTypes();
      done({ kind: 'output', json: config.json, value: types, text: table(['EVENT TYPE ID', 'SERVICE', 'NAME'], types.map((t) => [text(t.EventTypeId), text(t.ServiceName), text(t.EventTypeName)])) });
    });
}
