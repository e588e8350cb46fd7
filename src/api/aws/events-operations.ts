/**
 * The EventBridge operations nagare serves (`X-Amz-Target: AWSEvents.<Operation>`) on its one
 * default event bus: rules with event patterns and schedules whose targets start pipeline
 * executions and builds (reference §3.1).
 */
import { z } from 'zod';
import type { NagareError } from '../../core/errors.js';
import type { EventRule } from '../../core/event-rule.js';
import type { AwsError } from './aws-error.js';
import type { AwsOperation } from './codebuild-operations.js';

const name = z.string().min(1).max(64);
const bus = z.string().min(1).max(1600).optional();
const putRuleInput = z.object({
  Name: name,
  EventPattern: z.string().max(4096).optional(),
  ScheduleExpression: z.string().max(256).optional(),
  State: z.enum(['ENABLED', 'DISABLED']).optional(),
  Description: z.string().max(512).optional(),
  RoleArn: z.string().max(1600).optional(),
  Tags: z.array(z.object({ Key: z.string(), Value: z.string() })).optional(),
  EventBusName: bus,
});
const ruleInput = z.object({ Name: name, EventBusName: bus });
const listRulesInput = z.object({ NamePrefix: z.string().max(64).optional(), EventBusName: bus, NextToken: z.string().optional(), Limit: z.number().int().min(1).max(100).optional() });
const putTargetsInput = z.object({ Rule: name, EventBusName: bus, Targets: z.array(z.object({ Id: z.string().min(1).max(64), Arn: z.string().min(1).max(1600) }).passthrough()).min(1).max(10) });
const removeTargetsInput = z.object({ Rule: name, EventBusName: bus, Ids: z.array(z.string().min(1).max(64)).min(1).max(100), Force: z.boolean().optional() });
const listTargetsInput = z.object({ Rule: name, EventBusName: bus, NextToken: z.string().optional(), Limit: z.number().int().min(1).max(100).optional() });
const deleteRuleInput = z.object({ Name: name, EventBusName: bus, Force: z.boolean().optional() });

/** Target fields nagare does not act on yet are refused by name, never ignored. */
const UNSUPPORTED_TARGET_FIELDS = ['Input', 'InputPath', 'InputTransformer', 'RetryPolicy', 'DeadLetterConfig', 'RoleArn', 'KinesisParameters', 'RunCommandParameters', 'EcsParameters', 'BatchParameters', 'SqsParameters', 'HttpParameters', 'RedshiftDataParameters', 'SageMakerPipelineParameters', 'AppSyncParameters'];

export function ruleShape(rule: EventRule): Record<string, unknown> {
  return {
    Name: rule.name,
    Arn: rule.arn,
    ...(rule.eventPattern === undefined ? {} : { EventPattern: rule.eventPattern }),
    ...(rule.scheduleExpression === undefined ? {} : { ScheduleExpression: rule.scheduleExpression }),
    State: rule.state,
    ...(rule.description === undefined ? {} : { Description: rule.description }),
    EventBusName: 'default',
  };
}

export const EVENTS_OPERATIONS: Readonly<Record<string, AwsOperation>> = {
  async PutRule(services, raw) {
    const input = putRuleInput.parse(raw);
    return services.eventRules.putRule(input);
  },
  async DescribeRule(services, raw) {
    const { Name } = ruleInput.parse(raw);
    return { ...ruleShape(await services.eventRules.describeRule(Name)), CreatedBy: services.context.settings.accountId };
  },
  async ListRules(services, raw) {
    const { NamePrefix, Limit } = listRulesInput.parse(raw);
    return { Rules: (await services.eventRules.listRules(NamePrefix)).slice(0, Limit ?? 100).map(ruleShape) };
  },
  async DeleteRule(services, raw) {
    await services.eventRules.deleteRule(deleteRuleInput.parse(raw).Name);
    return {};
  },
  async EnableRule(services, raw) {
    await services.eventRules.setState(ruleInput.parse(raw).Name, 'ENABLED');
    return {};
  },
  async DisableRule(services, raw) {
    await services.eventRules.setState(ruleInput.parse(raw).Name, 'DISABLED');
    return {};
  },
  async PutTargets(services, raw) {
    const { Rule, Targets } = putTargetsInput.parse(raw);
    const accepted = Targets.filter((t) => !UNSUPPORTED_TARGET_FIELDS.some((field) => field in t));
    const refused = Targets.filter((t) => !accepted.includes(t)).map((t) => ({ TargetId: t.Id, ErrorCode: 'UNSUPPORTED_FEATURE', ErrorMessage: `nagare does not support ${UNSUPPORTED_TARGET_FIELDS.filter((f) => f in t).join(', ')} on targets yet` }));
    const result = await services.eventRules.putTargets(Rule, accepted);
    const FailedEntries = [...refused, ...result.FailedEntries];
    return { FailedEntryCount: FailedEntries.length, FailedEntries };
  },
  async RemoveTargets(services, raw) {
    const { Rule, Ids } = removeTargetsInput.parse(raw);
    return services.eventRules.removeTargets(Rule, Ids);
  },
  async ListTargetsByRule(services, raw) {
    const { Rule, Limit } = listTargetsInput.parse(raw);
    const rule = await services.eventRules.describeRule(Rule);
    return { Targets: rule.targets.slice(0, Limit ?? 100).map((t) => ({ Id: t.id, Arn: t.arn })) };
  },
};

/** EventBridge's own exception names (carried in `details.awsException`); the common mapping otherwise. */
export function eventsErrorOf(error: NagareError): AwsError | undefined {
  const named = error.details.awsException;
  if (typeof named === 'string' && named !== '') return { type: named, status: 400 };
  if (error.code === 'API_INVALID_INPUT' || error.code === 'UNSUPPORTED_FEATURE') return { type: 'ValidationException', status: 400 };
  return undefined;
}
