/**
 * The pipeline driver: carries out what the execution machine asks for and feeds results back.
 * Source actions zip the pushed commit into the artifact store; CodeBuild and Commands actions are
 * builds on agents (their result comes back when the build completes); approvals wait for
 * PutApprovalResult (and are announced to a webhook). Pushes to hosted repositories start the
 * pipelines that watch them.
 *
 * Nothing runs twice: an action's build is found by its (execution, stage, action, attempt) key
 * before one is started, and a periodic reconciliation re-derives pending work from the saved
 * runtime — which is also how a restarted server carries every execution on.
 */
import { createHash } from 'node:crypto';
import type { PipelineActionRef } from '../core/build-job.js';
import { NagareError } from '../core/errors.js';
import { pendingEffects, nextDeadline, type PipelineEffect, type PipelineRuntime, type RunActionEffect } from '../core/pipeline-execution.js';
import { sourceActionsTriggeredBy } from '../core/pipeline-triggers.js';
import type { PushEvent, StoredBuild } from '../core/store.js';
import { recordOf } from './build-records.js';
import { actionBuildUuid, actionProjectName, buildResult, notifyApproval, runSourceAction, startActionBuild } from './pipeline-actions.js';
import type { Component } from './interval-runner.js';
import type { ServerContext } from './server-context.js';
import type { Services } from './services.js';

