/**
 * The composition root: the one place that picks concrete adapters (SQLite or PostgreSQL store,
 * filesystem blobs), builds the services and the HTTP app, and starts listening. `nagare up` adds
 * an embedded agent that talks to this server over loopback, with the same protocol as a remote one.
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { applyKeepAliveTimeouts } from './http-timeouts.js';
import { createApp } from '../api/app.js';
import { FilesystemBlobStore } from '../blobs/filesystem-blob-store.js';
import { DEFAULT_LOG_LIMIT_BYTES } from '../core/log-limits.js';
import { openStore } from '../store/open-store.js';
import { PostgresNotifier } from '../store/postgres-notifier.js';
import type { Notifier } from '../core/notifier.js';
import type { InitialCredentials } from '../server/auth/auth-service.js';
import { SecretBox } from '../server/auth/crypto/secret-box.js';
import { applyApprovalWebhookRule } from '../server/events/approval-webhook.js';
import { EventBus, type DomainEventType } from '../server/events/event-bus.js';
import type { OutboxOptions } from '../server/events/notification-outbox.js';
import { OtlpExporter, type OtlpExportOptions } from '../server/events/otlp-exporter.js';
import { MirrorPoller } from '../server/repositories/external-repositories-poller.js';
import { createLogger, type LogFormat, type Logger } from '../server/logger.js';
import { ServerMetrics } from '../server/metrics.js';
import type { IntervalRunner } from '../server/interval-runner.js';
import { InProcessNotifier } from '../server/notifier.js';
import { PipelineDriver } from '../server/pipelines/pipeline-driver.js';
import { Scheduler } from '../server/builds/scheduler.js';
import { DEFAULT_BODY_LIMITS, type BodyLimits, type ServerContext, type ServerSettings } from '../server/server-context.js';
import { createServices, type Services } from '../server/services.js';

export interface ServerOptions {
  readonly dataDir: string;
  /** `postgres://…`; the SQLite file `<dataDir>/nagare.db` when absent. */
  readonly databaseUrl: string | undefined;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Base64 of a 32-byte key; `<dataDir>/secret.key` when absent. */
  readonly secretKey: string | undefined;
  readonly logLevel: string;
  /** `json` (the default) or `pretty` lines for a terminal. */
  readonly logFormat?: LogFormat;
  readonly logColor?: boolean;
  readonly logDestination?: NodeJS.WritableStream;
  readonly leaseMs?: number;
  readonly schedulerIntervalMs?: number;
  /** Leases a build may lose before a command ran before it ends FAULT instead of queued again (default 3). */
  readonly maxJobAttempts?: number;
  readonly region?: string;
  /** The largest artifact an agent may upload (default 2 GiB). */
  readonly maxArtifactBytes?: number;
  /** Bytes of log kept per build (default 256 MiB); give the agents the same limit. */
  readonly maxLogBytes?: number;
  /** Request body limits per kind of route (DEFAULT_BODY_LIMITS for what is absent). */
  readonly bodyLimits?: Partial<BodyLimits> | undefined;
  /** Where waiting manual approvals are announced: the notification rule `approval-webhook` (events/approval-webhook.ts). */
  readonly approvalWebhookUrl?: string | undefined;
  readonly approvalWebhookSecret?: string | undefined;
  /** Repositories may mirror file://, local paths and loopback hosts (`--allow-local-mirrors`). */
  readonly allowLocalMirrors?: boolean;
  /** `/metrics` without a token. */
  readonly metricsPublic?: boolean;
  /** Completed builds and ended executions older than this many days are deleted (off when absent). */
  readonly retainBuildsDays?: number | undefined;
  readonly retainExecutionsDays?: number | undefined;
  /** `--otlp-endpoint`: spans exported over OTLP/HTTP JSON (off when absent: nothing registered, nothing kept). */
  readonly otlp?: OtlpExportOptions | undefined;
  /** Retries, back-off and timeouts of notification deliveries (tests shorten them). */
  readonly notificationOutbox?: OutboxOptions | undefined;
  /** Tests move time forward (queued timeouts); Date.now otherwise. */
  readonly clock?: () => number;
  /** The built dashboard; found beside the CLI bundle (dist/web) or in the checkout's dist/ when absent. */
  readonly dashboardDir?: string | undefined;
}

