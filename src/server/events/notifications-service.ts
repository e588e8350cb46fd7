/**
 * Notification rules as the CodeStar Notifications API has them (Create/Describe/Update/Delete/
 * ListNotificationRules, Subscribe/Unsubscribe, ListEventTypes), with nagare's target types
 * `Webhook` and `Slack`. Delivery is the outbox's (notification-outbox.ts).
 *
 * Creating or changing targets needs an administrator: a target receives every matching event of
 * its resource, so whoever adds one reads what the rule watches. A Webhook target must be signed
 * (a secret, or the name of a stored secret): an unsigned one could be forged by anyone who can
 * reach the receiver. Secrets given inline are sealed with the server key and never shown again.
 *
 * Errors: API_NOT_FOUND, API_ALREADY_EXISTS, API_INVALID_INPUT, AUTH_FORBIDDEN.
 */
import { NagareError } from '../../core/errors.js';
import { NOTIFICATION_EVENT_TYPES, notificationEventType, type NotificationEventType } from '../../core/notification-event-types.js';
import type { DeliveryState, NotificationDelivery, NotificationRule, NotificationTarget, NotificationTargetType } from '../../core/notification-rule.js';
import type { Caller } from '../auth/auth-service.js';
import type { ServerContext } from '../server-context.js';

export interface TargetInput {
  readonly TargetType: NotificationTargetType;
  readonly TargetAddress: string;
  /** HMAC-SHA256 key for the body's signature (Webhook). */
  readonly Secret?: string | undefined;
  /** A stored secret (`nagare secret put`) used as the key instead. */
  readonly SecretName?: string | undefined;
}

export interface RuleInput {
  readonly Name: string;
  readonly EventTypeIds: readonly string[];
  readonly Resource: string;
  readonly Targets: readonly TargetInput[];
  readonly DetailType: 'BASIC' | 'FULL';
  readonly Status?: 'ENABLED' | 'DISABLED' | undefined;
  readonly Tags?: Readonly<Record<string, string>> | undefined;
}

export type RuleUpdate = Partial<Omit<RuleInput, 'Resource' | 'Tags'>>;

export interface RuleStatus {
  readonly counts: Record<DeliveryState, number>;
  /** Deliveries given up after the last try, newest first. */
  readonly deadLetters: readonly NotificationDelivery[];
  readonly pending: readonly NotificationDelivery[];
}

const NAME = /^[A-Za-z0-9\-_ ]{1,64}$/;
const RESOURCE = /^arn:aws[^:\s]*:[^:\s]*:[^:\s]*:[0-9]{12}:[^\s]+$/;
const MAX_TARGETS = 10;

/** Only the bootstrap administrator token and access keys (SigV4) may manage targets. */
export function isAdministrator(caller: Caller): boolean {
  return caller.kind === 'ACCESS_KEY' || (caller.kind === 'API_TOKEN' && caller.name === 'admin');
}

function forbidden(): NagareError {
  return new NagareError('AUTH_FORBIDDEN', 'Only an administrator (the admin API token or an access key) may create or change notification targets', { details: { awsException: 'AccessDeniedException' } });
}

export class NotificationsService {
  constructor(private readonly context: ServerContext) {}

  ruleArn(id: string): string {
    return `arn:aws:codestar-notifications:${this.context.settings.region}:${this.context.settings.accountId}:notificationrule/${id}`;
  }

