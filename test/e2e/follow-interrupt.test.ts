/**
 * Issue 13, Ctrl-C on `nagare build start --follow` and `nagare build logs -f`: it detaches, says
 * the build goes on and how to stop it, and exits 5 (not a build's status); with
 * `--stop-on-interrupt` it stops the build instead and exits as the STOPPED build does (130).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { childEnvironment, CLI, initialCredentials, startCliServer, stopCliServer, type CliServer } from '../support/cli-server.js';

let up: CliServer;
let env: NodeJS.ProcessEnv = {};

before(async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-follow-'));
  up = await startCliServer('up', dataDir);
  env = childEnvironment({ NAGARE_SERVER: up.url, NAGARE_TOKEN: initialCredentials(dataDir).token });
  const created = nagare('project', 'create', 'slow', '--buildspec', 'version: 0.2\nphases:\n  build:\n    commands: ["echo started", "sleep 120"]');
  assert.equal(created.status, 0, created.stderr);
});
after(() => stopCliServer(up));

function nagare(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs `nagare …args`, sends SIGINT once `started` is on stdout, and resolves with how it ended. */
function interruptAfterStart(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let sent = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (!sent && /^started$/m.test(stdout)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

function status(id: string): string {
  return (JSON.parse(nagare('build', 'show', id, '--json').stdout) as { buildStatus: string }).buildStatus;
}

test('Ctrl-C on build start --follow detaches: says how to stop the build, exits 5, and the build goes on', async () => {
  const run = await interruptAfterStart(['build', 'start', 'slow', '--follow']);
  assert.equal(run.status, 5, run.stderr);
  const id = /Started build (\S+);/.exec(run.stderr)?.[1] ?? '';
  assert.match(run.stderr, new RegExp(`detached; the build goes on — \`nagare build stop ${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\` stops it`));
  assert.equal(status(id), 'IN_PROGRESS');

  const logs = await interruptAfterStart(['build', 'logs', id, '-f']);
  assert.equal(logs.status, 5, logs.stderr);
  assert.match(logs.stderr, /detached; the build goes on/);
  assert.equal(status(id), 'IN_PROGRESS');

  const stopping = await interruptAfterStart(['build', 'logs', id, '-f', '--stop-on-interrupt']);
  assert.equal(stopping.status, 130, stopping.stderr);
  assert.match(stopping.stderr, /stopping build/);
  assert.equal(status(id), 'STOPPED');
});
