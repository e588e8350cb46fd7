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
import { NagareError, type ErrorCode } from '../../core/errors.js';
import type { PipelineDefinition } from '../../core/pipeline.js';
import {
  applyPipelineEvent,
  createPipelineRuntime,
  ENDED_STATUSES,
  type ExecutionState,
  type AbandonedAction,
  type PipelineEffect,
  type PipelineEvent,
  type PipelineRuntime,
  type PipelineTransition,
} from '../../core/pipeline-execution.js';
import { splitHistory, withExecution } from '../../core/pipeline-execution-history.js';
import type { Page, PageRequest, StoredPipeline } from '../../core/store.js';
import { pipelineEvents } from '../events/aws-events.js';
import { pipelineChanges } from '../events/pipeline-events.js';
import { executionTraceId } from '../events/trace.js';
import type { ServerContext } from '../server-context.js';

/** An event as callers give it: the service adds the clock and a fresh nonce. */
export type PipelineCommand = PipelineEvent extends infer E ? (E extends PipelineEvent ? Omit<E, 'at' | 'nonce'> : never) : never;

export class PipelinesService {
  constructor(private readonly context: ServerContext) {}

  /**
   * Creates or updates; an update bumps the version and cancels executions that have not started
   * (decision 19). A definition equal to the stored one changes nothing (`unchanged`: no version,
   * no `updated` time) unless `always` (UpdatePipeline, which AWS counts as a new version).
   */
  async apply(definition: PipelineDefinition, always = false): Promise<{ created: boolean; unchanged: boolean; previous: PipelineDefinition | undefined; current: PipelineDefinition }> {
    const existing = await this.context.store.pipelines.get(definition.name);
    if (!existing) {
      const current = { ...definition, version: 1 };
      await this.context.store.pipelines.create(current, createPipelineRuntime(current), this.context.clock()).catch((error: unknown) => {
        if (error instanceof NagareError && error.code === 'STORE_CONFLICT') throw new NagareError('API_ALREADY_EXISTS', `Pipeline already exists: ${definition.name}`);
        throw error;
      });
      return { created: true, unchanged: false, previous: undefined, current };
    }
    if (!always && sameDefinition(existing.definition, definition)) return { created: false, unchanged: true, previous: existing.definition, current: existing.definition };
    const current = { ...definition, version: existing.definition.version + 1 };
    await this.dispatch(definition.name, { type: 'DEFINITION_UPDATED', definition: current }, current);
    return { created: false, unchanged: false, previous: existing.definition, current };
  }

  async create(definition: PipelineDefinition): Promise<PipelineDefinition> {
    if (await this.context.store.pipelines.get(definition.name)) throw new NagareError('API_ALREADY_EXISTS', `Pipeline already exists: ${definition.name}`);
    return (await this.apply(definition)).current;
  }

  async update(definition: PipelineDefinition): Promise<PipelineDefinition> {
    await this.get(definition.name);
    return (await this.apply(definition, true)).current;
  }

  async get(name: string): Promise<StoredPipeline> {
    const stored = await this.context.store.pipelines.get(name);
    if (!stored) throw new NagareError('API_NOT_FOUND', `Pipeline cannot be found: ${name}`, { details: { resource: 'pipeline', awsException: 'PipelineNotFoundException' } });
    return stored;
  }

  /** In-flight executions and what the machine needs; ended ones are in history (see `execution`, `listExecutions`). */
  async runtime(name: string): Promise<PipelineRuntime> {
    return (await this.get(name)).runtime;
  }

  /** One execution, in flight or ended; undefined when the pipeline has no such execution. */
  async execution(name: string, executionId: string): Promise<ExecutionState | undefined> {
    const { runtime } = await this.get(name);
    return runtime.executions.find((e) => e.pipelineExecutionId === executionId) ?? (await this.context.store.pipelines.getEndedExecution(name, executionId));
  }

  /**
   * Executions newest first (by start), at most `limit`, only those started before `beforeSeq`
   * (the `startSeq` of the last one of the previous page) when given; `more` when others follow.
   */
  async listExecutions(name: string, limit: number, beforeSeq?: number): Promise<{ items: ExecutionState[]; more: boolean }> {
    const { runtime } = await this.get(name);
    // Ended executions the runtime still holds are in history too: take them from there only.
    const inFlight = runtime.executions.filter((e) => !ENDED_STATUSES.includes(e.status) && (beforeSeq === undefined || e.startSeq < beforeSeq));
    const ended = await this.context.store.pipelines.listEndedExecutions(name, { limit: limit + 1, beforeSeq });
    const merged = [...inFlight, ...ended].sort((a, b) => b.startSeq - a.startSeq);
    return { items: merged.slice(0, limit), more: merged.length > limit };
  }

