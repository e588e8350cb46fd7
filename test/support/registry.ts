/**
 * A real image registry for pull and push tests: Debian's `docker-registry` (the CNCF
 * distribution registry) started on 127.0.0.1 with a temporary config and storage, optionally
 * behind htpasswd basic auth (bcrypt, made with `htpasswd -B`). The Docker engine treats
 * 127.0.0.0/8 registries as plain HTTP without configuration.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TestRegistry {
  /** `127.0.0.1:<port>`, the host part of image names. */
  readonly host: string;
  stop(): Promise<void>;
}

/** What is missing to run a registry, or undefined. */
export function registryMissing(): string | undefined {
  if (spawnSync('docker-registry', ['--version'], { stdio: 'ignore' }).status !== 0) return 'no docker-registry binary (apt-get install docker-registry)';
  if (spawnSync('htpasswd', ['-h'], { stdio: 'ignore' }).error) return 'no htpasswd (apt-get install apache2-utils)';
  return undefined;
}

export async function startRegistry(credentials?: { readonly username: string; readonly password: string }): Promise<TestRegistry> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nagare-registry-'));
  const port = await freePort();
  const auth = credentials ? await htpasswd(dir, credentials) : '';
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(dir, 'data')}`,
    'http:',
    `  addr: 127.0.0.1:${port}`,
    auth,
  ].join('\n');
  await writeFile(path.join(dir, 'config.yml'), config);
  const child: ChildProcess = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  await waitForAnswer(`http://${host}/v2/`);
  return {
    host,
    stop: async () => {
      child.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function htpasswd(dir: string, credentials: { readonly username: string; readonly password: string }): Promise<string> {
  const result = spawnSync('htpasswd', ['-Bbn', credentials.username, credentials.password], { encoding: 'utf8' });
  const file = path.join(dir, 'htpasswd');
  await writeFile(file, result.stdout);
  return ['auth:', '  htpasswd:', '    realm: nagare-test', `    path: ${file}`].join('\n');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForAnswer(url: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await fetch(url).then(() => true, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the registry at ${url} did not answer`);
}
