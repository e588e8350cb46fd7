/**
 * The pipeline driver: carries out what the execution machine asks for and feeds results back.
 * Each action's work is its provider's (pipelines/providers/, one file per provider, found by
 * action type): source actions zip the pushed commit, CodeBuild and Commands actions are builds on
 * agents whose result comes back when the build ends, approvals wait for PutApprovalResult. Pushes
 * to hosted repositories start the pipelines that watch them. Requests, results and pushes reach
 * the driver as domain events (events/event-bus.ts).
 *
 * Nothing runs twice, and nothing rests on in-memory delivery: an action's work is found by its
 * (execution, stage, action, attempt) key before it is started, and a periodic reconciliation
 * re-derives pending work from the saved runtime (and abandoned work from `runtime.abandoning`,
 * missed pushes from the stored push events) — which is also how a restarted server carries every
 * execution on.
 */
import { createHash } from 'node:crypto';
import type { PipelineActionRef } from '../../core/build-job.js';
import { NagareError } from '../../core/errors.js';
import { pendingEffects, nextDeadline, type AbandonedAction, type PipelineEffect, type RunActionEffect } from '../../core/pipeline-execution.js';
import { sourceActionsTriggeredBy } from '../../core/pipeline-triggers.js';
import type { PushEvent } from '../../core/store.js';
import type { DomainEvent } from '../events/event-bus.js';
import { executionTraceId, pushTraceParent, traceIdOf } from '../events/trace.js';
import type { ActionResult } from './providers/action-provider.js';
import { defaultProviders, type ActionProviderRegistry } from './providers/registry.js';
import type { Component } from '../interval-runner.js';
import type { ServerContext } from '../server-context.js';
import type { Services } from '../services.js';

/** REQUEST_APPROVAL comes only from manual approvals (the machine's approval actions). */
const MANUAL_APPROVAL = { category: 'Approval', owner: 'AWS', provider: 'Manual' } as const;

