/**
 * The server's one in-process channel for domain events: what happened to builds, phases,
 * pipeline executions, stages, actions, approvals, deployments and repositories. Services publish after the
 * change is stored; subscribers (the pipeline driver, the wake-ups of the outbox and rules,
 * the dashboard and SSE) react.
 *
 * Delivery is in process and best effort: a server that stops between storing a change and
 * publishing it loses the event, so nothing's correctness may rest on it alone. The pipeline
 * driver's reconciliation (stored runtimes, the push-event cursor) is the safety net; the bus only
 * makes things happen sooner. Wake-ups of waiting agents and log followers are the Notifier's.
 */
import type { PhaseType } from '../../core/build-phases.js';
import type { Deployment } from '../../core/deployment.js';
import type { DeploymentStatus } from '../../core/deployment-rollout-types.js';
import type { ActionStatus, ExecutionStatus, PipelineEffect, RequestApprovalEffect, StageStatus } from '../../core/pipeline-execution.js';
import type { PushEvent, StoredBuild, StoredBuildBatch } from '../../core/store.js';

/** Every domain event, told apart by `type`. */
export type DomainEvent =
  /** A build was queued (IN_PROGRESS) or ended (its final status, currentPhase COMPLETED); `build` is as stored after the change. */
  | { readonly type: 'BuildStateChanged'; readonly build: StoredBuild }
  /** A build batch ended (or was retried): pipeline actions with BatchEnabled wait for this. */
  | { readonly type: 'BuildBatchStateChanged'; readonly batch: StoredBuildBatch; readonly builds: readonly StoredBuild[] }
  /** A build moved to another phase (from an agent's heartbeat, its lease or its end). */
  | { readonly type: 'BuildPhaseChanged'; readonly buildId: string; readonly previousPhase: PhaseType; readonly currentPhase: PhaseType }
  | { readonly type: 'PipelineExecutionChanged'; readonly pipelineName: string; readonly executionId: string; readonly previousStatus: ExecutionStatus | undefined; readonly status: ExecutionStatus }
  | { readonly type: 'StageChanged'; readonly pipelineName: string; readonly executionId: string; readonly stage: string; readonly previousStatus: StageStatus | undefined; readonly status: StageStatus }
  | { readonly type: 'ActionChanged'; readonly pipelineName: string; readonly executionId: string; readonly stage: string; readonly action: string; readonly attempt: number; readonly previousStatus: ActionStatus | undefined; readonly status: ActionStatus }
  /** The execution machine asked for work (run or abandon an action, ask for an approval…); the driver does it. */
  | { readonly type: 'PipelineEffectsRequested'; readonly pipelineName: string; readonly effects: readonly PipelineEffect[] }
  /** A manual approval waits for PutApprovalResult; told once per approval token by this process. */
  | { readonly type: 'ApprovalNeeded'; readonly pipelineName: string; readonly approval: RequestApprovalEffect }
  /** A deployment or one of its instances changed status; `deployment` is as stored after the change. */
  | { readonly type: 'DeploymentChanged'; readonly deployment: Deployment; readonly previousStatus: DeploymentStatus }
  /** A ref of a hosted repository changed (a push, or a mirror's fetch); `push` is the stored event. */
  | { readonly type: 'Pushed'; readonly push: PushEvent };

export type DomainEventType = DomainEvent['type'];
export type DomainEventOf<T extends DomainEventType> = Extract<DomainEvent, { readonly type: T }>;
export type Subscriber<T extends DomainEventType> = (event: DomainEventOf<T>) => void | Promise<void>;

export class EventBus {
  /** Each set holds subscribers of its key's type only (subscribe keeps it so). */
  private readonly subscribers = new Map<DomainEventType, Set<(event: DomainEvent) => void | Promise<void>>>();

  /** `onError` hears what a subscriber throws or rejects with; a subscriber never fails a publisher. */
  constructor(private readonly onError: (error: unknown, event: DomainEvent) => void) {}

  /** Subscribes to one type of event; returns the unsubscribe function. */
  subscribe<T extends DomainEventType>(type: T, subscriber: Subscriber<T>): () => void {
    let set = this.subscribers.get(type);
    if (!set) this.subscribers.set(type, (set = new Set()));
    const entry = subscriber as (event: DomainEvent) => void | Promise<void>;
    set.add(entry);
    return () => set.delete(entry);
  }

  /** Calls each subscriber of the event's type now, in subscription order; their promises are not awaited. */
  publish(event: DomainEvent): void {
    for (const subscriber of this.subscribers.get(event.type) ?? []) {
      try {
        Promise.resolve(subscriber(event)).catch((error: unknown) => this.onError(error, event));
      } catch (error) {
        this.onError(error, event);
      }
    }
  }
}
