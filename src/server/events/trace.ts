/**
 * W3C trace context (`traceparent: 00-<32 hex trace id>-<16 hex span id>-01`) for the work one
 * cause starts. A pipeline execution's trace id is derived from its execution id, so every build
 * its actions start carries the same trace id with nothing more stored; a build started on its
 * own gets the trace id of its build id. Span ids are derived the same way from what they stand for.
 */
import { createHash } from 'node:crypto';

function hex(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

/** The trace id of a pipeline execution (and of every build its actions start). */
export function executionTraceId(executionId: string): string {
  return hex(`execution:${executionId}`, 32);
}

/** The traceparent of a build: in its execution's trace when a pipeline started it, else a trace of its own. */
export function buildTraceParent(buildId: string, executionId: string | undefined): string {
  const traceId = executionId === undefined ? hex(`build:${buildId}`, 32) : executionTraceId(executionId);
  return `00-${traceId}-${hex(`span:${buildId}`, 16)}-01`;
}
