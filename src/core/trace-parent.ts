/** The one piece of W3C trace context (`00-<trace id>-<span id>-<flags>`) both the server and agents read. */

/** The trace id of a traceparent; undefined without one. */
export function traceIdOf(traceParent: string | undefined): string | undefined {
  return traceParent?.split('-')[1];
}