  /**
   * One page of `listExecutions` behind an opaque token (`seq-<n>`: the start sequence of the last
   * execution returned, so executions started meanwhile never shift a page); a token nagare did not
   * issue is API_INVALID_INPUT (InvalidNextTokenException in the AWS API).
   */
  async executionPage(name: string, limit: number, nextToken: string | undefined): Promise<{ items: ExecutionState[]; nextToken?: string }> {
    let beforeSeq: number | undefined;
    if (nextToken !== undefined) {
      beforeSeq = Number(/^seq-(\d{1,15})$/.exec(nextToken)?.[1] ?? NaN);
      if (!Number.isSafeInteger(beforeSeq)) throw new NagareError('API_INVALID_INPUT', 'nextToken is not a token this list of executions returned', { details: { awsException: 'InvalidNextTokenException' } });
    }
    const { items, more } = await this.listExecutions(name, limit, beforeSeq);
    const last = items.at(-1);
    return { items, ...(more && last ? { nextToken: `seq-${last.startSeq}` } : {}) };
  }

  /** The definition at `version`: the current one, or one an execution in flight or in history ran on. */
  async definitionAt(name: string, version: number): Promise<PipelineDefinition | undefined> {
    const { definition, runtime } = await this.get(name);
    if (version === definition.version) return definition;
    const held = runtime.executions.find((e) => e.definition.version === version) ?? (await this.context.store.pipelines.endedExecutionOnVersion(name, version));
    return held?.definition;
  }

  list(): Promise<StoredPipeline[]> {
    return this.context.store.pipelines.list();
  }

  listPage(page: PageRequest): Promise<Page<StoredPipeline>> {
    return this.context.store.pipelines.listPage(page);
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
      const before = await this.withNamedExecution(name, stored.runtime, command);
      const event = { ...command, at: this.context.clock(), nonce: this.context.newId() };
      const transition = applyPipelineEvent(before, event);
      if (transition.error) {
        throw new NagareError(refusalCode(transition.error.code), transition.error.message, { details: { awsException: transition.error.awsException } });
      }
      const owed = withAbandoned(transition.runtime, transition.effects);
      const { runtime, ended, reopened } = splitHistory(before, owed);
      const saved = await this.context.store.pipelines.save(name, { runtime, history: { ended, reopened }, ...(newDefinition ? { definition: newDefinition } : {}) }, stored.revision, event.at, pipelineEvents(this.context, name, before, owed));
      if (!saved) continue;
      if (command.type === 'START') {
        const started = owed.executions.find((e) => e.pipelineExecutionId === command.executionId);
        this.context.logger.info({ pipeline: name, executionId: command.executionId, trigger: command.trigger.type, traceId: executionTraceId(command.executionId, started?.traceParent) }, 'pipeline execution started');
      }
      // Compared with the runtime before the split: an execution that ended here is still in it.
      for (const change of pipelineChanges(name, before, owed)) this.context.events.publish(change);
      if (transition.effects.length > 0) this.context.events.publish({ type: 'PipelineEffectsRequested', pipelineName: name, effects: transition.effects });
      return { ...transition, runtime };
    }
    throw new NagareError('API_CONFLICT', `Pipeline ${name} is being changed by many requests at once; try again`);
  }

  /**
   * The runtime with the execution the command names taken back from history, so the machine
   * answers as if it had never left (a retry of an old failed execution, a repeated START id, a
   * stop or late result for one that ended).
   */
  private async withNamedExecution(name: string, runtime: PipelineRuntime, command: PipelineCommand): Promise<PipelineRuntime> {
    const id = 'executionId' in command ? command.executionId : undefined;
    if (id === undefined || runtime.executions.some((e) => e.pipelineExecutionId === id)) return runtime;
    const ended = await this.context.store.pipelines.getEndedExecution(name, id);
    return ended ? withExecution(runtime, ended) : runtime;
  }

  /** The work of an abandoned attempt is stopped: it leaves `runtime.abandoning` (no-op when gone). */
  async abandonDone(name: string, done: AbandonedAction): Promise<void> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const stored = await this.context.store.pipelines.get(name);
      const runtime = stored?.runtime;
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

/** Equal definitions, whatever their version and the order of their keys. */
function sameDefinition(a: PipelineDefinition, b: PipelineDefinition): boolean {
  return canonical({ ...a, version: 0 }) === canonical({ ...b, version: 0 });
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
