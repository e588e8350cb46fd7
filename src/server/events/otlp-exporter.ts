/**
 * `--otlp-endpoint`: spans of pushes, pipeline executions, action attempts, builds, deployments,
 * their instances and lifecycle events POSTed as OTLP/HTTP JSON to `<endpoint>/v1/traces`
 * (otlp-spans.ts). One component of the interval runner (one server of a cluster exports),
 * registered only when an endpoint is set: off by default, and then nothing runs and nothing is kept.
 *
 * The event log is the outbox. Each pass reads the events after its cursor, turns those that end
 * something (a push, an ended action, execution, build, deployment or instance) into spans from the stored
 * state, POSTs them, and moves the cursor only when the collector answered 2xx. So a span is sent
 * at least once, even across a restart or a collector that is down for hours; a repeat carries the
 * same trace and span ids (they are derived, not random), which collectors merge.
 *
 * A refused connection, a timeout, a 429 or a 5xx is tried again after a back-off (doubling, with
 * jitter, up to `maxDelayMs`). Any other 4xx means the collector will never take this batch: it is
 * skipped with a warning rather than blocking every later span.
 */
import type { StoredEvent } from '../../core/aws-event.js';
import type { ExecutionState } from '../../core/pipeline-execution.js';
import type { Component } from '../interval-runner.js';
import type { ServerContext } from '../server-context.js';
import { DEPLOYMENT_STATE_CHANGE, INSTANCE_STATE_CHANGE } from './deployment-events.js';
import { actionSpan, buildSpan, deploymentSpan, executionSpan, exportTraceServiceRequest, instanceSpans, pushSpan, type OtlpSpan } from './otlp-spans.js';

export interface OtlpExportOptions {
  /** The collector's base URL (`http://collector:4318`); spans go to `<endpoint>/v1/traces`. */
  readonly endpoint: string;
  readonly intervalMs?: number;
  /** How long one POST may take (default 10 s). */
  readonly timeoutMs?: number;
  /** The first retry waits about this long, each next one twice as long up to `maxDelayMs` (defaults 1 s, 5 min). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** `service.name` of the resource (default `nagare`). */
  readonly serviceName?: string;
}

export const OTLP_CURSOR = 'otlp-export';
const BATCH = 200;
const ENDED_PIPELINE = new Set(['SUCCEEDED', 'FAILED', 'STOPPED', 'SUPERSEDED', 'CANCELED']);
const ENDED_ACTION = new Set(['SUCCEEDED', 'FAILED', 'ABANDONED', 'CANCELED']);
const ENDED_DEPLOYMENT = new Set(['SUCCESS', 'FAILURE', 'STOP']);
const ENDED_INSTANCE = new Set(['SUCCESS', 'FAILURE']);

export class OtlpExporter {
  readonly #options: Required<OtlpExportOptions>;
  readonly #url: string;
  #failures = 0;
  #nextAttemptAt = 0;

  constructor(
    private readonly context: ServerContext,
    options: OtlpExportOptions,
  ) {
    this.#options = { intervalMs: 1000, timeoutMs: 10_000, baseDelayMs: 1000, maxDelayMs: 300_000, serviceName: 'nagare', ...options };
    this.#url = `${options.endpoint.replace(/\/+$/, '')}/v1/traces`;
  }

