/**
 * Issue 7, finding 6 ("shell builds own the host"), with a real agent as root against a real
 * server: shell builds run as the unprivileged build user, cannot read the data directory, never
 * see nagare's variables, the agent's token or its AWS credentials; `run-as` is honoured only for
 * the users the agent allows. Docker builds get none of the agent's environment either.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { AgentOptions } from '../../src/agent/agent.js';
import type { StoredBuild } from '../../src/core/store.js';
import { hostEnvironment } from '../support/processes.js';
import { dockerImageMissing, requirement } from '../support/requirements.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { agentFor, createProject, phasesOf, startBuild, storedLog, waitForBuild } from './agent-harness.js';

const asRoot = process.getuid?.() === 0 ? false : 'needs root: only an agent running as root switches to a build user';
const AGENT_AWS_SECRET = 'agent-own-aws-secret-key-0123456789';

let server: TestServer;
before(async () => {
  // An older install's data directory, open to everyone: the server closes it at start.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-isolation-'));
  await chmod(dataDir, 0o755);
  server = await startTestServer({ dataDir });
});
after(async () => {
  await server.stop();
});

/** Runs one build on a fresh agent with `options`, then stops the agent. */
async function runBuild(buildspec: string, options: Partial<AgentOptions> = {}, image = 'shell'): Promise<{ build: StoredBuild; log: string }> {
  const agent = await agentFor(server, options);
  try {
    const id = await startBuild(server, await createProject(server, buildspec, { environment: { image } }));
    const build = await waitForBuild(server, id, 120_000);
    return { build, log: await storedLog(server, id) };
  } finally {
    await agent.stop();
  }
}

function buildspecOf(commands: readonly string[], runAs?: string): string {
  return `version: 0.2\n${runAs ? `run-as: ${runAs}\n` : ''}phases:\n  build:\n    commands:\n${commands.map((c) => `      - ${JSON.stringify(c)}`).join('\n')}\n`;
}

function refusalOf(build: StoredBuild): string {
  return phasesOf(build).find((p) => p.phaseType === 'DOWNLOAD_SOURCE')?.contexts[0]?.message ?? '';
}

test('finding 6: the data directory is mode 700 after start, even when it was open before', async () => {
  assert.equal((await stat(server.dataDir)).mode & 0o777, 0o700);
  assert.equal((await stat(path.join(server.dataDir, 'initial-credentials.json'))).mode & 0o777, 0o600);
});

test('finding 6: a shell build cannot read secret.key or initial-credentials.json, sees no NAGARE_ variable but its trace id, and the agent token is not in its log', { skip: asRoot }, async () => {
  const token = server.token;
  const { build, log } = await runBuild(
    buildspecOf([
      `cat ${server.dataDir}/secret.key || echo "secret.key refused"`,
      `cat ${server.dataDir}/initial-credentials.json || echo "credentials refused"`,
      'env | grep NAGARE_ | grep -v ^NAGARE_TRACE_ID= || echo "no NAGARE_ variables"',
      'env',
      'echo "user=$(id -un) home=$HOME"',
    ]),
    {
      token,
      hostEnvironment: { ...hostEnvironment(), NAGARE_AGENT_TOKEN: token, NAGARE_DATA_DIR: server.dataDir, TOKEN_UNDER_ANOTHER_NAME: token, AWS_SECRET_ACCESS_KEY: AGENT_AWS_SECRET },
    },
  );
  assert.equal(build.buildStatus, 'SUCCEEDED', log);
  assert.match(log, /secret\.key: Permission denied/);
  assert.match(log, /initial-credentials\.json: Permission denied/);
  assert.match(log, /^secret\.key refused$/m);
  assert.match(log, /^credentials refused$/m);
  assert.match(log, /^no NAGARE_ variables$/m);
  assert.match(log, /^user=nagare-build home=\/home\/nagare-build$/m);
  const key = (await readFile(path.join(server.dataDir, 'secret.key'), 'utf8')).trim();
  for (const secret of [token, key, AGENT_AWS_SECRET]) assert.ok(!log.includes(secret), 'a secret of the agent or server reached the build log');
  assert.ok(!log.includes('TOKEN_UNDER_ANOTHER_NAME'), 'a variable holding the token was dropped whatever its name');
});

test('finding 6: the build user exists after the agent starts', { skip: asRoot }, () => {
  assert.match(execFileSync('getent', ['passwd', 'nagare-build'], { encoding: 'utf8' }), /^nagare-build:/);
});

test('finding 6: an explicit build user is created and used', { skip: asRoot }, async () => {
  const { build, log } = await runBuild(buildspecOf(['echo "user=$(id -un)"']), { buildUser: 'nagare-build-alt' });
  assert.equal(build.buildStatus, 'SUCCEEDED', log);
  assert.match(log, /^user=nagare-build-alt$/m);
});

test('finding 6: run-as root is refused without --allow-root-builds and honoured with it', { skip: asRoot }, async () => {
  const spec = buildspecOf(['echo "user=$(id -un)"'], 'root');
  const refused = await runBuild(spec);
  assert.equal(refused.build.buildStatus, 'FAILED');
  assert.match(refusalOf(refused.build), /run-as: root is refused.*--allow-root-builds/);
  assert.ok(!refused.log.includes('user=root'), 'nothing ran as root');

  const allowed = await runBuild(spec, { allowRootBuilds: true });
  assert.equal(allowed.build.buildStatus, 'SUCCEEDED', allowed.log);
  assert.match(allowed.log, /^user=root$/m);
});

test('finding 6: run-as a user the agent does not allow is refused; one it allows is honoured', { skip: asRoot }, async () => {
  const refused = await runBuild(buildspecOf(['echo "user=$(id -un)"'], 'daemon'));
  assert.equal(refused.build.buildStatus, 'FAILED');
  assert.match(refusalOf(refused.build), /run-as: daemon is refused.*--allow-run-as/);

  const allowed = await runBuild(buildspecOf(['echo "user=$(id -un)"'], 'daemon'), { allowRunAs: ['daemon'] });
  assert.equal(allowed.build.buildStatus, 'SUCCEEDED', allowed.log);
  assert.match(allowed.log, /^user=daemon$/m);
});


test('finding 6: a Docker build sees no NAGARE_ variable but its trace id and no credential of the agent', { skip: requirement('Docker with nagare/base:latest', await dockerImageMissing('nagare/base:latest')) }, async () => {
  const { build, log } = await runBuild(
    buildspecOf(['env | grep NAGARE_ | grep -v ^NAGARE_TRACE_ID= || echo "no NAGARE_ variables"', 'env']),
    { hostEnvironment: { ...hostEnvironment(), NAGARE_AGENT_TOKEN: server.token, AWS_SECRET_ACCESS_KEY: AGENT_AWS_SECRET } },
    'nagare/base:latest',
  );
  assert.equal(build.buildStatus, 'SUCCEEDED', log);
  assert.match(log, /^no NAGARE_ variables$/m);
  for (const secret of [server.token, AGENT_AWS_SECRET]) assert.ok(!log.includes(secret), 'a secret of the agent reached the build log');
});