  async create(input: RuleInput, caller: Caller): Promise<{ Arn: string }> {
    if (!isAdministrator(caller)) throw forbidden();
    checkName(input.Name);
    checkEventTypes(input.EventTypeIds);
    if (!RESOURCE.test(input.Resource)) throw invalid(`Resource must be an ARN (arn:aws:codepipeline:<region>:<account>:<pipeline>, …); got '${input.Resource}'`);
    const now = this.context.clock();
    const rule: NotificationRule = {
      arn: this.ruleArn(this.context.newId()),
      name: input.Name,
      resource: input.Resource,
      eventTypeIds: [...new Set(input.EventTypeIds)],
      targets: await this.targets(input.Targets),
      detailType: input.DetailType,
      status: input.Status ?? 'ENABLED',
      createdBy: caller.name,
      created: now,
      lastModified: now,
      tags: input.Tags ?? {},
      afterSequence: await this.context.store.events.lastSequence(),
    };
    try {
      await this.context.store.notificationRules.create(rule);
    } catch (error) {
      if (error instanceof NagareError && error.code === 'STORE_CONFLICT') throw new NagareError('API_ALREADY_EXISTS', `A notification rule named ${input.Name} already exists`, { details: { awsException: 'ResourceAlreadyExistsException' } });
      throw error;
    }
    return { Arn: rule.arn };
  }

  async get(arn: string): Promise<NotificationRule> {
    const rule = await this.context.store.notificationRules.get(arn) ?? (await this.context.store.notificationRules.list()).find((r) => r.name === arn);
    if (!rule) throw new NagareError('API_NOT_FOUND', `Notification rule not found: ${arn}`, { details: { awsException: 'ResourceNotFoundException' } });
    return rule;
  }

  list(): Promise<NotificationRule[]> {
    return this.context.store.notificationRules.list();
  }

  async update(arn: string, change: RuleUpdate, caller: Caller): Promise<void> {
    const rule = await this.get(arn);
    if (change.Targets !== undefined && !isAdministrator(caller)) throw forbidden();
    if (change.Name !== undefined) checkName(change.Name);
    if (change.EventTypeIds !== undefined) checkEventTypes(change.EventTypeIds);
    await this.save({
      ...rule,
      ...(change.Name === undefined ? {} : { name: change.Name }),
      ...(change.EventTypeIds === undefined ? {} : { eventTypeIds: [...new Set(change.EventTypeIds)] }),
      ...(change.Targets === undefined ? {} : { targets: await this.targets(change.Targets) }),
      ...(change.DetailType === undefined ? {} : { detailType: change.DetailType }),
      ...(change.Status === undefined ? {} : { status: change.Status }),
      lastModified: this.context.clock(),
    });
  }

  async delete(arn: string): Promise<{ Arn: string }> {
    const rule = await this.get(arn);
    await this.context.store.notificationRules.delete(rule.arn);
    return { Arn: rule.arn };
  }

  async subscribe(arn: string, target: TargetInput, caller: Caller): Promise<{ Arn: string }> {
    if (!isAdministrator(caller)) throw forbidden();
    const rule = await this.get(arn);
    const [added] = await this.targets([target]);
    if (!added) throw invalid('Target is required');
    await this.save({ ...rule, targets: [...rule.targets.filter((t) => t.targetAddress !== added.targetAddress), added], lastModified: this.context.clock() });
    return { Arn: rule.arn };
  }

  async unsubscribe(arn: string, targetAddress: string): Promise<{ Arn: string }> {
    const rule = await this.get(arn);
    await this.save({ ...rule, targets: rule.targets.filter((t) => t.targetAddress !== targetAddress), lastModified: this.context.clock() });
    return { Arn: rule.arn };
  }

  /** ListEventTypes with its filters: RESOURCE_TYPE and SERVICE_NAME (same name ORs, different names AND). */
  listEventTypes(filters: readonly { readonly Name: 'RESOURCE_TYPE' | 'SERVICE_NAME'; readonly Value: string }[] = []): NotificationEventType[] {
    const byName = new Map<string, string[]>();
    for (const filter of filters) byName.set(filter.Name, [...(byName.get(filter.Name) ?? []), filter.Value]);
    return NOTIFICATION_EVENT_TYPES.filter((type) => {
      const resourceTypes = byName.get('RESOURCE_TYPE');
      const services = byName.get('SERVICE_NAME');
      return (!resourceTypes || resourceTypes.includes(type.resourceType)) && (!services || services.includes(type.serviceName));
    });
  }

