/**
 * A real nagare server for tests: a temporary data directory, SQLite by default or the machine's
 * PostgreSQL (a fresh schema per server), listening on a free loopback port.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startServer, type RunningServer } from '../../src/server/server.js';

export interface TestServer extends RunningServer {
  readonly dataDir: string;
  readonly token: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** What the server logged (JSON lines), for assertions about logs and leaks. */
  readonly logs: () => string;
}

export interface TestServerOptions {
  readonly databaseUrl?: string;
  readonly dataDir?: string;
  readonly leaseMs?: number;
  readonly schedulerIntervalMs?: number;
  /** 0 (a free port) by default; a fixed port lets a restarted server keep its URL. */
  readonly port?: number;
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
  const server = await startServer({
    dataDir,
    databaseUrl: options.databaseUrl,
    host: '127.0.0.1',
    port: options.port ?? 0,
    secretKey: undefined,
    logLevel: 'info',
    logDestination: destination,
    leaseMs: options.leaseMs ?? 30_000,
    schedulerIntervalMs: options.schedulerIntervalMs ?? 200,
  });
  // A server restarted on an existing data directory creates no credentials: the first start's stay valid.
  const credentials = server.initialCredentials ?? (options.dataDir ? { token: '', accessKeyId: '', secretAccessKey: '' } : undefined);
  if (!credentials) throw new Error('a fresh test server must create initial credentials');
  return { ...server, dataDir, token: credentials.token, accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, logs: () => logs };
}
