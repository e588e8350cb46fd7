/**
 * Issue 7, finding 12 (agent part): build directories an agent killed with SIGKILL left behind are
 * removed when an agent starts again on the same work directory, but never while another live
 * agent holds it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { agentFor, createProject, startBuild, waitFor } from './agent-harness.js';

const fixture = fileURLToPath(new URL('fixtures/run-agent.ts', import.meta.url));

let server: TestServer;
before(async () => {
  server = await startTestServer({ leaseMs: 3000 });
});
after(async () => {
  await server.stop();
});

const buildDirs = async (workDir: string): Promise<string[]> => (await readdir(workDir)).filter((name) => name.startsWith('build-'));

test('finding 12: the build directory of an agent killed with SIGKILL mid-build is removed when the agent starts again', async () => {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-killed-'));
  const marker = String(800_000 + (process.pid % 100_000));
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, server.url, server.token, 'killed', workDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await startBuild(server, await createProject(server, `version: 0.2\nphases:\n  build:\n    commands: ["echo started > marker.txt", "sleep 600.${marker}"]\n`));
  await waitFor('the build to write into its directory', async () => {
    for (const dir of await buildDirs(workDir)) if (await readdir(path.join(workDir, dir, 'src')).then((e) => e.includes('marker.txt'), () => false)) return true;
    return false;
  }, 60_000);
  child.kill('SIGKILL');
  await exited;
  killLeftovers(marker);
  const left = await buildDirs(workDir);
  assert.equal(left.length, 1, 'SIGKILL left the build directory behind');

  const agent = await agentFor(server, { workDir });
  try {
    assert.deepEqual(await buildDirs(workDir), [], 'the leftover is gone once the agent has started');
  } finally {
    await agent.stop();
  }
});

test('finding 12: an agent leaves alone the build directories of another live agent on the same work directory', async () => {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-shared-'));
  const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
  try {
    await writeFile(path.join(workDir, 'agent.pid'), `${sleeper.pid}\n`);
    await mkdir(path.join(workDir, 'build-inuse'));
    const agent = await agentFor(server, { workDir });
    await agent.stop();
    assert.deepEqual(await buildDirs(workDir), ['build-inuse']);
  } finally {
    sleeper.kill('SIGKILL');
  }
});

/** Kills the killed agent's build commands (their own session), found by a marker in their arguments. */
function killLeftovers(marker: string): void {
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}
