/**
 * The outbox of notification rules, one component of the interval runner (so one server of a
 * cluster delivers). Each pass:
 *
 * 1. matches the events after its cursor against the enabled rules and stores one delivery per
 *    (rule, target, event), moving the cursor in the same transaction: an event is owed or still
 *    ahead, never dropped;
 * 2. attempts each (rule, target) queue whose head is due, its deliveries one after another until
 *    one fails, and stores the round's outcomes in one transaction. 2xx is delivered; anything
 *    else (a 5xx, a timeout, a refused connection, a redirect) is tried again after a back-off
 *    with jitter, and given up (DEAD, shown by `notification-rule show`) after `maxAttempts`.
 *
 * At least once: a server killed during a round leaves its rows PENDING (the delivered ones too,
 * up to PER_QUEUE a target) and the next pass sends them again with the same `X-Nagare-Delivery` /
 * `Idempotency-Key`, so a receiver can drop the copy.
 */
import { createHmac } from 'node:crypto';
import { eventTime, type StoredEvent } from '../../core/aws-event.js';
import { concernsResource, notificationEventType } from '../../core/notification-event-types.js';
import type { NotificationDelivery, NotificationRule, NotificationTarget } from '../../core/notification-rule.js';
import type { DeliveryAttempt, DueDelivery } from '../../core/store.js';
import type { Component } from '../interval-runner.js';
import type { ServerContext } from '../server-context.js';
import type { NotificationsService } from './notifications-service.js';
import { slackMessage } from './slack-message.js';
import { WebhookPoster } from './webhook-post.js';

export interface OutboxOptions {
  /** Tries before a delivery is dead-lettered (default 8). */
  readonly maxAttempts?: number;
  /** The first retry waits about this long; each next one twice as long, up to `maxDelayMs` (defaults 1 s, 5 min). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** How long one POST may take (default 10 s). */
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

export const OUTBOX_CURSOR = 'notification-rules';
const BATCH = 500;
/** Queues sent to at once. */
const PARALLEL = 8;
/**
 * Deliveries of one queue sent one after another in a round before their outcomes are stored
 * together: fewer queries and transactions per delivery, at the price of sending up to this many
 * again (with their ids) after a crash in the middle of a round.
 */
const PER_QUEUE = 20;
/** Due deliveries read at once. */
const DUE_PAGE = 500;

export class NotificationOutbox {
  readonly #options: Required<OutboxOptions>;
  readonly #poster = new WebhookPoster();

  constructor(
    private readonly context: ServerContext,
    private readonly notifications: NotificationsService,
    options: OutboxOptions = {},
  ) {
    this.#options = { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 300_000, timeoutMs: 10_000, intervalMs: 1000, ...definedOnly(options) };
  }

