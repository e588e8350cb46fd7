/**
 * The agent side of the agent protocol (`/agent/v1`, see src/api/agent-routes.ts): a typed client
 * over `fetch`.
 *
 * Retries: a network error, a 5xx or a 429 is retried with capped exponential backoff (with
 * jitter), by default for as long as it takes, so that an agent rides out a server restart and
 * resends what did not arrive. Every call is safe to repeat (log chunks are idempotent by sequence
 * number) except `complete`, see there. A 4xx answer is final and rejects with an `AgentApiError`
 * carrying the server's error code (`AGENT_LEASE_EXPIRED`, `AGENT_LOG_GAP` …). Aborting the
 * client's or the call's signal rejects at once with the signal's reason. A connection reset
 * under a request (a kept-alive connection the server closed) is retried once at once, even for a
 * call made with `retry: false`.
 *
 * Failover: `serverUrl` may list several servers of one cluster (`URL1,URL2`). The client talks
 * to one at a time, starting with the first; when it stops answering (connection refused, reset
 * or timed out) the call moves to the next one in order at once, and backs off only after every
 * server failed in turn. The session stays valid since the servers share their database, so a
 * build in flight carries on: its heartbeats, log and result go to the next server.
 */
import type { ZodType } from 'zod';
import type { StoredArtifact } from '../core/build-job.js';
import type { StatusType } from '../core/build-phases.js';
import {
  completeAnswer,
  heartbeatAnswer,
  leaseAnswer,
  logAnswer,
  parametersAnswer,
  registerAnswer,
  storedArtifactAnswer,
  type CompletionBody,
  type HeartbeatBody,
  type LeasedJob,
  type RegisterBody,
  type Sendable,
} from '../protocol/agent-protocol.js';
import { deployReportAnswer, type LifecycleEventResult } from '../protocol/deploy-job.js';
import { isConnectionReset } from './connection-reset.js';

export type { CompletionBody, HeartbeatBody, LeasedJob } from '../protocol/agent-protocol.js';

export interface Lease {
  readonly job: LeasedJob;
  /** The answer of the heartbeat the lease stands for; undefined from a version 1 server (send one). */
  readonly stopRequested: boolean | undefined;
}

/** An answer of the server that retrying will not change (or the last one, once retries ran out). */
export class AgentApiError extends Error {
  override readonly name = 'AgentApiError';

  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    /** The server's stable error code (`AGENT_LEASE_EXPIRED` …), or `NETWORK_ERROR`. */
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    /** The connection was closed under the request (a kept-alive one the server closed). */
    readonly connectionReset = false,
  ) {
    super(message);
  }
}

export function isLeaseExpired(error: unknown): boolean {
  return error instanceof AgentApiError && error.code === 'AGENT_LEASE_EXPIRED';
}

export interface RetryPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Give up after retrying this long; Infinity retries until the signal aborts. */
  readonly maxElapsedMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 200, maxDelayMs: 5000, maxElapsedMs: Number.POSITIVE_INFINITY };

export interface AgentClientOptions {
  /** One server URL, or several of one cluster separated by commas, tried in order. */
  readonly serverUrl: string;
  readonly retry?: Partial<RetryPolicy>;
  /** Time allowed for one attempt of a call other than `lease` (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Aborting it ends every call in flight and every retry wait (agent shutdown). */
  readonly signal?: AbortSignal;
  /** Told about each failed attempt that will be retried. */
  readonly onRetry?: (what: string, error: AgentApiError, delayMs: number) => void;
  /** Told when the client moves to the next server because one stopped answering. */
  readonly onFailover?: (from: string, to: string, error: AgentApiError) => void;
  readonly fetch?: typeof fetch;
}

export interface CallOptions {
  /** false: one attempt only (heartbeats, which the next beat replaces). */
  readonly retry?: boolean;
  readonly signal?: AbortSignal;
}

/** What fetch accepts as a body (the DOM's BodyInit, which Node's types do not name). */
export type RequestBody = NonNullable<RequestInit['body']>;

