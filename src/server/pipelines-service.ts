/**
 * Pipelines as CodePipeline's CreatePipeline, UpdatePipeline, GetPipeline, ListPipelines and
 * DeletePipeline see them, and the one door through which every execution event passes:
 * `dispatch` applies an event to the pipeline's runtime with the pure machine
 * (core/pipeline-execution.ts), saves it under an optimistic revision (re-reading and re-applying
 * when another writer got there first) and hands the effects to the driver.
 *
 * Errors: API_NOT_FOUND, API_ALREADY_EXISTS, spec errors (SpecErrors) for invalid definitions,
 * and the machine's refusals as API_CONFLICT / API_INVALID_INPUT with `details.awsException`.
 */
import { NagareError, type ErrorCode } from '../core/errors.js';
import type { PipelineDefinition } from '../core/pipeline.js';
import {
  applyPipelineEvent,
  createPipelineRuntime,
  type AbandonedAction,
  type PipelineEffect,
  type PipelineEvent,
  type PipelineRuntime,
  type PipelineTransition,
} from '../core/pipeline-execution.js';
import type { StoredPipeline } from '../core/store.js';
import { pipelineChanges } from './events/pipeline-events.js';
import type { ServerContext } from './server-context.js';

/** An event as callers give it: the service adds the clock and a fresh nonce. */
export type PipelineCommand = PipelineEvent extends infer E ? (E extends PipelineEvent ? Omit<E, 'at' | 'nonce'> : never) : never;

export class PipelinesService {
  constructor(private readonly context: ServerContext) {}

  /** Creates or updates; an update bumps the version and cancels executions that have not started (decision 19). */
  async apply(definition: PipelineDefinition): Promise<{ created: boolean; previous: PipelineDefinition | undefined; current: PipelineDefinition }> {
    const existing = await this.context.store.pipelines.get(definition.name);
    if (!existing) {
      const current = { ...definition, version: 1 };
      await this.context.store.pipelines.create(current, createPipelineRuntime(current), this.context.clock()).catch((error: unknown) => {
        if (error instanceof NagareError && error.code === 'STORE_CONFLICT') throw new NagareError('API_ALREADY_EXISTS', `Pipeline already exists: ${definition.name}`);
        throw error;
      });
      return { created: true, previous: undefined, current };
    }
    const current = { ...definition, version: existing.definition.version + 1 };
    await this.dispatch(definition.name, { type: 'DEFINITION_UPDATED', definition: current }, current);
    return { created: false, previous: existing.definition, current };
  }

  async create(definition: PipelineDefinition): Promise<PipelineDefinition> {
    if (await this.context.store.pipelines.get(definition.name)) throw new NagareError('API_ALREADY_EXISTS', `Pipeline already exists: ${definition.name}`);
    return (await this.apply(definition)).current;
  }

  async update(definition: PipelineDefinition): Promise<PipelineDefinition> {
    await this.get(definition.name);
    return (await this.apply(definition)).current;
  }

  async get(name: string): Promise<StoredPipeline> {
    const stored = await this.context.store.pipelines.get(name);
    if (!stored) throw new NagareError('API_NOT_FOUND', `Pipeline cannot be found: ${name}`, { details: { resource: 'pipeline', awsException: 'PipelineNotFoundException' } });
    return stored;
  }

  async runtime(name: string): Promise<PipelineRuntime> {
    return (await this.get(name)).runtime as PipelineRuntime;
  }

  list(): Promise<StoredPipeline[]> {
    return this.context.store.pipelines.list();
  }

  async delete(name: string): Promise<void> {
    if (!(await this.context.store.pipelines.delete(name))) throw new NagareError('API_NOT_FOUND', `Pipeline cannot be found: ${name}`, { details: { awsException: 'PipelineNotFoundException' } });
  }

  /**
   * Applies one event; throws the machine's refusal as a NagareError. After the new runtime is
   * saved, the changes (executions, stages, actions) and the effects are published on the event
   * bus, where the driver carries the effects out; a crash in between loses nothing: the driver's
   * reconciliation finds the pending work in the saved runtime.
   */
  async dispatch(name: string, command: PipelineCommand, newDefinition?: PipelineDefinition): Promise<PipelineTransition> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const stored = await this.get(name);
      const event = { ...command, at: this.context.clock(), nonce: this.context.newId() };
      const transition = applyPipelineEvent(stored.runtime as PipelineRuntime, event);
      if (transition.error) {
        throw new NagareError(refusalCode(transition.error.code), transition.error.message, { details: { awsException: transition.error.awsException } });
      }
      const runtime = withAbandoned(transition.runtime, transition.effects);
      const saved = await this.context.store.pipelines.save(name, { runtime, ...(newDefinition ? { definition: newDefinition } : {}) }, stored.revision, event.at);
      if (!saved) continue;
      for (const change of pipelineChanges(name, stored.runtime as PipelineRuntime, runtime)) this.context.events.publish(change);
      if (transition.effects.length > 0) this.context.events.publish({ type: 'PipelineEffectsRequested', pipelineName: name, effects: transition.effects });
      return { ...transition, runtime };
    }
    throw new NagareError('API_CONFLICT', `Pipeline ${name} is being changed by many requests at once; try again`);
  }

  /** The work of an abandoned attempt is stopped: it leaves `runtime.abandoning` (no-op when gone). */
  async abandonDone(name: string, done: AbandonedAction): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const stored = await this.context.store.pipelines.get(name);
      const runtime = stored?.runtime as PipelineRuntime | undefined;
      if (!stored || !runtime?.abandoning?.some((a) => sameAttempt(a, done))) return;
      const abandoning = runtime.abandoning.filter((a) => !sameAttempt(a, done));
      if (await this.context.store.pipelines.save(name, { runtime: { ...runtime, abandoning } }, stored.revision, this.context.clock())) return;
    }
    throw new NagareError('API_CONFLICT', `Pipeline ${name} is being changed by many requests at once; try again`);
  }
}

/**
 * The runtime to save: the transition's, with its ABANDON_ACTION effects recorded as owed work,
 * each with the action type and configuration its provider needs to stop it.
 */
function withAbandoned(runtime: PipelineRuntime, effects: readonly PipelineEffect[]): PipelineRuntime {
  const abandoned = effects.flatMap((e): AbandonedAction[] => {
    if (e.type !== 'ABANDON_ACTION') return [];
    const execution = runtime.executions.find((x) => x.pipelineExecutionId === e.executionId);
    const run = execution?.actions.find((a) => a.stage === e.stage && a.action === e.action && a.attempt === e.attempt);
    const actionTypeId = execution?.definition.stages.find((s) => s.name === e.stage)?.actions.find((a) => a.name === e.action)?.actionTypeId;
    return [{ executionId: e.executionId, stage: e.stage, action: e.action, attempt: e.attempt, ...(actionTypeId ? { actionTypeId } : {}), ...(run ? { configuration: run.resolvedConfiguration } : {}) }];
  });
  if (abandoned.length === 0) return runtime;
  return { ...runtime, abandoning: [...(runtime.abandoning ?? []), ...abandoned] };
}

function sameAttempt(a: AbandonedAction, b: AbandonedAction): boolean {
  return a.executionId === b.executionId && a.stage === b.stage && a.action === b.action && a.attempt === b.attempt;
}

function refusalCode(code: string): ErrorCode {
  if (code.endsWith('NOT_FOUND')) return 'API_NOT_FOUND';
  if (code === 'PIPELINE_INVALID_INPUT' || code === 'PIPELINE_INVALID_APPROVAL_TOKEN') return 'API_INVALID_INPUT';
  return 'API_CONFLICT';
}
