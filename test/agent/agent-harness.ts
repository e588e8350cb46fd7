/**
 * Helpers for agent tests against a real server: projects with an inline buildspec, waiting for a
 * build to end, and the log as the server stored it (its chunk blobs, in sequence order).
 */
import { hostEnvironment } from '../support/processes.js';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startAgent, type AgentOptions, type RunningAgent } from '../../src/agent/agent.js';
import type { PhaseRecord } from '../../src/core/build-phases.js';
import type { BuildRecord } from '../../src/core/build-life.js';
import type { StoredBuild } from '../../src/core/store.js';
import type { ProjectInput } from '../../src/server/builds/projects-service.js';
import { logBlobKey } from '../../src/server/builds/build-records.js';
import type { TestServer } from '../support/test-server.js';

let projects = 0;

export async function createProject(server: TestServer, buildspec: string, extra: Partial<ProjectInput> = {}): Promise<string> {
  projects += 1;
  const name = `agent-test-${projects}-${process.pid}`;
  await server.services.projects.create({
    name,
    source: { type: 'NO_SOURCE', buildspec },
    environment: { image: 'shell' },
    artifacts: { type: 'NO_ARTIFACTS' },
    ...extra,
  });
  return name;
}

export async function startBuild(server: TestServer, projectName: string, sourceVersion?: string): Promise<string> {
  return (await server.services.builds.startBuild({ projectName, initiator: 'test', sourceVersion })).id;
}

export async function agentFor(server: TestServer, options: Partial<AgentOptions> = {}): Promise<RunningAgent> {
  return startAgent({
    serverUrl: server.url,
    token: server.token,
    name: 'test-agent',
    tags: { role: 'test' },
    workDir: await mkdtemp(path.join(os.tmpdir(), 'nagare-agent-')),
    hostEnvironment: hostEnvironment(),
    pollSeconds: 1,
    heartbeatMs: 300,
    retry: { initialDelayMs: 50, maxDelayMs: 500 },
    ...options,
  });
}

/** Polls the store until the build is COMPLETED (or the time is up). */
export async function waitForBuild(server: TestServer, id: string, timeoutMs = 30_000): Promise<StoredBuild> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const build = await server.services.builds.get(id);
    if (build.currentPhase === 'COMPLETED') return build;
    if (Date.now() > deadline) throw new Error(`build ${id} still ${build.currentPhase} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The whole stored log: chunks 0 … logNextSequence-1 concatenated. */
export async function storedLog(server: TestServer, id: string): Promise<string> {
  const build = await server.services.builds.get(id);
  const parts: Buffer[] = [];
  for (let sequence = 0; sequence < build.logNextSequence; sequence += 1) {
    for await (const part of await server.services.context.blobs.read(logBlobKey(id, sequence))) parts.push(Buffer.from(part));
  }
  return Buffer.concat(parts).toString('utf8');
}

export function phasesOf(build: StoredBuild): readonly PhaseRecord[] {
  return build.record.phases;
}

export function recordData(build: StoredBuild): BuildRecord {
  return build.record;
}

export { hostEnvironment };