interface Request {
  readonly method: 'GET' | 'POST' | 'PUT';
  /** The answer is bytes (an input artifact), not JSON. */
  readonly binary?: boolean;
  /** The answer is handed over unread (a deploy bundle, which the caller streams to a file). */
  readonly stream?: boolean;
  readonly path: string;
  readonly json?: unknown;
  /** Called for each attempt, so that a streamed body can be opened again. */
  readonly body?: () => RequestBody;
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

export class AgentClient {
  private sessionToken: string | undefined;
  /** The protocol version the server stated when this client registered (1 until then). */
  protocolVersion = 1;
  private readonly retry: RetryPolicy;
  private readonly fetch: typeof fetch;
  private readonly serverUrls: readonly string[];
  private current = 0;

  constructor(private readonly options: AgentClientOptions) {
    this.serverUrls = splitServerUrls(options.serverUrl);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** The server this client talks to now. */
  get serverUrl(): string {
    return this.serverUrls[this.current] ?? '';
  }

  /** Registers with a registration (or API) token; later calls use the session token it returns. */
  async register(registrationToken: string, registration: RegisterBody): Promise<{ agentId: string; sessionToken: string }> {
    const result = registerAnswer.parse(await this.call({ method: 'POST', path: '/register', json: registration }, {}, registrationToken));
    this.sessionToken = result.sessionToken;
    this.protocolVersion = result.protocolVersion;
    return { agentId: result.agentId, sessionToken: result.sessionToken };
  }

  /** Long poll: a job this agent can run within `waitSeconds` (≤ 60), or undefined. */
  async lease(waitSeconds: number, options: CallOptions = {}): Promise<Lease | undefined> {
    const result = await this.call({ method: 'POST', path: '/jobs/lease', json: { waitSeconds }, timeoutMs: (waitSeconds + 30) * 1000 }, options);
    if (result === undefined) return undefined;
    const leased = answer(leaseAnswer, result, 'lease');
    return { job: leased.job, stopRequested: this.protocolVersion >= 2 ? leased.stopRequested : undefined };
  }

  /** Renews the lease; rejects with AGENT_LEASE_EXPIRED when the agent no longer holds the build. */
  async heartbeat(buildId: string, beat: HeartbeatBody, options: CallOptions = {}): Promise<{ stopRequested: boolean }> {
    return answer(heartbeatAnswer, await this.call({ method: 'POST', path: `${buildPath(buildId)}/heartbeat`, json: beat }, options), 'heartbeat');
  }

  /** Log chunk `sequence` (≤ 1 MiB). A resent chunk answers `duplicate`; a gap rejects with AGENT_LOG_GAP. */
  async appendLog(buildId: string, sequence: number, chunk: Uint8Array, options: CallOptions = {}): Promise<'appended' | 'duplicate'> {
    const body = (): RequestBody => chunk;
    return answer(logAnswer, await this.call({ method: 'PUT', path: `${buildPath(buildId)}/log/${sequence}`, body, contentType: 'application/octet-stream' }, options), 'log').outcome;
  }

  /** Values of parameter-store names and secrets-manager ids; unknown names are absent. */
  async parameters(buildId: string, names: { parameters: readonly string[]; secrets: readonly string[] }, options: CallOptions = {}): Promise<Record<string, string>> {
    return answer(parametersAnswer, await this.call({ method: 'POST', path: `${buildPath(buildId)}/parameters`, json: names }, options), 'parameters').values;
  }

  /** A pipeline input artifact (zip) of the build, whole. */
  async downloadInput(buildId: string, name: string, options: CallOptions = {}): Promise<Buffer> {
    return (await this.call({ method: 'GET', path: `${buildPath(buildId)}/inputs/${encodeURIComponent(name)}`, binary: true, timeoutMs: 60 * 60_000 }, options)) as Buffer;
  }

  /** Uploads an artifact zip; `open` is called once per attempt. */
  async uploadArtifact(buildId: string, name: string, identifier: string | undefined, open: () => RequestBody, options: CallOptions = {}): Promise<StoredArtifact> {
    const query = identifier === undefined ? '' : `?identifier=${encodeURIComponent(identifier)}`;
    const path = `${buildPath(buildId)}/artifacts/${encodeURIComponent(name)}${query}`;
    return answer(storedArtifactAnswer, await this.call({ method: 'PUT', path, body: open, contentType: 'application/zip', timeoutMs: 60 * 60_000 }, options), 'artifact upload');
  }

  /**
   * Reports the result. Not idempotent on the server: when an attempt's answer was lost and the
   * retry finds the build already completed, the server answers AGENT_LEASE_EXPIRED. This call then
   * resolves with `confirmed: false` instead of rejecting, since the first attempt did arrive.
   */
  async complete(buildId: string, completion: CompletionBody, options: CallOptions = {}): Promise<{ buildStatus: StatusType | undefined; confirmed: boolean }> {
    let attempted = false;
    try {
      const result = answer(completeAnswer, await this.call({ method: 'POST', path: `${buildPath(buildId)}/complete`, json: completion }, options, undefined, () => {
        attempted = true;
      }), 'complete');
      return { buildStatus: result.buildStatus, confirmed: true };
    } catch (error) {
      if (attempted && isLeaseExpired(error)) return { buildStatus: undefined, confirmed: false };
      throw error;
    }
  }

  /**
   * Opens the revision bundle of a held deploy job, unread: the caller streams it to a file and
   * bounds its size (the declared length, when the server sends one, lets it refuse at once). A
   * connection that drops mid-body errors the stream; nothing here retries that.
   */
  async openBundle(jobId: string, options: CallOptions = {}): Promise<{ body: ReadableStream<Uint8Array>; declaredBytes: number | undefined }> {
    const response = (await this.call({ method: 'GET', path: `${deployPath(jobId)}/bundle`, stream: true, timeoutMs: 60 * 60_000 }, options)) as Response | undefined;
    if (!response?.body) throw new AgentApiError(200, 'AGENT_PROTOCOL_MISMATCH', 'The server answered the bundle request with no body');
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    return { body: response.body, declaredBytes: Number.isSafeInteger(length) && length >= 0 ? length : undefined };
  }

  /** Keeps a deploy job's lease while a hook runs; AGENT_LEASE_EXPIRED when the server ended the job. */
  async deployHeartbeat(jobId: string, options: CallOptions = {}): Promise<{ stopRequested: boolean }> {
    return answer(deployReportAnswer, await this.call({ method: 'POST', path: `${deployPath(jobId)}/heartbeat`, json: {} }, options), 'deploy heartbeat');
  }

  /** One lifecycle event's result, as it ends. */
  async deployEvent(jobId: string, event: Sendable<LifecycleEventResult>, options: CallOptions = {}): Promise<{ stopRequested: boolean }> {
    return answer(deployReportAnswer, await this.call({ method: 'POST', path: `${deployPath(jobId)}/events`, json: { event } }, options), 'deploy event');
  }

  /**
   * Every event's result: the instance's lifecycle is over. Safe to repeat: a report the server
   * already took (its answer lost) answers stopRequested instead of failing.
   */
  async deployComplete(jobId: string, events: readonly Sendable<LifecycleEventResult>[], options: CallOptions = {}): Promise<{ stopRequested: boolean }> {
    return answer(deployReportAnswer, await this.call({ method: 'POST', path: `${deployPath(jobId)}/complete`, json: { events } }, options), 'deploy complete');
  }

  /** The event a killed predecessor on this instance was running, Failed (the CodeDeploy agent's code 7). */
  async deployInterrupted(jobId: string, event: Sendable<LifecycleEventResult>, options: CallOptions = {}): Promise<{ stopRequested: boolean }> {
    return answer(deployReportAnswer, await this.call({ method: 'POST', path: `${deployPath(jobId)}/interrupted`, json: { event } }, options), 'deploy interrupted');
  }

  private async call(request: Request, options: CallOptions, token = this.sessionToken, onRetry?: () => void): Promise<unknown> {
    const signal = anySignal([this.options.signal, options.signal]);
    const started = Date.now();
    // Servers not yet tried since the last backoff: a server that stopped answering is left at once.
    let untried = this.serverUrls.length - 1;
    let resetRetried = false;
    for (let attempt = 0; ; attempt += 1) {
      signal?.throwIfAborted();
      let error: AgentApiError;
      const serverUrl = this.serverUrl;
      try {
        return await this.attempt(serverUrl, request, token, signal);
      } catch (thrown) {
        if (signal?.aborted) throw signal.reason;
        if (!(thrown instanceof AgentApiError)) throw thrown;
        error = thrown;
      }
      if (error.connectionReset && !resetRetried) {
        // The server closed the connection as the request went out: once more at once, on a new
        // one, even for a call that is otherwise not retried (every agent call is safe to repeat).
        resetRetried = true;
        onRetry?.();
        continue;
      }
      const retryable = error.status === 0 || error.status >= 500 || error.status === 429;
      if (error.status === 0 && this.serverUrls.length > 1) {
        // Even a call that is not retried (a heartbeat) moves on, so that the next one goes elsewhere.
        this.failOver(serverUrl, error);
        if (options.retry === false) throw error;
        if (untried > 0) {
          untried -= 1;
          onRetry?.();
          continue;
        }
      }
      untried = this.serverUrls.length - 1;
      const delay = Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** Math.min(attempt, 20)) * (0.75 + Math.random() * 0.5);
      if (!retryable || options.retry === false || Date.now() - started + delay > this.retry.maxElapsedMs) throw error;
      this.options.onRetry?.(`${request.method} ${request.path}`, error, delay);
      onRetry?.();
      await sleep(delay, signal);
    }
  }

