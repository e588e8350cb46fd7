/**
 * EventBridge-style rules (PutRule, PutTargets, RemoveTargets, ListRules, DescribeRule, DeleteRule,
 * ListTargetsByRule, EnableRule, DisableRule): a rule has an event pattern, a schedule, or both,
 * and targets that start a pipeline execution or a build. Its component (`event-rules`, one server
 * of a cluster) matches the event log after its cursor and fires due schedules.
 *
 * Each firing is idempotent: the execution id or build id is derived from the rule, the target and
 * the cause (the event's id, or the schedule's minute), so a pass repeated after a crash starts
 * nothing twice.
 *
 * Errors: API_INVALID_INPUT (ValidationException, InvalidEventPatternException), API_NOT_FOUND
 * (ResourceNotFoundException), UNSUPPORTED_FEATURE (a pattern operator or cron form not supported yet).
 */
import { createHash } from 'node:crypto';
import type { AwsEvent } from '../../core/aws-event.js';
import { NagareError } from '../../core/errors.js';
import { checkEventPattern, matchesPattern, type Json } from '../../core/event-pattern.js';
import type { EventRule, EventRuleTarget } from '../../core/event-rule.js';
import { nextRun, parseSchedule } from '../../core/schedule-expression.js';
import type { BuildsService } from '../builds/builds-service.js';
import type { Component } from '../interval-runner.js';
import type { PipelinesService } from '../pipelines/pipelines-service.js';
import type { ServerContext } from '../server-context.js';

export interface PutRuleInput {
  readonly Name: string;
  readonly EventPattern?: string | undefined;
  readonly ScheduleExpression?: string | undefined;
  readonly State?: 'ENABLED' | 'DISABLED' | undefined;
  readonly Description?: string | undefined;
  readonly EventBusName?: string | undefined;
}

export interface FailedEntry {
  readonly TargetId: string;
  readonly ErrorCode: string;
  readonly ErrorMessage: string;
}

const NAME = /^[.\-_A-Za-z0-9]{1,64}$/;
const MAX_TARGETS = 5;
const CURSOR = 'event-rules';

function invalid(message: string, awsException = 'ValidationException'): NagareError {
  return new NagareError('API_INVALID_INPUT', message, { details: { awsException } });
}

export class EventRulesService {
  constructor(
    private readonly context: ServerContext,
    private readonly pipelines: PipelinesService,
    private readonly builds: BuildsService,
  ) {}

  async putRule(input: PutRuleInput): Promise<{ RuleArn: string }> {
    if (!NAME.test(input.Name)) throw invalid(`Rule name '${input.Name}' is 1–64 letters, digits, . - _`);
    if (input.EventBusName !== undefined && input.EventBusName !== 'default' && !input.EventBusName.endsWith(':event-bus/default')) {
      throw new NagareError('UNSUPPORTED_FEATURE', `EventBusName ${input.EventBusName}: nagare has the default event bus only`, { details: { feature: 'EventBusName' } });
    }
    if (input.EventPattern === undefined && input.ScheduleExpression === undefined) throw invalid('A rule needs an EventPattern, a ScheduleExpression, or both');
    if (input.EventPattern !== undefined) checkPattern(input.EventPattern);
    const schedule = input.ScheduleExpression === undefined ? undefined : parseSchedule(input.ScheduleExpression);
    if (schedule && 'error' in schedule) {
      if (schedule.unsupported) throw new NagareError('UNSUPPORTED_FEATURE', `ScheduleExpression: ${schedule.error}`, { details: { feature: 'ScheduleExpression' } });
      throw invalid(`ScheduleExpression: ${schedule.error}`);
    }
    const now = this.context.clock();
    const existing = await this.context.store.eventRules.get(input.Name);
    const created = existing?.created ?? now;
    const rule: EventRule = {
      name: input.Name,
      arn: `arn:aws:events:${this.context.settings.region}:${this.context.settings.accountId}:rule/${input.Name}`,
      eventPattern: input.EventPattern,
      scheduleExpression: input.ScheduleExpression,
      state: input.State ?? 'ENABLED',
      description: input.Description,
      targets: existing?.targets ?? [],
      created,
      lastModified: now,
      afterSequence: existing?.afterSequence ?? (await this.context.store.events.lastSequence()),
      nextFireAt: schedule && 'schedule' in schedule ? nextRun(schedule.schedule, now, created) : undefined,
    };
    await this.context.store.eventRules.put(rule);
    return { RuleArn: rule.arn };
  }