  component(): Component {
    return { name: 'otlp-export', intervalMs: this.#options.intervalMs, run: (signal) => this.runOnce(signal) };
  }

  /** Exports what the events after the cursor ended, batch by batch, until none is left or a POST fails. */
  async runOnce(signal?: AbortSignal): Promise<void> {
    const { store, clock } = this.context;
    if (clock() < this.#nextAttemptAt) return;
    while (!signal?.aborted) {
      const after = (await store.cursors.get(OTLP_CURSOR)) ?? 0;
      const events = await store.events.after(after, BATCH);
      const last = events.at(-1);
      if (!last) return;
      const spans: OtlpSpan[] = [];
      for (const event of events) spans.push(...(await this.spansOf(event)));
      if (spans.length > 0 && !(await this.post(spans))) return;
      await store.cursors.advance(OTLP_CURSOR, last.sequence);
      if (events.length < BATCH) return;
    }
  }

  /** The spans an event closes, rebuilt from the stored state; none when it closes nothing or its subject is gone. */
  private async spansOf({ event, traceId }: StoredEvent): Promise<OtlpSpan[]> {
    const { store } = this.context;
    const d = event.detail;
    const text = (key: string): string => (typeof d[key] === 'string' ? d[key] : '');
    switch (event['detail-type']) {
      case 'CodeCommit Repository State Change':
        return traceId === undefined ? [] : [pushSpan(event, traceId)];
      case 'CodePipeline Pipeline Execution State Change': {
        if (!ENDED_PIPELINE.has(text('state'))) return [];
        const execution = await this.execution(text('pipeline'), text('execution-id'));
        return execution ? [executionSpan(text('pipeline'), execution)] : [];
      }
      case 'CodePipeline Action Execution State Change': {
        if (!ENDED_ACTION.has(text('state'))) return [];
        const execution = await this.execution(text('pipeline'), text('execution-id'));
        // The latest attempt of the action that has ended: the one this event tells of.
        const run = execution?.actions.filter((a) => a.stage === text('stage') && a.action === text('action') && a.status !== 'InProgress').at(-1);
        return execution && run ? [actionSpan(text('pipeline'), execution, run)] : [];
      }
      case 'CodeBuild Build State Change': {
        if (d['current-phase'] !== 'COMPLETED') return [];
        const build = await store.builds.get(text('build-id').replace(/^arn:[^/]*:build\//, ''));
        const built = build ? buildSpan(build) : undefined;
        return built ? [built] : [];
      }
      case DEPLOYMENT_STATE_CHANGE: {
        if (!ENDED_DEPLOYMENT.has(text('state'))) return [];
        const stored = await store.deployments.get(text('deploymentId'));
        const deployed = stored ? deploymentSpan(stored.deployment) : undefined;
        return deployed ? [deployed] : [];
      }
      case INSTANCE_STATE_CHANGE: {
        if (!ENDED_INSTANCE.has(text('state'))) return [];
        const stored = await store.deployments.get(text('deploymentId'));
        const instance = stored?.deployment.rollout.instances.find((i) => i.instanceName === text('instanceId'));
        return stored && instance ? instanceSpans(stored.deployment, instance) : [];
      }
      default:
        return [];
    }
  }

  private async execution(pipelineName: string, executionId: string): Promise<ExecutionState | undefined> {
    const stored = await this.context.store.pipelines.get(pipelineName);
    return stored?.runtime.executions.find((e) => e.pipelineExecutionId === executionId) ?? (await this.context.store.pipelines.getEndedExecution(pipelineName, executionId));
  }

  /** POSTs one request; true when the batch is done with (taken, or refused for good). */
  private async post(spans: readonly OtlpSpan[]): Promise<boolean> {
    const { logger, clock } = this.context;
    let failure: string;
    try {
      const response = await fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'nagare-otlp' },
        body: JSON.stringify(exportTraceServiceRequest(spans, this.#options.serviceName)),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      await response.body?.cancel();
      if (response.ok) {
        this.#failures = 0;
        return true;
      }
      if (response.status >= 400 && response.status < 500 && response.status !== 429) {
        logger.warn({ endpoint: this.#url, status: response.status, spans: spans.length }, 'the OTLP collector refused these spans; they are skipped');
        return true;
      }
      failure = `the collector answered HTTP ${response.status}`;
    } catch (error) {
      failure = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError') ? `no answer within ${this.#options.timeoutMs} ms` : `could not reach the collector: ${error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error)}`;
    }
    this.#failures += 1;
    const ceiling = Math.min(this.#options.maxDelayMs, this.#options.baseDelayMs * 2 ** (this.#failures - 1));
    this.#nextAttemptAt = clock() + Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    logger.warn({ endpoint: this.#url, failures: this.#failures, reason: failure }, 'exporting spans failed; will retry');
    return false;
  }
}