  component(): Component {
    return { name: 'notification-delivery', intervalMs: this.#options.intervalMs, run: (signal) => this.runOnce(signal) };
  }

  /** Closes the connections kept to receivers. */
  close(): void {
    this.#poster.close();
  }

  /** One pass: match new events, then deliver what is due until nothing is. */
  async runOnce(signal?: AbortSignal): Promise<void> {
    // The rules are read once per pass (by match, its last read), not once per delivery; so are
    // the targets' signing keys.
    const rules = await this.match();
    const pass: Pass = { rules: new Map(rules.map((rule) => [rule.arn, rule])), keys: new Map() };
    for (let round = 0; round < 100 && !signal?.aborted; round += 1) {
      const due = await this.context.store.notificationRules.due(this.context.clock(), DUE_PAGE, PER_QUEUE);
      if (due.length === 0) return;
      const queues = new Map<string, DueDelivery[]>();
      for (const d of due) {
        const key = `${d.delivery.ruleArn}\n${d.delivery.targetAddress}`;
        const queue = queues.get(key);
        if (queue) queue.push(d);
        else queues.set(key, [d]);
      }
      const outcomes: Outcome[] = [];
      const list = [...queues.values()];
      for (let i = 0; i < list.length; i += PARALLEL) {
        await Promise.all(list.slice(i, i + PARALLEL).map(async (queue) => {
          // In order; the first delivery that fails holds the rest of its queue back.
          for (const d of queue) {
            const outcome = await this.attempt(d, pass);
            outcomes.push(outcome);
            if (outcome.error !== undefined) break;
          }
        }));
      }
      // One time for the round: the delivered ones then differ only by id, and are stored by one statement.
      const at = this.context.clock();
      const attempts = outcomes.map((outcome) => this.recorded(outcome, at));
      await this.context.store.notificationRules.recordAttempts(attempts);
      for (const [index, { due: { delivery, event } }] of outcomes.entries()) {
        const attempt = attempts[index];
        if (attempt === undefined || attempt.state === 'DELIVERED') continue;
        const dead = attempt.state === 'DEAD';
        this.context.logger.warn({ delivery: delivery.id, rule: delivery.ruleArn, attempts: attempt.attempts, dead, reason: attempt.lastError, traceId: event.traceId }, dead ? 'notification dead-lettered' : 'notification delivery failed; will retry');
      }
      // Nothing was left behind (no queue cut at PER_QUEUE, no page cut at its limit): no need to ask again.
      if (due.length < DUE_PAGE && list.every((queue) => queue.length < PER_QUEUE)) return;
    }
  }

  /**
   * Turns the events after the cursor into deliveries of the enabled rules they match. Without an
   * enabled rule no event is read: the cursor moves to the last event, read before the rules (a
   * rule made or enabled after that read is not owed the events before it). Returns every rule as
   * last read.
   */
  async match(): Promise<NotificationRule[]> {
    const { store, clock, newId } = this.context;
    const lastStored = await store.events.lastSequence();
    let all = await store.notificationRules.list();
    if (!all.some((r) => r.status === 'ENABLED')) {
      await store.cursors.advance(OUTBOX_CURSOR, lastStored);
      return all;
    }
    for (;;) {
      const after = (await store.cursors.get(OUTBOX_CURSOR)) ?? 0;
      const events = await store.events.after(after, BATCH);
      const last = events.at(-1);
      if (!last) return all;
      // Read after the events, so that a rule made meanwhile (its afterSequence past them) is never skipped by the cursor.
      all = await store.notificationRules.list();
      const rules = all.filter((r) => r.status === 'ENABLED');
      const now = clock();
      const deliveries: NotificationDelivery[] = [];
      for (const stored of events) {
        for (const rule of rules) {
          if (!matches(rule, stored)) continue;
          for (const target of rule.targets) {
            deliveries.push({ id: newId(), ruleArn: rule.arn, targetAddress: target.targetAddress, eventSequence: stored.sequence, state: 'PENDING', attempts: 0, nextAttemptAt: now, lastError: undefined, createdAt: now, updatedAt: now });
          }
        }
      }
      await store.notificationRules.enqueue(deliveries, OUTBOX_CURSOR, last.sequence);
      if (events.length < BATCH) return all;
    }
  }

  private async attempt(due: DueDelivery, pass: Pass): Promise<Outcome> {
    const { delivery, event, envelopeJson } = due;
    let rule = pass.rules.get(delivery.ruleArn);
    if (!rule) {
      // Not in the pass's list: made since it was read (after match).
      rule = await this.context.store.notificationRules.get(delivery.ruleArn);
      if (rule) pass.rules.set(rule.arn, rule);
    }
    const target = rule?.targets.find((t) => t.targetAddress === delivery.targetAddress);
    if (!rule || !target) return { due, error: 'the target was removed from the rule', final: true };
    return { due, error: await this.post(rule, target, delivery, event, { envelopeJson, keys: pass.keys }), final: false };
  }

  /** What is stored of an outcome: delivered, or tried again after a back-off, or dead-lettered. */
  private recorded({ due: { delivery }, error, final }: Outcome, at: number): DeliveryAttempt {
    const attempts = delivery.attempts + 1;
    if (error === undefined) return { id: delivery.id, state: 'DELIVERED', attempts, nextAttemptAt: at, lastError: undefined, at };
    const dead = final || attempts >= this.#options.maxAttempts;
    return { id: delivery.id, state: dead ? 'DEAD' : 'PENDING', attempts, nextAttemptAt: at + this.backoff(attempts), lastError: error, at };
  }

  /** Exponential back-off with "equal jitter": half fixed, half random, so retries of many rules spread out. */
  backoff(attempts: number): number {
    const ceiling = Math.min(this.#options.maxDelayMs, this.#options.baseDelayMs * 2 ** (attempts - 1));
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  /** Sends a test event to each target of the rule now; per target, undefined when it was delivered or why not. */
  async test(rule: NotificationRule): Promise<{ readonly targetAddress: string; readonly error: string | undefined }[]> {
    const event = testEvent(this.context, rule);
    return Promise.all(rule.targets.map(async (target) => ({ targetAddress: target.targetAddress, error: await this.post(rule, target, { id: event.event.id }, event) })));
  }

  /**
   * POSTs the event; undefined when the receiver answered 2xx, else why not. `reuse` gives the
   * stored envelope (a Webhook's body, as it is) and the pass's cache of unsealed signing keys.
   */
  async post(rule: NotificationRule, target: NotificationTarget, delivery: Pick<NotificationDelivery, 'id'>, event: StoredEvent, reuse?: { readonly envelopeJson: string; readonly keys: Map<string, string | undefined> }): Promise<string | undefined> {
    let body: string;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'nagare-notifications', 'x-nagare-delivery': delivery.id, 'idempotency-key': delivery.id, 'x-nagare-event': event.event['detail-type'] };
    try {
      body = target.targetType === 'Slack' ? JSON.stringify(slackMessage(event.event, this.context.settings.publicUrl)) : (reuse?.envelopeJson ?? JSON.stringify(event.event));
      const keyOf = `${rule.arn}\n${target.targetAddress}`;
      const key = reuse?.keys.has(keyOf) ? reuse.keys.get(keyOf) : await this.notifications.signingKey(target);
      reuse?.keys.set(keyOf, key);
      if (key !== undefined) {
        headers['x-nagare-signature'] = `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
        // The former approval webhook's header name, kept so that its receivers still verify.
        headers['x-nagare-signature-256'] = headers['x-nagare-signature'];
      }
    } catch (error) {
      return `could not prepare the delivery: ${error instanceof Error ? error.message : String(error)}`;
    }
    try {
      const status = await this.#poster.post(target.targetAddress, headers, body, this.#options.timeoutMs);
      return status >= 200 && status < 300 ? undefined : `the receiver answered HTTP ${status}`;
    } catch (error) {
      return describePostError(error, this.#options.timeoutMs, rule.name);
    }
  }
}

/** One try: undefined `error` when delivered; `final` when it can never be (its target is gone). */
interface Outcome {
  readonly due: DueDelivery;
  readonly error: string | undefined;
  readonly final: boolean;
}

/** What one pass reads once: the rules, and each target's signing key when first needed. */
interface Pass {
  readonly rules: Map<string, NotificationRule>;
  readonly keys: Map<string, string | undefined>;
}

/** A test event, as `notification-rule test` sends it to each target of a rule (outside the outbox). */
export function testEvent(context: Pick<ServerContext, 'settings' | 'clock' | 'newId'>, rule: NotificationRule): StoredEvent {
  const { accountId, region } = context.settings;
  return {
    sequence: 0,
    event: { version: '0', id: context.newId(), 'detail-type': 'Nagare Notification Rule Test', source: 'nagare.notifications', account: accountId, time: eventTime(context.clock()), region, resources: [rule.resource], detail: { 'notification-rule': rule.name, message: 'A test notification from nagare' } },
  };
}

function matches(rule: NotificationRule, stored: StoredEvent): boolean {
  if (stored.sequence <= rule.afterSequence) return false;
  if (!concernsResource(stored.event, rule.resource)) return false;
  return rule.eventTypeIds.some((id) => notificationEventType(id)?.matches(stored.event) === true);
}

function describePostError(error: unknown, timeoutMs: number, ruleName: string): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  return `could not reach the receiver of rule ${ruleName}${error instanceof Error ? `: ${error.message}` : ''}`;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
