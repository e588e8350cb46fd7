/**
 * `--approval-webhook-url` / `--approval-webhook-secret` (kept for compatibility) are one
 * notification rule: at start the server creates or updates the rule `approval-webhook`, which
 * sends `codepipeline-pipeline-manual-approval-needed` of every pipeline to the URL through the
 * notification outbox — so the announcement is retried, survives restarts and is dead-lettered
 * like any other notification. Started without the flag, the server disables the rule it made
 * earlier (its deliveries and dead letters stay visible with `notification-rule show`).
 *
 * The body is the event's envelope (a `CodePipeline Action Execution State Change`, state
 * STARTED, type category Approval), signed with HMAC-SHA256 of the body in `X-Nagare-Signature`
 * and, as the old webhook did, `X-Nagare-Signature-256`. Without a secret it is sent unsigned, as
 * before: the operator chose so on the command line (an API caller may not).
 */
import { NagareError } from '../../core/errors.js';
import type { NotificationRule, NotificationTarget } from '../../core/notification-rule.js';
import type { ServerContext } from '../server-context.js';
import type { NotificationsService } from './notifications-service.js';

export const APPROVAL_WEBHOOK_RULE = 'approval-webhook';
/** The tag that marks the rule as the flags', so that a rule a person named so is left alone. */
const MANAGED_BY = { key: 'nagare:managed-by', value: 'approval-webhook-flags' };

/** Creates, updates or disables the flags' rule to match the settings; returns it when enabled. */
export async function applyApprovalWebhookRule(context: ServerContext, notifications: NotificationsService): Promise<NotificationRule | undefined> {
  const { approvalWebhookUrl: url, approvalWebhookSecret: secret, region, accountId } = context.settings;
  const existing = (await notifications.list()).find((r) => r.name === APPROVAL_WEBHOOK_RULE);
  if (existing && existing.tags[MANAGED_BY.key] !== MANAGED_BY.value) {
    if (url !== undefined) context.logger.warn({ rule: existing.arn }, `a notification rule named ${APPROVAL_WEBHOOK_RULE} exists and was not made by --approval-webhook-url; the flag is ignored`);
    return undefined;
  }
  const now = context.clock();
  if (url === undefined) {
    if (existing && existing.status === 'ENABLED') await context.store.notificationRules.update({ ...existing, status: 'DISABLED', lastModified: now });
    return undefined;
  }
  if (secret === undefined) context.logger.warn({}, 'approval webhook deliveries are unsigned: give --approval-webhook-secret so that the receiver can tell them from forgeries');
  const target: NotificationTarget = {
    targetType: 'Webhook',
    targetAddress: url,
    secret: secret === undefined ? { kind: 'none' } : { kind: 'value', encrypted: context.secrets.seal(secret, 'notification-target') },
  };
  const rule: NotificationRule = {
    arn: existing?.arn ?? notifications.ruleArn(context.newId()),
    name: APPROVAL_WEBHOOK_RULE,
    // Every pipeline: a resource ARN ending in `*` concerns every resource it prefixes.
    resource: `arn:aws:codepipeline:${region}:${accountId}:*`,
    eventTypeIds: ['codepipeline-pipeline-manual-approval-needed'],
    targets: [target],
    detailType: 'FULL',
    status: 'ENABLED',
    createdBy: existing?.createdBy ?? '--approval-webhook-url',
    created: existing?.created ?? now,
    lastModified: now,
    tags: { [MANAGED_BY.key]: MANAGED_BY.value },
    afterSequence: existing?.afterSequence ?? (await context.store.events.lastSequence()),
  };
  if (existing) await context.store.notificationRules.update(rule);
  else {
    try {
      await context.store.notificationRules.create(rule);
    } catch (error) {
      // Another server of the cluster created it meanwhile: update that one instead.
      if (error instanceof NagareError && error.code === 'STORE_CONFLICT') return applyApprovalWebhookRule(context, notifications);
      throw error;
    }
  }
  context.logger.info({ rule: rule.arn, signed: secret !== undefined }, 'waiting manual approvals are announced by the notification rule approval-webhook');
  return rule;
}
