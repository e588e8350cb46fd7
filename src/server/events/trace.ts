/**
 * W3C trace context (`traceparent: 00-<32 hex trace id>-<16 hex span id>-01`) for the work one
 * cause starts. The cause is a push (its own trace), an API call (the caller's `traceparent`
 * header, honoured) or nothing known (a trace derived from what was started). Span ids are derived
 * from what they stand for (an execution, an action attempt, a build, a deployment), so every
 * server computes the same ids without storing them, and a repeated step never makes a new span.
 *
 * The spans of one push: push → pipeline execution → action attempt → build or deployment.
 */
import { createHash } from 'node:crypto';
import type { PipelineActionRef } from '../../core/build-job.js';
import type { Store } from '../../core/store.js';
import { traceIdOf } from '../../core/trace-parent.js';

/** Where a span hangs: the trace and the parent span's id. */
export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
}

function hex(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * An incoming `traceparent` header as the W3C rules read it: version `ff` and all-zero ids are
 * invalid; a future version is read by its first four fields. Anything else is ignored (a new
 * trace starts), never an error: a caller's bad header must not fail its request.
 */
export function parseTraceParent(header: string | undefined): TraceContext | undefined {
  const match = TRACEPARENT.exec((header ?? '').trim().slice(0, 55));
  if (!match) return undefined;
  const [, version, traceId, spanId] = match as unknown as [string, string, string, string];
  if (version === 'ff' || /^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId };
}

export function formatTraceParent(traceId: string, spanId: string): string {
  return `00-${traceId}-${spanId}-01`;
}

export { traceIdOf };

/** A stored traceparent as the context a child span hangs under. */
export function traceContextOf(traceParent: string | undefined): TraceContext | undefined {
  const [, traceId, spanId] = traceParent?.split('-') ?? [];
  return traceId !== undefined && spanId !== undefined ? { traceId, spanId } : undefined;
}

/** The span id of a traceparent, if there is one. */
export function spanIdOf(traceParent: string | undefined): string | undefined {
  return traceParent?.split('-')[2];
}

/**
 * The trace id of a pipeline execution (and of every build and deployment its actions start): its
 * cause's (`traceParent`, a push or an API call) when it has one, else derived from its id.
 */
export function executionTraceId(executionId: string, traceParent?: string): string {
  return traceIdOf(traceParent) ?? hex(`execution:${executionId}`, 32);
}

export function executionSpanId(executionId: string): string {
  return hex(`span:execution:${executionId}`, 16);
}

/** One action attempt's span, the parent of the build or deployment it starts. */
export function actionSpanId(executionId: string, stage: string, action: string, attempt: number): string {
  return hex(`span:action:${JSON.stringify([executionId, stage, action, attempt])}`, 16);
}

/** Where the work of an action attempt hangs: its execution's trace, under the attempt's span. */
export function actionTraceContext(execution: { readonly pipelineExecutionId: string; readonly traceParent?: string | undefined }, ref: { readonly stageName: string; readonly actionName: string; readonly attempt: number }): TraceContext {
  return { traceId: executionTraceId(execution.pipelineExecutionId, execution.traceParent), spanId: actionSpanId(execution.pipelineExecutionId, ref.stageName, ref.actionName, ref.attempt) };
}

/** The traceparent of a build: under `parent` (an action attempt, an API caller) when given, else a trace of its own. */
export function buildTraceParent(buildId: string, parent?: TraceContext): string {
  return formatTraceParent(parent?.traceId ?? hex(`build:${buildId}`, 32), hex(`span:${buildId}`, 16));
}

/** The traceparent of a deployment: under `parent` (the action attempt that started it) when given. */
export function deploymentTraceParent(deploymentId: string, parent?: TraceContext): string {
  return formatTraceParent(parent?.traceId ?? hex(`deployment:${deploymentId}`, 32), hex(`span:deployment:${deploymentId}`, 16));
}

/**
 * A push starts a trace: one per ref change, derived from the repository and the push's sequence,
 * with the push's own span; the execution the push starts is its child.
 */
export function pushTraceParent(repositoryName: string, sequence: number): string {
  const traceId = hex(`push:${repositoryName}:${sequence}`, 32);
  return formatTraceParent(traceId, pushSpanId(traceId));
}

/** A push's span id, derived from the trace it starts (so the span can be rebuilt from its event alone). */
export function pushSpanId(traceId: string): string {
  return hex(`span:push:${traceId}`, 16);
}

/**
 * Where the work of a pipeline action attempt hangs, read from the stored execution (which holds
 * the trace its push or API caller gave it); an execution no longer in flight falls back to the
 * trace derived from its id.
 */
export async function pipelineActionTrace(store: Pick<Store, 'pipelines'>, ref: PipelineActionRef): Promise<TraceContext> {
  const execution = (await store.pipelines.get(ref.pipelineName))?.runtime.executions.find((e) => e.pipelineExecutionId === ref.executionId);
  return actionTraceContext({ pipelineExecutionId: ref.executionId, traceParent: execution?.traceParent }, ref);
}

/** One instance's part of a deployment: a span under the deployment's, parent of its lifecycle events. */
export function instanceSpanId(deploymentId: string, instanceName: string): string {
  return hex(`span:instance:${JSON.stringify([deploymentId, instanceName])}`, 16);
}

/** One lifecycle event (a hook or DownloadBundle, Install …) of one instance in a deployment. */
export function lifecycleEventSpanId(deploymentId: string, instanceName: string, lifecycleEventName: string): string {
  return hex(`span:lifecycle:${JSON.stringify([deploymentId, instanceName, lifecycleEventName])}`, 16);
}
