/**
 * The approval webhook, a subscriber of ApprovalNeeded: each waiting manual approval is logged and,
 * when a webhook URL is set, POSTed there once, signed with HMAC-SHA256 of the body
 * (`X-Nagare-Signature-256: sha256=<hex>`). A delivery that fails is logged, not retried.
 */
import { createHmac } from 'node:crypto';
import type { ServerContext } from '../server-context.js';
import type { DomainEventOf } from './event-bus.js';

/** Subscribes the webhook to the context's event bus; returns the unsubscribe function. */
export function subscribeApprovalWebhook(context: ServerContext): () => void {
  return context.events.subscribe('ApprovalNeeded', (event) => deliver(context, event));
}

async function deliver(context: ServerContext, { pipelineName, approval }: DomainEventOf<'ApprovalNeeded'>): Promise<void> {
  context.logger.info({ pipeline: pipelineName, stage: approval.stage, action: approval.action, expires: new Date(approval.expiresAt).toISOString() }, 'manual approval waiting');
  const { approvalWebhookUrl, approvalWebhookSecret, publicUrl, region } = context.settings;
  if (!approvalWebhookUrl) return;
  const body = JSON.stringify({
    region,
    consoleLink: `${publicUrl}/api/v1/pipelines/${encodeURIComponent(pipelineName)}`,
    approval: {
      pipelineName,
      stageName: approval.stage,
      actionName: approval.action,
      token: approval.token,
      expires: new Date(approval.expiresAt).toISOString(),
      externalEntityLink: approval.externalEntityLink,
      approvalReviewLink: `${publicUrl}/api/v1/pipelines/${encodeURIComponent(pipelineName)}/state`,
      customData: approval.customData,
    },
  });
  const signature = createHmac('sha256', approvalWebhookSecret ?? '').update(body).digest('hex');
  await fetch(approvalWebhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-nagare-signature-256': `sha256=${signature}` }, body, signal: AbortSignal.timeout(10_000) })
    .catch((error: unknown) => context.logger.warn({ err: error, pipeline: pipelineName }, 'approval webhook could not be delivered'));
}