  /** What `notification-rule show` prints besides the rule: delivery counts and the dead-letter list. */
  async status(arn: string): Promise<RuleStatus> {
    const rule = await this.get(arn);
    const repo = this.context.store.notificationRules;
    return { counts: await repo.countByState(rule.arn), deadLetters: await repo.deliveries(rule.arn, 'DEAD', 50), pending: await repo.deliveries(rule.arn, 'PENDING', 50) };
  }

  /** The signing key of a target; undefined for an unsigned (Slack) target. */
  async signingKey(target: NotificationTarget): Promise<string | undefined> {
    if (target.secret.kind === 'value') return this.context.secrets.open(target.secret.encrypted, 'notification-target');
    if (target.secret.kind === 'name') {
      const stored = await this.context.store.parameters.get('secret', target.secret.name);
      if (!stored) throw new NagareError('API_NOT_FOUND', `The secret ${target.secret.name} that signs notifications does not exist`);
      return this.context.secrets.open(stored.value);
    }
    return undefined;
  }

  private async save(rule: NotificationRule): Promise<void> {
    try {
      await this.context.store.notificationRules.update(rule);
    } catch (error) {
      if (error instanceof NagareError && error.code === 'STORE_CONFLICT') throw new NagareError('API_ALREADY_EXISTS', `A notification rule named ${rule.name} already exists`, { details: { awsException: 'ResourceAlreadyExistsException' } });
      throw error;
    }
  }

  private async targets(inputs: readonly TargetInput[]): Promise<NotificationTarget[]> {
    if (inputs.length === 0) throw invalid('Targets needs at least one target');
    if (inputs.length > MAX_TARGETS) throw new NagareError('API_INVALID_INPUT', `A notification rule has at most ${MAX_TARGETS} targets`, { details: { awsException: 'LimitExceededException' } });
    const targets: NotificationTarget[] = [];
    for (const input of inputs) {
      checkAddress(input.TargetAddress);
      if (input.Secret !== undefined && input.SecretName !== undefined) throw invalid('Give a target Secret or SecretName, not both');
      if (input.SecretName !== undefined && !(await this.context.store.parameters.get('secret', input.SecretName))) {
        throw new NagareError('API_NOT_FOUND', `There is no secret ${input.SecretName}: store it first with nagare secret put`);
      }
      if (input.TargetType === 'Webhook' && input.Secret === undefined && input.SecretName === undefined) {
        throw invalid(`A Webhook target is signed: give a Secret (--secret) or a SecretName (--secret-name) for ${input.TargetAddress}`);
      }
      if (input.Secret !== undefined && (input.Secret.length < 16 || input.Secret.length > 1024)) throw invalid('A target Secret is 16 to 1024 characters');
      const secret = input.Secret !== undefined ? { kind: 'value' as const, encrypted: this.context.secrets.seal(input.Secret, 'notification-target') } : input.SecretName !== undefined ? { kind: 'name' as const, name: input.SecretName } : { kind: 'none' as const };
      targets.push({ targetType: input.TargetType, targetAddress: input.TargetAddress, secret });
    }
    return targets;
  }
}

function invalid(message: string): NagareError {
  return new NagareError('API_INVALID_INPUT', message, { details: { awsException: 'ValidationException' } });
}

function checkName(name: string): void {
  if (!NAME.test(name)) throw invalid(`Name '${name}' is 1–64 letters, digits, spaces, - and _`);
}

function checkEventTypes(ids: readonly string[]): void {
  if (ids.length === 0) throw invalid('EventTypeIds needs at least one event type (nagare notification-rule event-types lists them)');
  const unknown = ids.filter((id) => notificationEventType(id) === undefined);
  if (unknown.length > 0) throw invalid(`Unknown event type ${unknown.join(', ')}; ListEventTypes lists the supported ones`);
}

function checkAddress(address: string): void {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw invalid(`TargetAddress must be an http(s) URL; got '${address}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`TargetAddress must be an http(s) URL; got a ${url.protocol} URL`);
  if (address.length > 320) throw invalid('TargetAddress is at most 320 characters');
  if (url.username !== '' || url.password !== '') throw invalid('TargetAddress may not carry credentials in the URL');
}
