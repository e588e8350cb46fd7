/**
 * The server stopped and started again on the same data directory (and port) while a build runs:
 * the agent keeps the build running, resends what did not arrive, and the build completes with
 * every log line stored once, in order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lineLogger } from '../../src/agent/agent-logger.js';
import { freePort } from '../support/processes.js';
import { startTestServer } from '../support/test-server.js';
import { agentFor, createProject, startBuild, storedLog, waitFor, waitForBuild } from './agent-harness.js';

test('the agent rides out a server restart mid-build: the build completes and no log chunk is lost', async () => {
  const port = await freePort();
  let server = await startTestServer({ port });
  const { dataDir } = server;
  const warnings: string[] = [];
  const agent = await agentFor(server, { logger: lineLogger((line) => { if (!line.includes(' INFO ')) warnings.push(line); }) });
  try {
    const name = await createProject(server, 'version: 0.2\nphases:\n  build:\n    commands:\n      - for i in $(seq 1 60); do echo "tick $i"; sleep 0.05; done\n  post_build:\n    commands: [echo after-restart]\n');
    const id = await startBuild(server, name);
    const first = server;
    await waitFor('the build to log a few chunks', async () => (await first.services.builds.get(id)).logNextSequence >= 3);
    assert.equal((await first.services.builds.get(id)).currentPhase, 'BUILD', 'the build is running when the server stops');
    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    server = await startTestServer({ dataDir, port });
    const build = await waitForBuild(server, id, 60_000);
    const log = await storedLog(server, id);
    assert.equal(build.buildStatus, 'SUCCEEDED', log);
    const ticks = log.split('\n').filter((line) => line.startsWith('tick '));
    assert.deepEqual(ticks, Array.from({ length: 60 }, (_, i) => `tick ${i + 1}`));
    assert.match(log, /^after-restart$/m);
    assert.match(log, /Build succeeded/);
    assert.ok(warnings.some((w) => /failed/.test(w)), 'the agent noticed the server was gone');
  } finally {
    await agent.stop();
    await server.stop();
  }
});
