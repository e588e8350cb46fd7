/**
 * A real nagare server for tests: a temporary data directory, SQLite by default or the machine's
 * PostgreSQL (a fresh schema per server), listening on a free loopback port.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { BodyLimits } from '../../src/server/server-context.js';
import { startServer, type RunningServer } from '../../src/main/server.js';
import type { OutboxOptions } from '../../src/server/events/notification-outbox.js';
import type { OtlpExportOptions } from '../../src/server/events/otlp-exporter.js';
import { freshPostgresUrl, postgresMissing } from './postgres.js';
import { requirement } from './requirements.js';

export interface TestServer extends RunningServer {
  readonly dataDir: string;
  /** The PostgreSQL URL when on PostgreSQL (a restart passes it again). */
  readonly databaseUrl: string | undefined;
  readonly token: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** What the server logged (JSON lines), for assertions about logs and leaks. */
  readonly logs: () => string;
}

export interface TestServerOptions {
  readonly databaseUrl?: string;
  /** `postgres` gives the server a fresh schema of the machine's PostgreSQL; SQLite otherwise. */
  readonly database?: TestDatabase;
  readonly dataDir?: string;
  readonly leaseMs?: number;
  readonly schedulerIntervalMs?: number;
  readonly maxJobAttempts?: number;
  readonly maxArtifactBytes?: number;
  /** The per-build log limit (default 256 MiB). */
  readonly maxLogBytes?: number;
  /** Smaller request body limits, so that tests pass them with little data. */
  readonly bodyLimits?: Partial<BodyLimits>;
  readonly clock?: () => number;
  readonly approvalWebhookUrl?: string;
  readonly approvalWebhookSecret?: string;
  /** 127.0.0.1 by default; the Docker bridge's gateway lets containers reach the server (test/support/host-containers.ts). */
  readonly host?: string;
  /** 0 (a free port) by default; a fixed port lets a restarted server keep its URL. */
  readonly port?: number;
  /** Repositories may mirror file:// and local paths (the tests' upstreams are local). */
  readonly allowLocalMirrors?: boolean;
  /** `--otlp-endpoint` and its retries (short in tests). */
  readonly otlp?: OtlpExportOptions;
  /** Notification retries, back-off and timeouts (short in tests). */
  readonly notificationOutbox?: OutboxOptions;
  /** /metrics without a token (`--metrics-public`). */
  readonly metricsPublic?: boolean;
}


export type TestDatabase = 'sqlite' | 'postgres';

/**
 * The databases server-level tests run on: both, with PostgreSQL skipped (locally) or failing (in
 * CI) when it is missing. Use as `for (const [database, skip] of testDatabases()) test(…, { skip }, …)`.
 */
export async function testDatabases(): Promise<[TestDatabase, string | false][]> {
  return [['sqlite', false], ['postgres', requirement('PostgreSQL', await postgresMissing())]];
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'nagare-server-')));
  let logs = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs += chunk.toString();
      done();
    },
  });
  const databaseUrl = options.databaseUrl ?? (options.database === 'postgres' ? await freshPostgresUrl(`server_${randomBytes(3).toString('hex')}`) : undefined);
  const server = await startServer({
    dataDir,
    databaseUrl,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    secretKey: undefined,
    logLevel: 'info',
    logDestination: destination,
    leaseMs: options.leaseMs ?? 30_000,
    schedulerIntervalMs: options.schedulerIntervalMs ?? 200,
    ...(options.maxJobAttempts ? { maxJobAttempts: options.maxJobAttempts } : {}),
    ...(options.maxArtifactBytes ? { maxArtifactBytes: options.maxArtifactBytes } : {}),
    ...(options.maxLogBytes ? { maxLogBytes: options.maxLogBytes } : {}),
    bodyLimits: options.bodyLimits,
    ...(options.clock ? { clock: options.clock } : {}),
    approvalWebhookUrl: options.approvalWebhookUrl,
    approvalWebhookSecret: options.approvalWebhookSecret,
    allowLocalMirrors: options.allowLocalMirrors ?? false,
    notificationOutbox: options.notificationOutbox,
    otlp: options.otlp,
    metricsPublic: options.metricsPublic ?? false,
  });
  // A server restarted on an existing data directory creates no credentials: the first start's stay valid.
  const credentials = server.initialCredentials ?? (options.dataDir ? { token: '', accessKeyId: '', secretAccessKey: '' } : undefined);
  if (!credentials) throw new Error('a fresh test server must create initial credentials');
  return { ...server, dataDir, databaseUrl, token: credentials.token, accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, logs: () => logs };
}