export interface RunningServer {
  readonly url: string;
  readonly services: Services;
  /** Present only on the first start, when they were created. */
  readonly initialCredentials: InitialCredentials | undefined;
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  /** Runs the scheduler sweep, pipeline reconciliation and mirror polling, one server of a cluster at a time. */
  readonly intervalRunner: IntervalRunner;
  readonly pipelineDriver: PipelineDriver;
  /** Fetches external repositories every `pollSeconds` (tests call `pollOnce()`). */
  readonly mirrorPoller: MirrorPoller;
  stop(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const logger = createLogger({ level: options.logLevel, format: options.logFormat ?? 'json', color: options.logColor ?? false, ...(options.logDestination ? { destination: options.logDestination } : {}) });
  await lockDownDataDir(options.dataDir, logger);
  const store = await openStore({ url: options.databaseUrl ?? `sqlite://${path.resolve(options.dataDir, 'nagare.db')}` });
  const notifier = await openNotifier(store.dialect, options.databaseUrl, logger);
  const settings: ServerSettings = {
    region: options.region ?? 'us-east-1',
    accountId: '000000000000',
    leaseMs: options.leaseMs ?? 30_000,
    maxJobAttempts: options.maxJobAttempts ?? 3,
    maxLogChunkBytes: 1024 * 1024,
    maxArtifactBytes: options.maxArtifactBytes ?? 2 * 1024 * 1024 * 1024,
    maxLogBytes: options.maxLogBytes ?? DEFAULT_LOG_LIMIT_BYTES,
    bodyLimits: { ...DEFAULT_BODY_LIMITS, ...definedOnly(options.bodyLimits ?? {}) },
    publicUrl: '',
    approvalWebhookUrl: options.approvalWebhookUrl,
    approvalWebhookSecret: options.approvalWebhookSecret,
    allowLocalMirrors: options.allowLocalMirrors ?? false,
    metricsPublic: options.metricsPublic ?? false,
  };
  const context: ServerContext = {
    store,
    blobs: new FilesystemBlobStore(path.join(options.dataDir, 'blobs')),
    secrets: await SecretBox.load(options.dataDir, options.secretKey),
    notifier,
    metrics: new ServerMetrics(),
    logger,
    clock: options.clock ?? Date.now,
    newId: randomUUID,
    settings,
    events: new EventBus((error, event) => logger.error({ err: error, event: event.type }, 'a domain event subscriber failed')),
  };
  const services = createServices(context, { repositoriesDir: path.join(path.resolve(options.dataDir), 'repositories'), serverName: `${os.hostname()}:${process.pid}`, notificationOutbox: options.notificationOutbox });
  const initialCredentials = await services.auth.bootstrap(options.dataDir);
  const scheduler = new Scheduler(context, services.builds, { buildsDays: options.retainBuildsDays, executionsDays: options.retainExecutionsDays });
  await scheduler.grantRestartGrace();
  await applyApprovalWebhookRule(context, services.notifications);
  const pipelineDriver = new PipelineDriver(services);
  pipelineDriver.start();
  const unsubscribeBuildBatches = services.buildBatches.subscribe();
  const mirrorPoller = new MirrorPoller(context, services.externalRepositories);
  const { intervalRunner } = services;
  intervalRunner.register(scheduler.component(options.schedulerIntervalMs ?? 1000));
  intervalRunner.register(pipelineDriver.component(options.schedulerIntervalMs ?? 1000));
  intervalRunner.register(mirrorPoller.component());
  intervalRunner.register({ name: 'deployments', intervalMs: options.schedulerIntervalMs ?? 1000, run: () => services.deployments.effects.sweep() });
  intervalRunner.register(services.notificationOutbox.component());
  intervalRunner.register(services.eventRules.component(options.schedulerIntervalMs ?? 1000));
  if (options.otlp) {
    intervalRunner.register(new OtlpExporter(context, { intervalMs: options.schedulerIntervalMs ?? 1000, ...options.otlp }).component());
    logger.info({ endpoint: options.otlp.endpoint }, 'spans are exported over OTLP/HTTP JSON');
  }
  const unsubscribeEventWakeUps = announceStoredEvents(context, intervalRunner, options.otlp !== undefined);
  intervalRunner.register(services.buildBatches.component(options.schedulerIntervalMs ?? 1000));
  intervalRunner.start();

  const app = createApp(services, { dashboardDir: options.dashboardDir ?? builtDashboard() });
  const requests = new InFlightRequests();
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: requests.track(app.fetch), hostname: options.host, port: options.port }, () => resolve(s));
  });
  applyKeepAliveTimeouts(server);
  const address = server.address() as AddressInfo;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${address.port}`;
  Object.assign(settings, { publicUrl: url });
  logger.info({ url, dataDir: options.dataDir, database: store.dialect }, 'nagare server listening');

  return {
    url,
    services,
    initialCredentials,
    logger,
    scheduler,
    intervalRunner,
    pipelineDriver,
    mirrorPoller,
    // In order: stop accepting, end long polls and followers, let handlers already running finish
    // (they use the store), then stop the loops and close the store under nobody.
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Long polls and log followers would hold close() open; end them.
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await closed;
      await requests.settled(SHUTDOWN_GRACE_MS);
      await pipelineDriver.stop();
      unsubscribeEventWakeUps();
      unsubscribeBuildBatches();
      await intervalRunner.stop();
      services.notificationOutbox.close();
      await mirrorPoller.stop();
      await notifier.close();
      await store.close();
    },
  };
}

/** How long the delivery and rule passes wait for more events before they run. */
const EVENT_PASS_WINDOW_MS = 100;

/**
 * Each domain event whose change stored AWS events wakes the event log's followers (on every
 * server) and starts a delivery pass soon (within EVENT_PASS_WINDOW_MS) rather than at the next tick.
 */
function announceStoredEvents(context: ServerContext, intervalRunner: IntervalRunner, exportingSpans: boolean): () => void {
  const types: readonly DomainEventType[] = ['BuildStateChanged', 'BuildPhaseChanged', 'PipelineExecutionChanged', 'StageChanged', 'ActionChanged', 'Pushed', 'DeploymentChanged'];
  // The passes run once for the events of a short window, not once per event: a build alone
  // stores half a dozen, and each pass takes a lock and reads (bench/compare-server measured the
  // per-event passes as most of the server's CPU per build).
  let wake: NodeJS.Timeout | undefined;
  const runPasses = (): void => {
    wake = undefined;
    void intervalRunner.runNow('notification-delivery');
    void intervalRunner.runNow('event-rules');
    if (exportingSpans) void intervalRunner.runNow('otlp-export');
  };
  const unsubscribes = types.map((type) =>
    context.events.subscribe(type, () => {
      context.notifier.notify('events');
      wake ??= setTimeout(runPasses, EVENT_PASS_WINDOW_MS).unref();
    }),
  );
  return () => {
    clearTimeout(wake);
    unsubscribes.forEach((unsubscribe) => unsubscribe());
  };
}

/** How long a stopping server waits for requests already being answered (a lease's last query, an upload). */
const SHUTDOWN_GRACE_MS = 10_000;

/** The requests being answered, so that the store closes only after the last one used it. */
class InFlightRequests {
  private readonly running = new Set<Promise<unknown>>();

  track<A extends unknown[]>(fetch: (request: Request, ...rest: A) => Response | Promise<Response>): (request: Request, ...rest: A) => Promise<Response> {
    return (request, ...rest) => {
      const answer = Promise.resolve().then(() => fetch(request, ...rest));
      const settled = answer.then(
        () => undefined,
        () => undefined,
      );
      this.running.add(settled);
      void settled.then(() => this.running.delete(settled));
      return answer;
    };
  }

  /** Resolves when every request being answered has its response, or after `graceMs`. */
  async settled(graceMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs).unref()));
    await Promise.race([Promise.all([...this.running]), timeout]);
    clearTimeout(timer);
  }
}

/** Wake-ups in this process (SQLite), or across every server on the PostgreSQL database. */
async function openNotifier(dialect: 'sqlite' | 'postgres', databaseUrl: string | undefined, logger: Logger): Promise<Notifier> {
  const local = new InProcessNotifier();
  if (dialect !== 'postgres' || databaseUrl === undefined) return local;
  return PostgresNotifier.open({ url: databaseUrl, local, onError: (error) => logger.warn({ err: error }, 'cross-server wake-ups interrupted; reconnecting (agents and followers poll meanwhile)') });
}

/** `{ jsonBytes: undefined }` must not replace a default. */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The data directory holds the key, the database and the first credentials: only nagare's own user
 * may enter it (issue 7, finding 6), whatever mode an older version or the operator gave it.
 */
async function lockDownDataDir(dataDir: string, logger: Logger): Promise<void> {
  const mode = (await stat(dataDir)).mode & 0o777;
  if (mode !== 0o700) {
    await chmod(dataDir, 0o700);
    logger.warn({ dataDir, was: mode.toString(8) }, 'data directory was open to other users; now mode 700');
  }
  for (const entry of await readdir(dataDir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(dataDir, entry.name);
    if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
  }
}

/**
 * Where `npm run build` put the dashboard: dist/web beside the bundled CLI (dist/cli), or, when the
 * server runs from the TypeScript sources (tests, tsx), the checkout's dist/web.
 */
function builtDashboard(): string | undefined {
  const candidates = ['../web', '../../dist/web'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html')));
}
