/**
 * Issue 7, findings 9 and 11 through a real server and agent: a secret from the server's secrets
 * store is nowhere in the stored log, BatchGetBuilds, the native API or the server's own log; a
 * build's log stops at the limit on the agent and on the server; a stopped build does not send
 * its whole backlog first.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BatchGetBuildsCommand } from '@aws-sdk/client-codebuild';
import { lineLogger, type AgentLogger } from '../../src/agent/agent-logger.js';
import { startTestServer } from '../support/test-server.js';
import { requirement } from '../support/requirements.js';
import { codeBuildClient } from '../api/aws/codebuild-server.js';
import { LEAKING_BUILDSPEC } from '../support/leaking-buildspec.js';
import { agentFor, createProject, recordData, startBuild, storedLog, waitFor, waitForBuild } from './agent-harness.js';

const IMAGE = 'nagare/base:test';
const SECRET = 'agent-s3cr3t-Value-0f-th3-Build';
const MiB = 1024 * 1024;

function dockerMissing(): string | false {
  const image = spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' });
  const missing = !existsSync('/var/run/docker.sock') ? 'no Docker engine at /var/run/docker.sock (CI starts dockerd)'
    : image.status !== 0 ? `image ${IMAGE} is missing (bash scripts/build-base-image.sh)` : undefined;
  return requirement(`a Docker engine and ${IMAGE}`, missing);
}

const IMAGES: readonly [string, string, string | false][] = [
  ['shell', 'shell', false],
  ['docker', IMAGE, dockerMissing()],
];

// The server refuses artifact names with `*`, so the agent's variant leaves the artifact out.
const AGENT_BUILDSPEC = LEAKING_BUILDSPEC.slice(0, LEAKING_BUILDSPEC.indexOf('artifacts:'));

function collectingLogger(): AgentLogger & { lines: string[] } {
  const lines: string[] = [];
  const logger = lineLogger((line) => lines.push(line));
  return { ...logger, lines };
}

for (const [executor, image, skip] of IMAGES) {
  test(`finding 9: a secret in a report, an exported variable and across the 64 KiB flush reaches no API and no stored log (${executor})`, { skip }, async () => {
    const server = await startTestServer();
    const agent = await agentFor(server);
    const client = codeBuildClient(server);
    try {
      await server.services.parameters.put('secret', 'ci/token', SECRET);
      const id = await startBuild(server, await createProject(server, AGENT_BUILDSPEC, { environment: { image } }));
      const build = await waitForBuild(server, id, 120_000);
      assert.equal(build.buildStatus, 'SUCCEEDED', await storedLog(server, id));
      const log = await storedLog(server, id);
      assert.ok(!log.includes(SECRET) && !log.includes(SECRET.slice(0, 10)) && !log.includes(SECRET.slice(-10)), 'the stored log holds no secret');
      assert.match(log, /a{1000}/);
      const batch = JSON.stringify(await client.send(new BatchGetBuildsCommand({ ids: [id] })));
      assert.ok(!batch.includes(SECRET), 'BatchGetBuilds holds no secret');
      assert.match(batch, /"value":"\*\*\*"/, 'the exported variable shows ***');
      const native = await (await fetch(`${server.url}/api/v1/builds/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${server.token}` } })).text();
      assert.ok(!native.includes(SECRET), 'the native API holds no secret');
      const report = recordData(build).reports[0] as { name: string; testCases: { name: string; message: string }[] };
      assert.equal(report.name, 'unit-***');
      assert.equal(report.testCases[0]?.name, 'test-***');
      assert.ok(!JSON.stringify(recordData(build)).includes(SECRET), 'the stored record holds no secret');
      assert.ok(!server.logs().includes(SECRET), 'the server\'s own log holds no secret');
    } finally {
      client.destroy();
      await agent.stop();
      await server.stop();
    }
  });
}

test('finding 11: with a 1 MiB limit, 50 MB of `yes` keeps about 1 MiB with one marker line and the build succeeds', async () => {
  const server = await startTestServer({ maxLogBytes: MiB });
  const agent = await agentFor(server, { logLimitBytes: MiB });
  try {
    const id = await startBuild(server, await createProject(server, 'version: 0.2\nphases:\n  build:\n    commands:\n      - yes | head -c 50000000\n'));
    const build = await waitForBuild(server, id, 120_000);
    assert.equal(build.buildStatus, 'SUCCEEDED');
    const log = await storedLog(server, id);
    assert.ok(log.length > 900 * 1024 && log.length < MiB + 64 * 1024, `${log.length} bytes stored`);
    assert.equal(log.split("[nagare] log truncated: the build's log passed 1 MiB; later output is not kept").length - 1, 1);
    assert.match(log, /Phase complete: BUILD State: SUCCEEDED/);
  } finally {
    await agent.stop();
    await server.stop();
  }
});

test('finding 11: the server refuses log chunks past its limit from an agent that ignores it (AGENT_LOG_LIMIT)', async () => {
  const server = await startTestServer({ maxLogBytes: MiB });
  const logger = collectingLogger();
  const agent = await agentFor(server, { logLimitBytes: 256 * MiB, logger });
  try {
    const id = await startBuild(server, await createProject(server, 'version: 0.2\nphases:\n  build:\n    commands:\n      - yes | head -c 20000000\n'));
    const build = await waitForBuild(server, id, 120_000);
    assert.equal(build.buildStatus, 'SUCCEEDED', 'a refused log does not fail the build');
    assert.ok(build.logBytes <= 2 * MiB, `${build.logBytes} bytes stored of 20 MB written`);
    assert.ok(logger.lines.some((line) => line.includes('AGENT_LOG_LIMIT')), 'the agent was told why');
  } finally {
    await agent.stop();
    await server.stop();
  }
});

/** An HTTP proxy to the server that holds log uploads until `open()`: a server that cannot keep up. */
async function logHoldingProxy(target: string): Promise<{ url: string; open: () => void; close: () => Promise<void> }> {
  let open = (): void => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const proxy = http.createServer((request, response) => {
    const forward = (): void => {
      const upstream = http.request(new URL(request.url ?? '/', target), { method: request.method, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      upstream.on('error', () => response.destroy());
      request.pipe(upstream);
    };
    if (/\/log\/\d+$/.test(request.url ?? '')) void gate.then(forward);
    else forward();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const close = (): Promise<void> => {
    proxy.closeAllConnections();
    return new Promise((resolve) => proxy.close(() => resolve()));
  };
  return { url, open, close };
}

test('finding 11: a stopped build with a 30 MB unsent backlog completes STOPPED without sending it', async () => {
  const server = await startTestServer();
  const proxy = await logHoldingProxy(server.url);
  const logger = collectingLogger();
  const agent = await agentFor(server, { serverUrl: proxy.url, logger });
  const markerDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-flood-'));
  // Shell builds run as the unprivileged build user when tests run as root: it must write the marker.
  await chmod(markerDir, 0o777);
  const marker = path.join(markerDir, 'written');
  try {
    const project = await createProject(server, `version: 0.2\nphases:\n  build:\n    commands:\n      - yes | head -c 30000000; touch ${marker}; sleep 300\n`);
    const id = await startBuild(server, project);
    await waitFor('the build to write its 30 MB', () => existsSync(marker), 120_000);
    await server.services.builds.stopBuild(id);
    await waitFor('the agent to drop the backlog', () => logger.lines.some((line) => line.includes('unsent bytes dropped')), 30_000);
    proxy.open();
    const build = await waitForBuild(server, id, 120_000);
    assert.equal(build.buildStatus, 'STOPPED');
    const log = await storedLog(server, id);
    assert.ok(log.length < 2 * MiB, `${log.length} bytes stored of 30 MB written`);
    assert.match(log, /\[nagare\] \d+ bytes of log were not sent: the build was stopped/);
    assert.match(log, /y\ny\n/, 'the last lines before the stop are kept');
  } finally {
    proxy.open();
    await agent.stop();
    await server.stop();
    await proxy.close();
  }
});
