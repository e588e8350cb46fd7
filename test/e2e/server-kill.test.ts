/**
 * Nothing is lost: the server process is killed with SIGKILL in the middle of a build and started
 * again on the same data (SQLite file, or the same PostgreSQL schema). The agent rides it out;
 * the build completes with every log line, in order, and its artifact.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startAgent } from '../../src/agent/agent.js';
import { NagareClient, type Json } from '../../src/client/nagare-client.js';
import { freePort, hostEnvironment } from '../support/processes.js';
import { startCliServer, stopCliServer } from '../support/cli-server.js';
import { freshPostgresUrl, postgresMissing } from '../support/postgres.js';
import { requirement } from '../support/requirements.js';



async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const BUILDSPEC = `version: 0.2
phases:
  build:
    commands:
      - for i in $(seq 1 80); do echo "tick $i"; sleep 0.05; done
      - echo packaged > out.txt
artifacts:
  files: [out.txt]
`;

const postgres = requirement('PostgreSQL', await postgresMissing());

for (const database of ['sqlite', 'postgres'] as const) {
  test(`a server killed with SIGKILL mid-build and restarted loses no build, log line or artifact (${database})`, { skip: database === 'postgres' ? postgres : false }, async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-kill-'));
    const port = await freePort();
    const args = ['--port', String(port), '--log-level', 'warn', ...(database === 'postgres' ? ['--database-url', await freshPostgresUrl('server_kill')] : [])];
    let server = await startCliServer('server', dataDir, args);
    const token = (JSON.parse(readFileSync(path.join(dataDir, 'initial-credentials.json'), 'utf8')) as { token: string }).token;
    const client = new NagareClient({ server: server.url, token });
    const agent = await startAgent({ serverUrl: server.url, token, name: 'survivor', tags: {}, workDir: await mkdtemp(path.join(os.tmpdir(), 'nagare-kill-agent-')), hostEnvironment: hostEnvironment() });
    try {
      await client.createProject({ name: 'survive', source: { type: 'NO_SOURCE', buildspec: BUILDSPEC }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
      const id = String((await client.startBuild('survive')).build.id);
      await until('the build to be logging', async () => {
        const { build } = await client.getBuild(id);
        return build.currentPhase === 'BUILD' && (build.logs as { bytes: number }).bytes > 0 ? true : undefined;
      });
      await stopCliServer(server, 'SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      server = await startCliServer('server', dataDir, args);
      const finished: Json = await until('the build to complete', async () => {
        const { build } = await client.getBuild(id);
        return build.buildComplete === true ? build : undefined;
      });
      const log = await client.buildLog(id);
      assert.equal(finished.buildStatus, 'SUCCEEDED', log);
      assert.deepEqual(log.split('\n').filter((line) => line.startsWith('tick ')), Array.from({ length: 80 }, (_, i) => `tick ${i + 1}`));
      const artifact = finished.artifacts as { location: string };
      const zip = await fetch(artifact.location, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(zip.status, 200);
      assert.equal(Buffer.from(await zip.arrayBuffer()).subarray(0, 2).toString(), 'PK');
    } finally {
      await agent.stop();
      await stopCliServer(server, 'SIGKILL');
    }
  });
}
