/**
 * What a pipeline action provider is to the driver (reference §3.2): it starts the work of one
 * action attempt, tells its result (now, or later from a domain event), and stops that work when
 * the execution machine abandons the attempt. One file per provider; the registry
 * (registry.ts) finds them by action type, so adding a provider is adding a file.
 *
 * Every method may be called again for the same attempt (reconciliation re-derives pending work,
 * two servers may both try): a provider never starts an attempt's work twice.
 */
import type { PipelineActionRef } from '../../../core/build-job.js';
import type { ActionCategory, ActionOwner } from '../../../core/pipeline.js';
import type { RequestApprovalEffect, RunActionEffect } from '../../../core/pipeline-execution.js';
import type { DomainEvent, DomainEventType } from '../../events/event-bus.js';
import type { Services } from '../../services.js';

export type ActionResult =
  | { readonly ok: true; readonly outputArtifacts: Record<string, string>; readonly outputVariables: Record<string, string>; readonly summary?: string; readonly externalExecutionId?: string; readonly revision?: { revisionId: string; revisionSummary?: string; created?: number } }
  | { readonly ok: false; readonly message: string; readonly externalExecutionId?: string };

/** One RUN_ACTION to carry out. */
export interface ActionAttempt {
  readonly pipelineName: string;
  readonly ref: PipelineActionRef;
  readonly effect: RunActionEffect;
}

/** An attempt the machine abandoned (stop-and-abandon, a superseding execution): its work must stop. */
export interface AbandonedAttempt {
  readonly pipelineName: string;
  readonly ref: PipelineActionRef;
  /** The attempt's configuration as it ran (`#{…}` resolved). */
  readonly configuration: Readonly<Record<string, string>>;
}

/** A result an event brings for one attempt; `result` turns it into the action's outcome. */
export interface EventResult {
  readonly ref: PipelineActionRef;
  result(effect: RunActionEffect): ActionResult;
}

export interface ActionProvider {
  /** `CodeCommit`, `CodeBuild` …, as in `actionTypeId.provider`. */
  readonly provider: string;
  /** The (category, owner) pairs it serves. */
  readonly actionTypes: readonly { readonly category: ActionCategory; readonly owner: ActionOwner }[];
  /**
   * Starts the attempt's work, or looks at work already started for it: the result when there is
   * one now; undefined when it will come from an event (`resultFrom`). Failures are results.
   */
  run(services: Services, attempt: ActionAttempt): Promise<ActionResult | undefined>;
  /** The event types whose events may carry results of this provider's attempts. */
  readonly resultEvents: readonly DomainEventType[];
  /** The attempt result an event carries, if it carries one. */
  resultFrom(event: DomainEvent): EventResult | undefined;
  /** Stops an abandoned attempt's work; nothing when there is none or it already ended. */
  abandon(services: Services, attempt: AbandonedAttempt): Promise<void>;
  /** Approval providers only: an approval waits (REQUEST_APPROVAL). */
  requestApproval?(services: Services, pipelineName: string, approval: RequestApprovalEffect): void;
}
