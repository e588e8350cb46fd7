/**
 * Issue 13, "stopping the server": SIGTERM on an idle and on a busy `nagare up` drains in order —
 * no error record, "stopping…" then "stopped", exit 0 — and the running build ends STOPPED. The
 * first start on a fixed port signs the local admin in, so the next command needs no token.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { childEnvironment, CLI } from '../support/cli-server.js';
import { freePort } from '../support/processes.js';

interface Up {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

async function startUp(dataDir: string, env: NodeJS.ProcessEnv, port = 0): Promise<Up> {
  const child = spawn(process.execPath, [CLI, 'up', '--data-dir', dataDir, '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /nagare up at (http:\/\/\S+)/.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    void exited.then((code) => reject(new Error(`nagare up exited with ${code}: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr, exited };
}

function nagare(env: NodeJS.ProcessEnv, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** What a clean stop looks like on stderr: the two lines, and no error record or stack. */
function assertCleanStop(stderr: string): void {
  assert.match(stderr, /SIGTERM: stopping…/);
  assert.match(stderr, /\nstopped\n$/);
  assert.doesNotMatch(stderr, /"level":(50|60)/, 'no error record');
  assert.doesNotMatch(stderr, /unexpected error|destroyed|^\s+at /m);
}

async function newUser(): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nagare-shutdown-'));
  return { dir, env: childEnvironment({ XDG_CONFIG_HOME: path.join(dir, 'config'), NAGARE_TOKEN: '', NAGARE_SERVER: '', NAGARE_DATA_DIR: path.join(dir, 'data') }) };
}

test('SIGTERM on an idle nagare up prints stopping… and stopped, logs no error and exits 0; its first start on a fixed port signed the admin in', async () => {
  const { dir, env } = await newUser();
  const port = await freePort();
  const up = await startUp(path.join(dir, 'data'), env, port);
  assert.match(up.stderr(), /Signed in as admin at/);
  const saved = JSON.parse(await readFile(path.join(dir, 'config', 'nagare', 'config.json'), 'utf8')) as { profiles: Record<string, { server: string }> };
  assert.equal(saved.profiles.default?.server, up.url);
  const whoami = nagare({ ...env, NAGARE_DATA_DIR: path.join(dir, 'elsewhere') }, 'whoami');
  assert.equal(whoami.status, 0, whoami.stderr);
  assert.match(whoami.stdout, /^admin at .* \(token from profile 'default'/);

  up.child.kill('SIGTERM');
  assert.equal(await up.exited, 0, up.stderr());
  assertCleanStop(up.stderr());
});

test('SIGTERM on a busy nagare up stops the running build (STOPPED after restart), logs no error and exits 0', async () => {
  const { dir, env } = await newUser();
  const dataDir = path.join(dir, 'data');
  const up = await startUp(dataDir, env);
  const client = { ...env, NAGARE_SERVER: up.url };
  assert.equal(nagare(client, 'project', 'create', 'slow', '--buildspec', 'version: 0.2\nphases:\n  build:\n    commands: ["echo started", "sleep 120"]').status, 0);
  const started = nagare(client, 'build', 'start', 'slow', '--json');
  assert.equal(started.status, 0, started.stderr);
  const id = (JSON.parse(started.stdout) as { id: string }).id;
  for (let i = 0; i < 120 && !nagare(client, 'build', 'logs', id).stdout.includes('started'); i++) await new Promise((resolve) => setTimeout(resolve, 250));

  up.child.kill('SIGTERM');
  assert.equal(await up.exited, 0, up.stderr());
  assertCleanStop(up.stderr());

  const again = await startUp(dataDir, env);
  try {
    const shown = nagare({ ...env, NAGARE_SERVER: again.url }, 'build', 'show', id, '--json');
    assert.equal(shown.status, 0, shown.stderr);
    assert.equal((JSON.parse(shown.stdout) as { buildStatus: string }).buildStatus, 'STOPPED');
  } finally {
    again.child.kill('SIGTERM');
    await again.exited;
  }
});
