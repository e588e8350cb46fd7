/**
 * Agents in their own processes: two share a queue of builds; one killed with SIGKILL mid-build
 * has its build ended FAULT (AGENT_LOST) within the lease time while the other runs the rest.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestServer, testDatabases, type TestServer } from '../support/test-server.js';
import { createProject, phasesOf, recordData, startBuild, waitFor, waitForBuild } from './agent-harness.js';

const fixture = fileURLToPath(new URL('fixtures/run-agent.ts', import.meta.url));
const LEASE_MS = 3000;

interface AgentProcess {
  readonly child: ChildProcess;
  readonly agentId: string;
  readonly stderr: () => string;
}

async function spawnAgent(server: TestServer, name: string): Promise<AgentProcess> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), `nagare-${name}-`));
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, server.url, server.token, name, workDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitFor(`${name} to register`, () => /^agent \S+$/m.test(stdout) || child.exitCode !== null, 30_000);
  const agentId = /^agent (\S+)$/m.exec(stdout)?.[1];
  if (!agentId) throw new Error(`${name} did not start: ${stderr}`);
  return { child, agentId, stderr: () => stderr };
}

async function stopAgent(agent: AgentProcess): Promise<void> {
  if (agent.child.exitCode !== null || agent.child.signalCode !== null) return;
  const exited = new Promise((resolve) => agent.child.once('exit', resolve));
  agent.child.kill('SIGTERM');
  await exited;
}

/** Kills what a SIGKILLed agent left behind (its build's commands), by a marker in their arguments. */
function killLeftovers(marker: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

for (const [database, skip] of await testDatabases()) {
  test(`two agents in separate processes share 20 builds (${database})`, { skip }, async () => {
    const server = await startTestServer({ leaseMs: LEASE_MS, database });
    const agents = await Promise.all([spawnAgent(server, 'share-a'), spawnAgent(server, 'share-b')]);
    try {
      const name = await createProject(server, 'version: 0.2\nphases:\n  build:\n    commands: ["sleep 0.3", "echo built $CODEBUILD_BUILD_NUMBER"]\n');
      const ids: string[] = [];
      for (let i = 0; i < 20; i += 1) ids.push(await startBuild(server, name));
      const builds = await Promise.all(ids.map((id) => waitForBuild(server, id, 60_000)));
      assert.deepEqual(builds.map((b) => b.buildStatus), ids.map(() => 'SUCCEEDED'));
      const ranBy = builds.map((b) => recordData(b).agentId);
      for (const agent of agents) assert.ok(ranBy.includes(agent.agentId), `${agent.agentId} ran some of the builds`);
    } finally {
      await Promise.all(agents.map(stopAgent));
      await server.stop();
    }
  });

  test(`an agent killed mid-build: its build ends FAULT with AGENT_LOST within the lease time, and the other agent runs the rest (${database})`, { skip }, async () => {
    const server = await startTestServer({ leaseMs: LEASE_MS, database });
    const agents = await Promise.all([spawnAgent(server, 'kill-a'), spawnAgent(server, 'kill-b')]);
    const marker = String(700_000 + (process.pid % 100_000));
    try {
      const name = await createProject(server, `version: 0.2\nphases:\n  build:\n    commands: ["sleep 1.${marker}"]\n`);
      const ids: string[] = [];
      for (let i = 0; i < 8; i += 1) ids.push(await startBuild(server, name));
      let victimBuild: string | undefined;
      await waitFor('a build running its command', async () => {
        for (const id of ids) {
          const build = await server.services.builds.get(id);
          if (build.currentPhase === 'BUILD') victimBuild = id;
        }
        return victimBuild !== undefined;
      });
      const victimId = recordData(await server.services.builds.get(victimBuild ?? '')).agentId;
      const victim = agents.find((a) => a.agentId === victimId);
      const survivor = agents.find((a) => a.agentId !== victimId);
      assert.ok(victim && survivor);
      victim.child.kill('SIGKILL');
      const killedAt = Date.now();

      const lost = await waitForBuild(server, victimBuild ?? '', LEASE_MS + 5000);
      assert.ok(Date.now() - killedAt <= LEASE_MS + 2000, `ended ${Date.now() - killedAt} ms after the kill`);
      assert.equal(lost.buildStatus, 'FAULT');
      const context = phasesOf(lost).flatMap((p) => p.contexts).find((c) => c.statusCode === 'AGENT_LOST');
      assert.match(context?.message ?? '', new RegExp(victim.agentId));

      const rest = await Promise.all(ids.filter((id) => id !== victimBuild).map((id) => waitForBuild(server, id, 60_000)));
      for (const build of rest) {
        if (build.buildStatus === 'SUCCEEDED') continue;
        // Only a build the victim held when it died may share its fate.
        assert.fail(`${build.id} ended ${build.buildStatus} (run by ${recordData(build).agentId})`);
      }
      const afterKill = rest.filter((b) => b.endTime !== undefined && b.endTime > killedAt);
      assert.ok(afterKill.length > 0 && afterKill.every((b) => recordData(b).agentId === survivor.agentId), 'the survivor ran the rest');
    } finally {
      await Promise.all(agents.map(stopAgent));
      killLeftovers(`sleep\u00001.${marker}`);
      await server.stop();
    }
  });
}