export class PipelineDriver {
  private readonly inFlight = new Set<string>();
  /** Approval tokens announced by this process: reconciliation re-derives REQUEST_APPROVAL, the webhook hears it once (once more after a restart). */
  private readonly announced = new Set<string>();
  private listening = false;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly services: Services) {}

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

  /** Listens for effects, finished builds and pushes (every server: each handles its own). */
  start(): void {
    if (this.listening) return;
    this.listening = true;
    this.services.pipelines.setEffectHandler((name, effects) => {
      for (const effect of effects) void this.carryOut(name, effect);
    });
    this.unsubscribe.push(this.context.buildFinished.on((build) => this.onBuildFinished(build)));
    this.unsubscribe.push(this.services.repositories.onPush((push) => this.onPush(push)));
  }

  /** Stops listening; a reconciliation under way is awaited by the interval runner's stop. */
  stop(): Promise<void> {
    this.listening = false;
    for (const off of this.unsubscribe.splice(0)) off();
    return Promise.resolve();
  }

  /**
   * Starts the pipelines a push to a hosted repository triggers. The execution id is derived from
   * the push event and the pipeline, so handling the same push twice (the live listener and the
   * catch-up after a restart) starts one execution: the machine refuses a repeated id.
   */
  async onPush(push: PushEvent): Promise<void> {
    const short = { ...push, ref: push.ref.replace(/^refs\/(heads|tags)\//, '') };
    for (const stored of await this.services.pipelines.list()) {
      const actions = sourceActionsTriggeredBy(stored.definition, short);
      if (actions.length === 0) continue;
      const sourceRevisions = Object.fromEntries(actions.map((a) => [a.name, { revisionType: 'COMMIT_ID' as const, revisionValue: push.newCommit ?? '' }]));
      await this.services.pipelines.dispatch(stored.definition.name, {
        type: 'START',
        executionId: executionIdFor(stored.definition.name, push),
        trigger: { type: 'CodeCommit', detail: `${push.repositoryName} ${short.ref} ${push.newCommit ?? ''}` },
        variables: {},
        sourceRevisions,
      }).catch((error: unknown) => {
        if (error instanceof NagareError && error.details.awsException === 'ConflictException') return; // already started
        this.context.logger.error({ err: error, pipeline: stored.definition.name }, 'could not start a pipeline for a push');
      });
    }
    await this.context.store.cursors.advance(PUSH_CURSOR, push.sequence);
  }

  /** Push events recorded while no listener ran (a crash between recording and starting). */
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

  /** One pass: missed pushes, due approval timeouts, and every pending action made sure of. */
  async reconcile(): Promise<void> {
    await this.catchUpPushes().catch((error: unknown) => this.context.logger.error({ err: error }, 'catching up on push events failed'));
    for (const stored of await this.services.pipelines.list()) {
      const name = stored.definition.name;
      const runtime = stored.runtime as PipelineRuntime;
      try {
        const deadline = nextDeadline(runtime);
        if (deadline !== undefined && deadline <= this.context.clock()) await this.services.pipelines.dispatch(name, { type: 'TIMER' });
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
          if (this.announced.has(effect.token)) return;
          this.announced.add(effect.token);
          await notifyApproval(this.context, pipelineName, effect);
          return;
        case 'ABANDON_ACTION': {
          const ref = { pipelineName, executionId: effect.executionId, stageName: effect.stage, actionName: effect.action, attempt: effect.attempt };
          const execution = (await this.services.pipelines.runtime(pipelineName)).executions.find((e) => e.pipelineExecutionId === effect.executionId);
          const run = execution?.actions.find((a) => a.stage === effect.stage && a.action === effect.action && a.attempt === effect.attempt);
          const provider = execution?.definition.stages.find((s) => s.name === effect.stage)?.actions.find((a) => a.name === effect.action)?.actionTypeId.provider ?? '';
          const build = await this.findBuild(ref, actionProjectName(pipelineName, provider, run?.resolvedConfiguration ?? {}));
          if (build && build.currentPhase !== 'COMPLETED') await this.services.builds.stopBuild(build.id);
          return;
        }
        case 'EXECUTION_ENDED':
          this.context.logger.info({ pipeline: pipelineName, executionId: effect.executionId, status: effect.status }, 'pipeline execution ended');
          return;
      }
    } catch (error) {
      this.context.logger.error({ err: error, pipeline: pipelineName, effect: effect.type }, 'a pipeline effect failed');
    }
  }

  private async runAction(pipelineName: string, effect: RunActionEffect): Promise<void> {
    const ref: PipelineActionRef = { pipelineName, executionId: effect.executionId, stageName: effect.stage, actionName: effect.action, attempt: effect.attempt };
    const key = JSON.stringify(ref);
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    try {
      const provider = effect.actionTypeId.provider;
      if (provider === 'CodeCommit') {
        const result = await runSourceAction(this.services, pipelineName, effect);
        await this.report(pipelineName, ref, result);
        return;
      }
      const existing = await this.findBuild(ref, actionProjectName(pipelineName, provider, effect.configuration));
      if (existing) {
        if (existing.currentPhase === 'COMPLETED' && existing.buildStatus !== 'IN_PROGRESS') await this.report(pipelineName, ref, buildResult(existing, effect));
        return;
      }
      const started = await startActionBuild(this.services, pipelineName, effect, ref);
      if (!started.ok) await this.report(pipelineName, ref, started);
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async onBuildFinished(build: StoredBuild): Promise<void> {
    const job = recordOf(build).job;
    const ref = job.pipelineAction;
    if (!ref) return;
    const stored = await this.services.pipelines.get(ref.pipelineName);
    const effect = pendingEffects(stored.runtime as PipelineRuntime).find(
      (e): e is RunActionEffect => e.type === 'RUN_ACTION' && e.executionId === ref.executionId && e.stage === ref.stageName && e.action === ref.actionName && e.attempt === ref.attempt,
    );
    if (effect) await this.report(ref.pipelineName, ref, buildResult(build, effect));
  }

  private async report(pipelineName: string, ref: PipelineActionRef, result: ActionResult): Promise<void> {
    const common = { executionId: ref.executionId, stage: ref.stageName, action: ref.actionName, attempt: ref.attempt };
    const command = result.ok
      ? { type: 'ACTION_SUCCEEDED' as const, ...common, outputArtifacts: result.outputArtifacts, outputVariables: result.outputVariables, ...(result.summary ? { summary: result.summary } : {}), ...(result.externalExecutionId ? { externalExecutionId: result.externalExecutionId } : {}), ...(result.revision ? { revision: result.revision } : {}) }
      : { type: 'ACTION_FAILED' as const, ...common, message: result.message, ...(result.externalExecutionId ? { externalExecutionId: result.externalExecutionId } : {}) };
    // A late result for an action that was abandoned or retried is refused by the machine: fine.
    await this.services.pipelines.dispatch(pipelineName, command).catch((error: unknown) => this.context.logger.warn({ err: error, pipeline: pipelineName, action: ref.actionName }, 'action result not applied'));
  }

  /** The build of this action attempt, if it was started: its id is derived from the attempt. */
  private findBuild(ref: PipelineActionRef, projectName: string): Promise<StoredBuild | undefined> {
    return this.context.store.builds.get(`${projectName}:${actionBuildUuid(ref)}`);
  }
}

const PUSH_CURSOR = 'pipeline-driver.push-events';

/** A UUID-shaped id that is the same for the same pipeline and push event. */
export function executionIdFor(pipelineName: string, push: PushEvent): string {
  const hex = createHash('sha256').update(`${pipelineName}\n${push.repositoryName}\n${push.sequence}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export type ActionResult =
  | { readonly ok: true; readonly outputArtifacts: Record<string, string>; readonly outputVariables: Record<string, string>; readonly summary?: string; readonly externalExecutionId?: string; readonly revision?: { revisionId: string; revisionSummary?: string; created?: number } }
  | { readonly ok: false; readonly message: string; readonly externalExecutionId?: string };
