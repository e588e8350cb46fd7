/**
 * Notification rules (the CodeStar Notifications API): which events of one resource go to which
 * targets. Targets are nagare's own types: `Webhook` (the event's envelope as JSON, signed) and
 * `Slack` (an incoming-webhook message a person reads).
 */
export type NotificationTargetType = 'Webhook' | 'Slack';

/** How a webhook's body is signed: no secret, a secret given at creation (kept encrypted), or a stored secret's name. */
export type SigningSecret = { readonly kind: 'none' } | { readonly kind: 'value'; readonly encrypted: string } | { readonly kind: 'name'; readonly name: string };

export interface NotificationTarget {
  readonly targetType: NotificationTargetType;
  /** The URL POSTed to. */
  readonly targetAddress: string;
  readonly secret: SigningSecret;
}

export interface NotificationRule {
  /** `arn:aws:codestar-notifications:<region>:<account>:notificationrule/<id>`. */
  readonly arn: string;
  readonly name: string;
  /** The watched resource's ARN (a project, pipeline or repository). */
  readonly resource: string;
  readonly eventTypeIds: readonly string[];
  readonly targets: readonly NotificationTarget[];
  readonly detailType: 'BASIC' | 'FULL';
  readonly status: 'ENABLED' | 'DISABLED';
  readonly createdBy: string;
  readonly created: number;
  readonly lastModified: number;
  readonly tags: Readonly<Record<string, string>>;
  /** The event log's last sequence when the rule was created: earlier events are not delivered. */
  readonly afterSequence: number;
}

export type DeliveryState = 'PENDING' | 'DELIVERED' | 'DEAD';

/** One event owed to one target of one rule: the outbox row. Its `id` is the delivery id and idempotency key. */
export interface NotificationDelivery {
  readonly id: string;
  readonly ruleArn: string;
  readonly targetAddress: string;
  readonly eventSequence: number;
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
}