  async describeRule(name: string): Promise<EventRule> {
    const rule = await this.context.store.eventRules.get(name);
    if (!rule) throw new NagareError('API_NOT_FOUND', `Rule ${name} does not exist on the default event bus`, { details: { awsException: 'ResourceNotFoundException' } });
    return rule;
  }

  async listRules(namePrefix?: string): Promise<EventRule[]> {
    return (await this.context.store.eventRules.list()).filter((r) => namePrefix === undefined || r.name.startsWith(namePrefix));
  }

  async setState(name: string, state: 'ENABLED' | 'DISABLED'): Promise<void> {
    const rule = await this.describeRule(name);
    await this.context.store.eventRules.put({ ...rule, state, lastModified: this.context.clock() });
  }

  /** DeleteRule: as in AWS, the targets must be removed first. */
  async deleteRule(name: string): Promise<void> {
    const rule = await this.context.store.eventRules.get(name);
    if (!rule) return;
    if (rule.targets.length > 0) throw invalid(`Rule ${name} can't be deleted since it has targets; RemoveTargets first`);
    await this.context.store.eventRules.delete(name);
  }

  /** PutTargets: adds or replaces targets by Id; a target nagare cannot start is a failed entry, not an error. */
  async putTargets(name: string, targets: readonly { readonly Id: string; readonly Arn: string }[]): Promise<{ FailedEntryCount: number; FailedEntries: FailedEntry[] }> {
    const rule = await this.describeRule(name);
    const failed: FailedEntry[] = [];
    const byId = new Map(rule.targets.map((t) => [t.id, t]));
    for (const target of targets) {
      const problem = !NAME.test(target.Id) ? 'Id is 1–64 letters, digits, . - _' : targetKind(target.Arn) === undefined ? `nagare starts pipelines (arn:aws:codepipeline:…:<name>) and build projects (arn:aws:codebuild:…:project/<name>); ${target.Arn} is neither` : undefined;
      if (problem) failed.push({ TargetId: target.Id, ErrorCode: 'ValidationException', ErrorMessage: problem });
      else byId.set(target.Id, { id: target.Id, arn: target.Arn });
    }
    if (byId.size > MAX_TARGETS) throw new NagareError('API_INVALID_INPUT', `A rule has at most ${MAX_TARGETS} targets`, { details: { awsException: 'LimitExceededException' } });
    await this.context.store.eventRules.put({ ...rule, targets: [...byId.values()], lastModified: this.context.clock() });
    return { FailedEntryCount: failed.length, FailedEntries: failed };
  }

