/**
 * What every service gets from the composition root: the adapters (store, blobs), the clock and
 * id source, the server's secret box, wake-ups (notifier) and domain events (events). Services never construct
 * adapters themselves.
 */
import type { Store } from '../core/store.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { SecretBox } from './auth/crypto/secret-box.js';
import type { EventBus } from './events/event-bus.js';
import type { Notifier } from '../core/notifier.js';
import type { ServerMetrics } from './metrics.js';
import type { Logger } from './logger.js';

export interface ServerSettings {
  readonly region: string;
  readonly accountId: string;
  /** How long a lease lasts without a heartbeat. */
  readonly leaseMs: number;
  /** Leases a job may have that end with the agent lost before a command ran; the last ends the build FAULT. */
  readonly maxJobAttempts: number;
  /** Largest log chunk and artifact an agent may upload. */
  readonly maxLogChunkBytes: number;
  readonly maxArtifactBytes: number;
  /** Bytes of log kept per build; chunks past it (and a little slack) are refused (finding 11). */
  readonly maxLogBytes: number;
  /** Request bodies read whole (JSON, webhooks) and streamed (git pushes); see BodyLimits. */
  readonly bodyLimits: BodyLimits;
  /** The URL agents and clients reach this server at (for links in records). */
  readonly publicUrl: string;
  /** The notification rule approval-webhook is made from these at start (events/approval-webhook.ts). */
  readonly approvalWebhookUrl?: string | undefined;
  readonly approvalWebhookSecret?: string | undefined;
  /** Whether repositories may mirror file://, local paths and hosts on this machine (off by default). */
  readonly allowLocalMirrors?: boolean;
  /** `/metrics` answers without a token (`--metrics-public`, for a scraper on a loopback set-up). */
  readonly metricsPublic?: boolean;
}

/**
 * The largest request bodies the server reads, per kind of route. Every body is read through one
 * capped reader (src/api/request.ts) and refused with 413 API_PAYLOAD_TOO_LARGE past its limit.
 */
export interface BodyLimits {
  /** Native API and agent protocol JSON bodies (a project, a pipeline definition, a build result). */
  readonly jsonBytes: number;
  /** A push webhook's payload (GitHub's own limit is 25 MB; push payloads are far smaller). */
  readonly webhookBytes: number;
  /** What one `git push` over smart HTTP may send. */
  readonly gitPushBytes: number;
}

export const DEFAULT_BODY_LIMITS: BodyLimits = {
  jsonBytes: 10 * 1024 * 1024,
  webhookBytes: 5 * 1024 * 1024,
  gitPushBytes: 2 * 1024 * 1024 * 1024,
};

export interface ServerContext {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly secrets: SecretBox;
  readonly notifier: Notifier;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly newId: () => string;
  readonly settings: ServerSettings;
  /** Domain events: services publish what changed, subscribers react (see events/event-bus.ts). */
  readonly events: EventBus;
}
