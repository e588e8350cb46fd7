/** `nagare rule put|list|delete`: EventBridge-style rules that start pipelines and builds on events or schedules. */
import type { Command } from 'commander';
import { NagareError } from '../../core/errors.js';
import type { ClientFlags } from '../../config/server-config.js';
import type { Json } from '../../client/nagare-client.js';
import { clientFrom, table, text, withClientOptions } from '../client-options.js';
import type { CommandOutcome } from '../outcome.js';

type PutFlags = ClientFlags & { pattern?: string; schedule?: string; startPipeline: string[]; startBuild: string[]; region: string; disabled?: boolean; description?: string };

export function registerRuleCommands(program: Command, done: (outcome: CommandOutcome) => void): void {
  const rule = program.command('rule').description('Manage EventBridge-style rules: start pipelines or builds on matching events or on a schedule');
  const collect = (value: string, all: string[]): string[] => [...all, value];

  withClientOptions(rule.command('put <name>'))
    .description('Create or replace a rule with its targets')
    .option('--pattern <json>', 'an EventBridge event pattern, e.g. \'{"detail-type":["CodePipeline Pipeline Execution State Change"],"detail":{"pipeline":["a"],"state":["SUCCEEDED"]}}\'')
    .option('--schedule <expression>', 'rate(5 minutes) or cron(0 2 * * ? *) (UTC)')
    .option('--start-pipeline <name>', 'start this pipeline when the rule fires (repeatable)', collect, [])
    .option('--start-build <project>', 'start a build of this project when the rule fires (repeatable)', collect, [])
    .option('--region <region>', 'the server\'s region, for the target ARNs', 'us-east-1')
    .option('--description <text>', 'what the rule is for')
    .option('--disabled', 'create it disabled')
    .action(async (name: string, flags: PutFlags) => {
      const { client, config } = clientFrom(flags);
      if (flags.pattern === undefined && flags.schedule === undefined) throw new NagareError('CONFIG_INVALID', 'Give --pattern, --schedule, or both');
      const account = '000000000000';
      const targets = [
        ...flags.startPipeline.map((p) => ({ Id: `pipeline-${p}`.slice(0, 64), Arn: `arn:aws:codepipeline:${flags.region}:${account}:${p}` })),
        ...flags.startBuild.map((p) => ({ Id: `build-${p}`.slice(0, 64), Arn: `arn:aws:codebuild:${flags.region}:${account}:project/${p}` })),
      ];
      const body: Json = {
        ...(flags.pattern === undefined ? {} : { EventPattern: flags.pattern }),
        ...(flags.schedule === undefined ? {} : { ScheduleExpression: flags.schedule }),
        ...(flags.description === undefined ? {} : { Description: flags.description }),
        State: flags.disabled ? 'DISABLED' : 'ENABLED',
        ...(targets.length > 0 ? { Targets: targets } : {}),
      };
      const put = await client.putRule(name, body);
      if (put.FailedEntryCount > 0) throw new NagareError('API_INVALID_INPUT', `Rule ${name} was saved, but ${put.FailedEntryCount} targets were refused: ${put.FailedEntries.map((f) => text(f.ErrorMessage)).join('; ')}`);
      done({ kind: 'output', json: config.json, value: put, text: `Put rule ${name}\n${put.RuleArn}\n` });
    });

  withClientOptions(rule.command('list'))
    .description('List rules with their patterns, schedules and targets')
    .action(async (flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const { Rules: rules } = await client.listRules();
      const rows = rules.map((r) => [text(r.Name), text(r.State), text(r.ScheduleExpression ?? r.EventPattern), (r.Targets as Json[]).map((t) => text(t.Arn).replace(/^arn:aws:\w+:[^:]*:\d+:/, '')).join(', ')]);
      done({ kind: 'output', json: config.json, value: rules, text: table(['NAME', 'STATE', 'PATTERN OR SCHEDULE', 'TARGETS'], rows) });
    });

  withClientOptions(rule.command('delete <name>'))
    .description('Delete a rule and its targets')
    .action(async (name: string, flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const deleted = await client.deleteRule(name);
      done({ kind: 'output', json: config.json, value: deleted, text: `Deleted rule ${name}\n` });
    });
}
