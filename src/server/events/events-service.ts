/**
 * The event log as readers see it: a page of events after a cursor, and a wait for the next ones
 * (the SSE stream and `nagare events --follow`). The `events` wake-up is announced whenever a
 * change that carries events is published on the bus; readers also poll, so a lost wake-up only
 * delays.
 */
import type { StoredEvent } from '../../core/aws-event.js';
import type { ServerContext } from '../server-context.js';

export interface EventsQuery {
  readonly after: number;
  readonly limit: number;
  /** `detail-type`s to keep; all when empty. */
  readonly detailTypes?: readonly string[] | undefined;
  /** Only the events of this trace (`nagare trace ID`). */
  readonly traceId?: string | undefined;
}

export class EventsService {
  constructor(private readonly context: ServerContext) {}

  list(query: EventsQuery): Promise<StoredEvent[]> {
    return this.context.store.events.after(query.after, query.limit, { detailTypes: query.detailTypes, traceId: query.traceId });
  }

  /** The newest sequence: where a follower that wants only new events starts. */
  lastSequence(): Promise<number> {
    return this.context.store.events.lastSequence();
  }

  /** Resolves when new events may be stored, after `timeoutMs`, or when `signal` aborts. */
  waitForMore(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.context.notifier.wait('events', timeoutMs, signal);
  }
}
