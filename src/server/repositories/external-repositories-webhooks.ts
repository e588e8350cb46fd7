/**
 * Incoming push webhooks from GitHub, Gitea and GitLab, authenticated by their signature only:
 *
 * - GitHub: `X-GitHub-Event: push`, `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`
 * - Gitea:  `X-Gitea-Event: push`, `X-Gitea-Signature: <hex HMAC-SHA256 of the raw body>`
 * - GitLab: `X-Gitlab-Event: Push Hook` (or `Tag Push Hook`), `X-Gitlab-Token: <the secret>`
 *
 * Each also names the delivery (`X-GitHub-Delivery`, `X-Gitea-Delivery`, `X-Gitlab-Event-UUID` or
 * `Idempotency-Key`), which is how a replayed delivery is recognised. Gitea also sends GitHub's
 * headers, so Gitea's are looked at first. Every comparison is
 * `timingSafeEqual` over equal-length bytes (the GitLab token is compared through its SHA-256).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type WebhookProvider = 'github' | 'gitea' | 'gitlab';

/** What the headers of a delivery say, before the signature is checked. */
export interface WebhookDelivery {
  readonly provider: WebhookProvider;
  /** The event as the provider names it (`push`, `ping`, `Push Hook`, `Merge Request Hook` …). */
  readonly event: string;
  /** The signature (hex) or, for GitLab, the token, as sent. */
  readonly signature: string;
  /** The provider's id of this delivery (kept on a redelivery); undefined from older senders. */
  readonly deliveryId: string | undefined;
}

/** Longer ids are not ids: a bound on what is stored per delivery. */
const MAX_DELIVERY_ID_LENGTH = 200;

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/**
 * The provider, event and signature from the headers; undefined when the request names no
 * provider or carries no signature (an unsigned request: refused before anything is looked up).
 */
export function readWebhookDelivery(headers: Headers): WebhookDelivery | undefined {
  const gitea = headers.get('x-gitea-event');
  if (gitea !== null) return signed('gitea', gitea, headers.get('x-gitea-signature'), headers.get('x-gitea-delivery'));
  const gitlab = headers.get('x-gitlab-event');
  if (gitlab !== null) return signed('gitlab', gitlab, headers.get('x-gitlab-token'), headers.get('x-gitlab-event-uuid') ?? headers.get('idempotency-key'));
  const github = headers.get('x-github-event');
  if (github !== null) {
    const header = headers.get('x-hub-signature-256');
    return signed('github', github, header?.toLowerCase().startsWith('sha256=') ? header.slice('sha256='.length) : null, headers.get('x-github-delivery'));
  }
  return undefined;
}

function signed(provider: WebhookProvider, event: string, signature: string | null, deliveryId: string | null): WebhookDelivery | undefined {
  if (signature === null || signature.trim() === '') return undefined;
  const id = deliveryId?.trim().slice(0, MAX_DELIVERY_ID_LENGTH);
  return { provider, event: event.trim(), signature: signature.trim(), deliveryId: id === '' ? undefined : id };
}

/** True when the delivery was signed with `secret` (over exactly these body bytes). */
export function verifyWebhook(delivery: WebhookDelivery, body: Uint8Array, secret: string): boolean {
  if (delivery.provider === 'gitlab') {
    const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
    return timingSafeEqual(digest(delivery.signature), digest(secret));
  }
  if (!HEX_SHA256.test(delivery.signature)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(Buffer.from(delivery.signature, 'hex'), expected);
}

/** Whether the (verified) delivery announces a push; anything else is acknowledged and ignored. */
export function isPushEvent(delivery: WebhookDelivery): boolean {
  switch (delivery.provider) {
    case 'github':
    case 'gitea':
      return delivery.event === 'push';
    case 'gitlab':
      return delivery.event === 'Push Hook' || delivery.event === 'Tag Push Hook';
  }
}