  /** Moves past `from`, unless another call already did (calls fail together when a server dies). */
  private failOver(from: string, error: AgentApiError): void {
    if (this.serverUrl !== from) return;
    this.current = (this.current + 1) % this.serverUrls.length;
    this.options.onFailover?.(from, this.serverUrl, error);
  }

  private async attempt(serverUrl: string, request: Request, token: string | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    let body: RequestBody | undefined;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json);
    } else if (request.body) {
      headers['content-type'] = request.contentType ?? 'application/octet-stream';
      body = request.body();
    }
    const timeout = AbortSignal.timeout(request.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000);
    let response: Response;
    try {
      response = await this.fetch(`${serverUrl}/agent/v1${request.path}`, {
        method: request.method,
        headers,
        body,
        signal: anySignal([signal, timeout]),
        // A streamed body (artifact upload) needs half duplex in Node's fetch.
        ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      throw new AgentApiError(0, 'NETWORK_ERROR', `${serverUrl} could not be reached (${error instanceof Error ? error.message : String(error)}${cause})`, {}, isConnectionReset(error));
    }
    if (response.status === 204) return undefined;
    if (response.ok && request.stream) return response;
    if (response.ok && request.binary) {
      try {
        return Buffer.from(await response.arrayBuffer());
      } catch (error) {
        // The connection dropped mid-body (a server killed while sending): as retryable as no answer.
        if (signal?.aborted) throw signal.reason;
        throw new AgentApiError(0, 'NETWORK_ERROR', `${serverUrl} stopped sending the answer (${error instanceof Error ? error.message : String(error)})`);
      }
    }
    const text = await response.text().catch(() => '');
    const parsed = parseJson(text);
    if (response.ok) return parsed;
    const problem = isErrorBody(parsed) ? parsed.error : { code: `HTTP_${response.status}`, message: text.slice(0, 200) || response.statusText };
    throw new AgentApiError(response.status, problem.code, problem.message, problem.details ?? {});
  }
}

/** `URL1,URL2` into the URLs, without trailing slashes. */
export function splitServerUrls(value: string): string[] {
  return value.split(',').map((url) => url.trim().replace(/\/+$/, '')).filter((url) => url !== '');
}

function buildPath(jobId: string): string {
  return `/jobs/${encodeURIComponent(jobId)}`;
}

function deployPath(jobId: string): string {
  return `/deploy-jobs/${encodeURIComponent(jobId)}`;
}

/** A 2xx answer in the protocol's shape; anything else is a server this agent cannot work with. */
function answer<T>(schema: ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AgentApiError(200, 'AGENT_PROTOCOL_MISMATCH', `The server's ${what} answer is not in the agent protocol's shape: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isErrorBody(value: unknown): value is { error: { code: string; message: string; details?: Record<string, unknown> } } {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = value.error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}

function anySignal(signals: readonly (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return present[0];
  return AbortSignal.any(present);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