  async removeTargets(name: string, ids: readonly string[]): Promise<{ FailedEntryCount: number; FailedEntries: FailedEntry[] }> {
    const rule = await this.describeRule(name);
    await this.context.store.eventRules.put({ ...rule, targets: rule.targets.filter((t) => !ids.includes(t.id)), lastModified: this.context.clock() });
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  component(intervalMs = 1000): Component {
    return { name: 'event-rules', intervalMs, run: () => this.runOnce() };
  }

  /**
   * One pass: the events after the cursor against every enabled pattern rule, then the due
   * schedules. Without an enabled pattern rule no event is read: the cursor moves to the last event,
   * read before the rules (a rule put or enabled after that read is not owed the events before it).
   */
  async runOnce(): Promise<void> {
    const { store, clock } = this.context;
    const enabled = async (): Promise<EventRule[]> => (await store.eventRules.list()).filter((r) => r.state === 'ENABLED');
    const lastStored = await store.events.lastSequence();
    const rules = await enabled();
    if (rules.some((r) => r.eventPattern !== undefined)) await this.matchEvents(enabled);
    else await store.cursors.advance(CURSOR, lastStored);
    const now = clock();
    for (const rule of rules) {
      if (rule.nextFireAt === undefined || rule.nextFireAt > now || rule.scheduleExpression === undefined) continue;
      const parsed = parseSchedule(rule.scheduleExpression);
      await this.fire(rule, `schedule@${rule.nextFireAt}`, undefined);
      await store.eventRules.put({ ...rule, nextFireAt: 'schedule' in parsed ? nextRun(parsed.schedule, now, rule.created) : undefined });
    }
  }

  /** The events after the cursor against the pattern rules. */
  private async matchEvents(enabled: () => Promise<EventRule[]>): Promise<void> {
    const { store } = this.context;
    for (;;) {
      const after = (await store.cursors.get(CURSOR)) ?? 0;
      const events = await store.events.after(after, 500);
      const last = events.at(-1);
      if (!last) break;
      // Read after the events: a rule put since then starts after them (its afterSequence), one put before is listed.
      const rules = await enabled();
      for (const stored of events) {
        for (const rule of rules) {
          if (rule.eventPattern === undefined || stored.sequence <= rule.afterSequence) continue;
          if (matchesPattern(JSON.parse(rule.eventPattern) as { [key: string]: Json }, stored.event as unknown as Json)) await this.fire(rule, stored.event.id, stored.event);
        }
      }
      await store.cursors.advance(CURSOR, last.sequence);
      if (events.length < 500) break;
    }
  }

  private async fire(rule: EventRule, cause: string, event: AwsEvent | undefined): Promise<void> {
    for (const target of rule.targets) {
      try {
        await this.start(rule, target, uuidOf(`${rule.name}/${target.id}/${cause}`), event);
      } catch (error) {
        this.context.logger.warn({ err: error, rule: rule.name, target: target.id }, 'an event rule could not start its target');
      }
    }
  }

  private async start(rule: EventRule, target: EventRuleTarget, id: string, event: AwsEvent | undefined): Promise<void> {
    const kind = targetKind(target.arn);
    const detail = `rule ${rule.name}${event ? ` on ${event['detail-type']} ${event.id}` : ' (schedule)'}`;
    if (kind?.type === 'build') {
      await this.builds.startBuild({ projectName: kind.name, initiator: `events/${rule.name}`, buildUuid: id });
    } else if (kind?.type === 'pipeline') {
      try {
        await this.pipelines.dispatch(kind.name, { type: 'START', executionId: id, trigger: { type: 'EventRule', detail }, variables: {} });
      } catch (error) {
        // The same cause again (a pass repeated after a crash): that execution is already started.
        if (!(error instanceof NagareError && error.details.awsException === 'ConflictException')) throw error;
      }
    }
  }
}

function checkPattern(text: string): void {
  let pattern: unknown;
  try {
    pattern = JSON.parse(text);
  } catch {
    throw invalid('EventPattern is not valid JSON', 'InvalidEventPatternException');
  }
  const problems = checkEventPattern(pattern);
  const unsupported = problems.find((p) => p.unsupported);
  if (unsupported) throw new NagareError('UNSUPPORTED_FEATURE', `EventPattern ${unsupported.path}: ${unsupported.message}`, { details: { feature: 'EventPattern' } });
  if (problems.length > 0) throw invalid(`EventPattern: ${problems.map((p) => `${p.path || '(pattern)'}: ${p.message}`).join('; ')}`, 'InvalidEventPatternException');
}

function targetKind(arn: string): { type: 'pipeline' | 'build'; name: string } | undefined {
  const project = /^arn:aws:codebuild:[^:]*:\d{12}:project\/([A-Za-z0-9][A-Za-z0-9\-_]{1,254})$/.exec(arn);
  if (project?.[1]) return { type: 'build', name: project[1] };
  const pipeline = /^arn:aws:codepipeline:[^:]*:\d{12}:([A-Za-z0-9.@\-_]{1,100})$/.exec(arn);
  if (pipeline?.[1]) return { type: 'pipeline', name: pipeline[1] };
  return undefined;
}

/** A UUID-shaped id from a hash of the cause: the same cause, the same id. */
function uuidOf(text: string): string {
  const hex = createHash('sha256').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