export class PipelineDriver {
  private readonly inFlight = new Set<string>();
  private listening = false;
  /** Work started by events; `stop` waits for it, so nothing touches the store after the server closed it. */
  private readonly pending = new Set<Promise<unknown>>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly services: Services,
    private readonly providers: ActionProviderRegistry = defaultProviders(),
  ) {}

  private get context(): ServerContext {
    return this.services.context;
  }

  /**
   * Reconciliation as a component of the interval runner (one server of a cluster at a time);
   * a stopped driver skips it, as it skips live events.
   */
  component(intervalMs: number): Component {
    return { name: 'pipeline-reconciler', intervalMs, run: () => (this.listening ? this.reconcile() : Promise.resolve()) };
  }

  /** Listens for effects, results and pushes on the event bus (every server: each handles its own). */
  start(): void {
    if (this.listening) return;
    this.listening = true;
    const { events } = this.context;
    this.unsubscribe.push(events.subscribe('PipelineEffectsRequested', ({ pipelineName, effects }) => {
      for (const effect of effects) void this.track(this.carryOut(pipelineName, effect));
    }));
    for (const type of this.providers.resultEvents()) this.unsubscribe.push(events.subscribe(type, (event) => this.track(this.onResultEvent(event))));
    this.unsubscribe.push(events.subscribe('Pushed', ({ push }) => this.track(this.onPush(push))));
  }

  /** Stops listening and waits for work events started; a reconciliation under way is awaited by the interval runner's stop. */
  async stop(): Promise<void> {
    this.listening = false;
    for (const off of this.unsubscribe.splice(0)) off();
    await Promise.allSettled([...this.pending]);
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work)).catch(() => undefined);
    return work;
  }

  /**
   * Starts the pipelines a push to a hosted repository triggers. The execution id is derived from
   * the push event and the pipeline, so handling the same push twice (the live event and the
   * catch-up after a restart) starts one execution: the machine refuses a repeated id.
   */
  async onPush(push: PushEvent): Promise<void> {
    const short = { ...push, ref: push.ref.replace(/^refs\/(heads|tags)\//, '') };
    const mirrorUrl = (await this.services.repositories.get(push.repositoryName).catch(() => undefined))?.mirror?.url;
    for (const stored of await this.services.pipelines.list()) {
      const actions = sourceActionsTriggeredBy(stored.definition, short, mirrorUrl);
      if (actions.length === 0) continue;
      const sourceRevisions = Object.fromEntries(actions.map((a) => [a.name, { revisionType: 'COMMIT_ID' as const, revisionValue: push.newCommit ?? '' }]));
      await this.services.pipelines.dispatch(stored.definition.name, {
        type: 'START',
        executionId: executionIdFor(stored.definition.name, push),
        trigger: { type: mirrorUrl === undefined ? 'CodeCommit' : push.pusher === 'poll' ? 'Poll' : 'Webhook', detail: `${push.repositoryName} ${short.ref} ${push.newCommit ?? ''}` },
        variables: {},
        sourceRevisions,
        // The push started a trace (its CodeCommit event carries it): the execution continues it.
        traceParent: pushTraceParent(push.repositoryName, push.sequence),
      }).catch((error: unknown) => {
        if (error instanceof NagareError && error.details.awsException === 'ConflictException') return; // already started
        this.context.logger.error({ err: error, pipeline: stored.definition.name, traceId: traceIdOf(pushTraceParent(push.repositoryName, push.sequence)) }, 'could not start a pipeline for a push');
      });
    }
    await this.context.store.cursors.advance(PUSH_CURSOR, push.sequence);
  }

  /** Push events recorded while no one handled them (a crash between recording and starting). */
  private async catchUpPushes(): Promise<void> {
    const after = await this.context.store.cursors.get(PUSH_CURSOR);
    if (after === undefined) {
      // First run: nothing before now is owed a pipeline execution.
      const latest = (await this.services.repositories.pushEventsAfter(0, 1_000_000)).at(-1);
      await this.context.store.cursors.advance(PUSH_CURSOR, latest?.sequence ?? 0);
      return;
    }
    for (const push of await this.services.repositories.pushEventsAfter(after)) await this.onPush(push);
  }

  /** One pass: missed pushes, due approval timeouts, abandoned work still owed a stop, and every pending action made sure of. */
  async reconcile(): Promise<void> {
    await this.catchUpPushes().catch((error: unknown) => this.context.logger.error({ err: error }, 'catching up on push events failed'));
    for (const stored of await this.services.pipelines.list()) {
      const name = stored.definition.name;
      const runtime = stored.runtime;
      try {
        const deadline = nextDeadline(runtime);
        if (deadline !== undefined && deadline <= this.context.clock()) await this.services.pipelines.dispatch(name, { type: 'TIMER' });
        for (const abandoned of runtime.abandoning ?? []) await this.carryOut(name, { type: 'ABANDON_ACTION', ...abandoned });
        for (const effect of pendingEffects(runtime)) await this.carryOut(name, effect);
      } catch (error) {
        this.context.logger.error({ err: error, pipeline: name }, 'pipeline reconciliation failed');
      }
    }
  }

  private async carryOut(pipelineName: string, effect: PipelineEffect): Promise<void> {
    try {
      switch (effect.type) {
        case 'RUN_ACTION':
          await this.runAction(pipelineName, effect);
          return;
        case 'REQUEST_APPROVAL':
          this.providers.get(MANUAL_APPROVAL)?.requestApproval?.(this.services, pipelineName, effect);
          return;
        case 'ABANDON_ACTION':
          await this.abandon(pipelineName, effect);
          return;
        case 'EXECUTION_ENDED': {
          const execution = await this.services.pipelines.execution(pipelineName, effect.executionId);
          this.context.logger.info({ pipeline: pipelineName, executionId: effect.executionId, status: effect.status, traceId: executionTraceId(effect.executionId, execution?.traceParent) }, 'pipeline execution ended');
          return;
        }
      }
    } catch (error) {
      this.context.logger.error({ err: error, pipeline: pipelineName, executionId: effect.executionId, effect: effect.type, traceId: await this.traceIdOf(pipelineName, effect.executionId) }, 'a pipeline effect failed');
    }
  }

  /** An execution's trace id for a line about a failure; none when the execution cannot be read either. */
  private async traceIdOf(pipelineName: string, executionId: string): Promise<string | undefined> {
    try {
      const execution = await this.services.pipelines.execution(pipelineName, executionId);
      return execution ? executionTraceId(executionId, execution.traceParent) : undefined;
    } catch {
      return undefined;
    }
  }

  private async runAction(pipelineName: string, effect: RunActionEffect): Promise<void> {
    const ref = refOf(pipelineName, effect);
    const key = JSON.stringify(ref);
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    try {
      const provider = this.providers.get(effect.actionTypeId);
      const result = provider
        ? await provider.run(this.services, { pipelineName, ref, effect })
        : { ok: false as const, message: `Action provider ${effect.actionTypeId.provider} is not supported by nagare yet` };
      if (result) await this.report(pipelineName, ref, result);
    } finally {
      this.inFlight.delete(key);
    }
  }

  /**
   * Stops the abandoned attempt's work through its provider, then strikes it from
   * `runtime.abandoning`; the entry saved there says which provider and configuration.
   */
  private async abandon(pipelineName: string, abandoned: AbandonedAction): Promise<void> {
    const ref = refOf(pipelineName, abandoned);
    const runtime = await this.services.pipelines.runtime(pipelineName);
    const owed = runtime.abandoning?.find((a) => a.executionId === abandoned.executionId && a.stage === abandoned.stage && a.action === abandoned.action && a.attempt === abandoned.attempt);
    if (!owed) return; // already stopped (the live effect and reconciliation both came)
    const provider = owed.actionTypeId && this.providers.get(owed.actionTypeId);
    if (provider) await provider.abandon(this.services, { pipelineName, ref, configuration: owed.configuration ?? {} });
    await this.services.pipelines.abandonDone(pipelineName, owed);
  }

  /** An event that may end some provider's attempt (a build ended): reported if that attempt still runs. */
  private async onResultEvent(event: DomainEvent): Promise<void> {
    for (const provider of this.providers.providers) {
      if (!provider.resultEvents.includes(event.type)) continue;
      const found = provider.resultFrom(event);
      if (!found) continue;
      const { ref } = found;
      const stored = await this.services.pipelines.get(ref.pipelineName);
      const effect = pendingEffects(stored.runtime).find(
        (e): e is RunActionEffect => e.type === 'RUN_ACTION' && e.executionId === ref.executionId && e.stage === ref.stageName && e.action === ref.actionName && e.attempt === ref.attempt,
      );
      if (effect && this.providers.get(effect.actionTypeId) === provider) await this.report(ref.pipelineName, ref, found.result(effect));
    }
  }

  private async report(pipelineName: string, ref: PipelineActionRef, result: ActionResult): Promise<void> {
    const common = { executionId: ref.executionId, stage: ref.stageName, action: ref.actionName, attempt: ref.attempt };
    const command = result.ok
      ? { type: 'ACTION_SUCCEEDED' as const, ...common, outputArtifacts: result.outputArtifacts, outputVariables: result.outputVariables, ...(result.summary ? { summary: result.summary } : {}), ...(result.externalExecutionId ? { externalExecutionId: result.externalExecutionId } : {}), ...(result.revision ? { revision: result.revision } : {}) }
      : { type: 'ACTION_FAILED' as const, ...common, message: result.message, ...(result.externalExecutionId ? { externalExecutionId: result.externalExecutionId } : {}) };
    // A late result for an action that was abandoned or retried is refused by the machine: fine.
    try {
      await this.services.pipelines.dispatch(pipelineName, command);
    } catch (error) {
      this.context.logger.warn({ err: error, pipeline: pipelineName, executionId: ref.executionId, action: ref.actionName, traceId: await this.traceIdOf(pipelineName, ref.executionId) }, 'action result not applied');
    }
  }
}

function refOf(pipelineName: string, attempt: AbandonedAction): PipelineActionRef {
  return { pipelineName, executionId: attempt.executionId, stageName: attempt.stage, actionName: attempt.action, attempt: attempt.attempt };
}

const PUSH_CURSOR = 'pipeline-driver.push-events';

/** A UUID-shaped id that is the same for the same pipeline and push event. */
export function executionIdFor(pipelineName: string, push: PushEvent): string {
  const hex = createHash('sha256').update(`${pipelineName}\n${push.repositoryName}\n${push.sequence}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
