/**
 * Issue 9, images as users name them, through a real server and a Docker agent: an AWS curated
 * image runs in the agent's image (the image map, or the default), said in the log; a private
 * image is pulled from a real registry with the project's registryCredential (a nagare secret
 * holding {"username","password"}), whose password never reaches the log; a buildspec naming that
 * secret does not get it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import Docker from 'dockerode';
import type { RunningAgent } from '../../src/agent/agent.js';
import { registryMissing, startRegistry, type TestRegistry } from '../support/registry.js';
import { dockerImageMissing, requirement } from '../support/requirements.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { agentFor, createProject, startBuild, storedLog, waitForBuild } from './agent-harness.js';

const BASE = 'nagare/base:test';
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

const skip = requirement('a Docker engine, nagare/base:test and docker-registry', (await dockerImageMissing(BASE)) ?? registryMissing());
const credentials = { username: 'puller', password: `registry-pw-${randomUUID()}` };
let server: TestServer;
let agent: RunningAgent;
let registry: TestRegistry;

before(async () => {
  if (skip) return;
  server = await startTestServer();
  agent = await agentFor(server, { imageMap: [{ pattern: 'aws/codebuild/amazonlinux*', image: BASE }] });
  registry = await startRegistry(credentials);
});
after(async () => {
  if (skip) return;
  await agent.stop();
  await server.stop();
  await registry.stop();
});

async function publishPrivate(): Promise<string> {
  const repo = `${registry.host}/team/private-${randomUUID().slice(0, 8)}`;
  await docker.getImage(BASE).tag({ repo, tag: '1' });
  const stream = await docker.getImage(`${repo}:1`).push({ authconfig: { ...credentials, serveraddress: registry.host } });
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())));
  await docker.getImage(`${repo}:1`).remove();
  return `${repo}:1`;
}

test('an AWS curated image runs in the image the agent maps it to, and the log says so', { skip }, async () => {
  const id = await startBuild(server, await createProject(server, 'version: 0.2\nphases:\n  build:\n    commands: [echo "in $CODEBUILD_BUILD_IMAGE"]\n', { environment: { image: 'aws/codebuild/amazonlinux2-x86_64-standard:5.0' } }));
  const build = await waitForBuild(server, id, 60_000);
  const log = await storedLog(server, id);
  assert.equal(build.buildStatus, 'SUCCEEDED', log);
  assert.match(log, /Image aws\/codebuild\/amazonlinux2-x86_64-standard:5.0 is mapped to nagare\/base:test by the image map/);
});

test('a private image is pulled with the project registryCredential secret, masked, and not readable by the buildspec', { skip }, async () => {
  const image = await publishPrivate();
  await server.services.parameters.put('secret', 'registry/puller', JSON.stringify(credentials));
  const buildspec = 'version: 0.2\nenv:\n  secrets-manager:\n    STOLEN: registry/puller\nphases:\n  build:\n    commands: [echo "got $STOLEN"]\n';
  const withCredential = await createProject(server, 'version: 0.2\nphases:\n  build:\n    commands: [echo private-image-ran]\n', {
    environment: { image, registryCredential: { credential: 'registry/puller', credentialProvider: 'SECRETS_MANAGER' } },
  });
  const id = await startBuild(server, withCredential);
  const build = await waitForBuild(server, id, 120_000);
  const log = await storedLog(server, id);
  assert.equal(build.buildStatus, 'SUCCEEDED', log);
  assert.match(log, /Pulling image .* with a registry credential/);
  assert.match(log, /private-image-ran/);
  assert.ok(!log.includes(credentials.password));

  const stealing = await startBuild(server, await createProject(server, buildspec, {
    environment: { image, registryCredential: { credential: 'registry/puller', credentialProvider: 'SECRETS_MANAGER' } },
  }));
  const stolen = await waitForBuild(server, stealing, 120_000);
  const stolenLog = await storedLog(server, stealing);
  assert.equal(stolen.buildStatus, 'FAILED', stolenLog);
  assert.ok(!stolenLog.includes(credentials.password));
  assert.doesNotMatch(stolenLog, /got /);
  await docker.getImage(image).remove().catch(() => undefined);
});

test('without the credential the private image is refused with the registry answer', { skip }, async () => {
  const image = await publishPrivate();
  const id = await startBuild(server, await createProject(server, 'version: 0.2\nphases:\n  build:\n    commands: [echo never]\n', { environment: { image } }));
  const build = await waitForBuild(server, id, 120_000);
  const log = await storedLog(server, id);
  assert.notEqual(build.buildStatus, 'SUCCEEDED', log);
  assert.match(log, /could not be pulled/);
});
