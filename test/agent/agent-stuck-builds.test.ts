/**
 * Finding 10 (stuck and looping builds), with real agents: a build the agent cannot even begin
 * (its work directory cannot be created, its input artifact is not a zip) is reported at once and
 * ends with the reason instead of being leased again for ever; and a server that was down for
 * longer than a lease lets its running build finish instead of calling the agent lost.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { freePort } from '../support/processes.js';
import { requirement } from '../support/requirements.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { agentFor, createProject, phasesOf, storedLog, waitFor, waitForBuild } from './agent-harness.js';

const dockerImage = spawnSync('docker', ['image', 'inspect', 'nagare/base:test'], { stdio: 'ignore' });
const dockerSkip = requirement('a Docker engine and nagare/base:test', dockerImage.status === 0 ? undefined : 'docker or the image nagare/base:test is missing (bash scripts/build-base-image.sh)');
const executors: [string, string, string | false][] = [['shell', 'shell', false], ['docker', 'nagare/base:test', dockerSkip]];

const BUILDSPEC = 'version: 0.2\nphases:\n  build:\n    commands: [echo never-runs]\n';

async function jobAttempts(server: TestServer, id: string): Promise<number | undefined> {
  return (await server.services.context.store.jobs.get(id))?.attempts;
}

function contextsOf(server: TestServer, build: Awaited<ReturnType<typeof waitForBuild>>): string {
  return phasesOf(build).flatMap((p) => p.contexts.map((c) => `${p.phaseType} ${c.statusCode}: ${c.message}`)).join('\n');
}

for (const [executor, image, skip] of executors) {
  test(`finding 10: a build whose work directory cannot be created ends FAULT with the reason on its first lease, not leased for ever (${executor})`, { skip }, async () => {
    const server = await startTestServer({ leaseMs: 1_000 });
    const parent = await mkdtemp(path.join(os.tmpdir(), 'nagare-stuck-'));
    await chmod(parent, 0o755); // as root, the build user must reach the work directory
    const workDir = path.join(parent, 'work');
    const agent = await agentFor(server, { workDir });
    // The agent checks its work directory at start; afterwards it becomes a file, so no build
    // directory can be made inside it.
    await rm(workDir, { recursive: true, force: true });
    await writeFile(workDir, 'not a directory');
    try {
      const name = await createProject(server, BUILDSPEC, { environment: { image } });
      const { id } = await server.services.builds.startBuild({ projectName: name, initiator: 'test' });
      const build = await waitForBuild(server, id);
      assert.equal(build.buildStatus, 'FAULT');
      assert.match(contextsOf(server, build), /PROVISIONING AGENT_ERROR: Agent test-agent could not run the build: .*(EEXIST|ENOTDIR)/);
      assert.equal(await jobAttempts(server, id), 1, 'the agent reported the fault; the build was not leased again');
    } finally {
      await agent.stop();
      await server.stop();
    }
  });

  test(`finding 10: a pipeline build whose input artifact is not a zip ends at once with the reason (${executor})`, { skip }, async () => {
    const server = await startTestServer({ leaseMs: 1_000 });
    const agent = await agentFor(server);
    try {
      const name = await createProject(server, BUILDSPEC, { environment: { image } });
      await server.services.context.blobs.put('test/not-a-zip', Buffer.from('this is not a zip archive\n'));
      const { id } = await server.services.builds.startBuild({
        projectName: name,
        initiator: 'test',
        pipeline: { inputArtifacts: [{ name: 'SourceOutput', blobKey: 'test/not-a-zip' }], primarySource: 'SourceOutput', action: { pipelineName: 'p', executionId: 'e', stageName: 'Build', actionName: 'Build', attempt: 1 } },
      });
      const build = await waitForBuild(server, id);
      assert.ok(build.buildStatus === 'FAILED' || build.buildStatus === 'FAULT', `ended ${build.buildStatus}`);
      assert.match(contextsOf(server, build), /DOWNLOAD_SOURCE CLIENT_ERROR: .*\S/);
      assert.doesNotMatch(await storedLog(server, id), /never-runs/);
      assert.equal(await jobAttempts(server, id), 1, 'ended on its first lease');
    } finally {
      await agent.stop();
      await server.stop();
    }
  });
}

test('finding 10: a server stopped for longer than the lease and restarted lets the running build finish SUCCEEDED, not AGENT_LOST', async () => {
  const port = await freePort();
  const leaseMs = 1_000;
  let server = await startTestServer({ port, leaseMs });
  const { dataDir } = server;
  const agent = await agentFor(server);
  try {
    const name = await createProject(server, 'version: 0.2\nphases:\n  build:\n    commands:\n      - for i in $(seq 1 50); do echo "tick $i"; sleep 0.1; done\n');
    const { id } = await server.services.builds.startBuild({ projectName: name, initiator: 'test' });
    const first = server;
    await waitFor('the build to run a command', async () => (await first.services.builds.get(id)).currentPhase === 'BUILD' && (await first.services.context.store.jobs.get(id))?.started === true);
    await server.stop();
    // Down for well over a lease: no heartbeat could reach the server meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 2.5 * leaseMs));
    server = await startTestServer({ dataDir, port, leaseMs });
    const build = await waitForBuild(server, id, 60_000);
    const log = await storedLog(server, id);
    assert.equal(build.buildStatus, 'SUCCEEDED', log);
    assert.doesNotMatch(JSON.stringify(build.record), /AGENT_LOST/);
    assert.match(log, /^tick 50$/m);
  } finally {
    await agent.stop();
    await server.stop();
  }
});
