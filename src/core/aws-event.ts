/**
 * An event in EventBridge's envelope (reference/aws-events-fleets-batch-reports.md §1.1): what
 * nagare stores for every change of state, serves at /api/v1/events, matches against rules and
 * delivers to notification targets. The envelope is built once, when the change is stored, so
 * every reader sees the same `id` and `time`.
 */
export interface AwsEvent {
  readonly version: '0';
  /** A UUID, new for each event; also the delivery's idempotency key. */
  readonly id: string;
  readonly 'detail-type': string;
  /** `aws.codebuild`, `aws.codepipeline`, `aws.codecommit`, `aws.codedeploy`. */
  readonly source: string;
  readonly account: string;
  /** ISO-8601 UTC to the second: `2026-12-01T02:00:00Z`. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Readonly<Record<string, unknown>>;
}

/** An event with the trace it belongs to (nagare's, kept beside the envelope, never inside it). */
export type TracedEvent = AwsEvent & { readonly traceId?: string | undefined };

/** An event as stored: its place in the one ordered log of events (the cursor of readers). */
export interface StoredEvent {
  readonly sequence: number;
  readonly event: AwsEvent;
  /** The W3C trace id of the work the change belongs to, when it has one. */
  readonly traceId?: string | undefined;
}

/** EventBridge's `time`: ISO-8601 without milliseconds. */
export function eventTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
