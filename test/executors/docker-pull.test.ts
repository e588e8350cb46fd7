/**
 * Issue 9, images as users name them: an image the engine lacks is pulled from its registry, a
 * real one started by the test (Debian's docker-registry on 127.0.0.1), with progress lines for
 * the build log; a private registry needs the project's credential, and without it the build is
 * refused with the registry's answer. A privileged build (CodeBuild's privilegedMode) gets the
 * engine and a docker client, and pushes the image it builds to that registry.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import Docker from 'dockerode';
import { isNagareError } from '../../src/core/errors.js';
import { compileBuildConfig } from '../../src/config/build-config.js';
import { DockerExecutor } from '../../src/executors/docker-executor.js';
import { staticDockerClient } from '../../src/executors/docker-images.js';
import { makeSource, runBuildspec } from '../build/run-buildspec.js';
import { registryMissing, startRegistry, type TestRegistry } from '../support/registry.js';
import { dockerImageMissing, requirement } from '../support/requirements.js';

const BASE = 'nagare/base:test';
const docker = new Docker({ socketPath: '/var/run/docker.sock' });

const skip = requirement('a Docker engine, nagare/base:test and docker-registry', (await dockerImageMissing(BASE)) ?? registryMissing());
const registries: TestRegistry[] = [];
after(async () => {
  await Promise.all(registries.map((registry) => registry.stop()));
});

/** Pushes the base image to `registry` under a fresh name and removes that name locally, so a build must pull it. */
async function publish(registry: TestRegistry, auth?: { username: string; password: string }): Promise<string> {
  const repo = `${registry.host}/nagare/pulled-${randomUUID().slice(0, 8)}`;
  await docker.getImage(BASE).tag({ repo, tag: 'v1' });
  const stream = await docker.getImage(`${repo}:v1`).push({ authconfig: auth ? { ...auth, serveraddress: registry.host } : {} });
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()), (event: { error?: string }) => {
    if (event.error) reject(new Error(event.error));
  }));
  await docker.getImage(`${repo}:v1`).remove();
  return `${repo}:v1`;
}

async function runIn(executor: DockerExecutor): Promise<string> {
  await executor.start([]);
  try {
    const session = await executor.openShell({ shell: 'sh', user: undefined, cwd: '/', env: { PATH: '/bin:/usr/bin' } });
    const chunks: Buffer[] = [];
    await session.run('echo pulled-and-running', (chunk) => chunks.push(chunk));
    await session.terminate(0);
    return Buffer.concat(chunks).toString().trim();
  } finally {
    await executor.dispose();
  }
}

test('an image missing from the engine is pulled from its registry, with progress lines for the build log', { skip }, async () => {
  const registry = await startRegistry();
  registries.push(registry);
  const image = await publish(registry);
  const progress: string[] = [];
  const output = await runIn(new DockerExecutor({ image, pull: { onProgress: (line) => progress.push(line) } }));
  assert.equal(output, 'pulled-and-running');
  assert.equal(progress[0], `Pulling image ${image}`);
  assert.ok(progress.some((line) => line.startsWith('Status: ')), progress.join('\n'));
  await docker.getImage(image).remove().catch(() => undefined);
});

test('a private registry is pulled from with the credential, and refused without it, saying why', { skip }, async () => {
  const credentials = { username: 'builder', password: `pw-${randomUUID()}` };
  const registry = await startRegistry(credentials);
  registries.push(registry);
  const image = await publish(registry, credentials);

  const refused = await runIn(new DockerExecutor({ image, pull: { onProgress: () => undefined } })).then(() => undefined, (error: unknown) => error);
  assert.ok(isNagareError(refused), String(refused));
  assert.equal(refused.code, 'EXEC_IMAGE_NOT_FOUND');
  assert.match(refused.message, /could not be pulled: .*(no basic auth credentials|unauthorized|authentication required)/i);

  const progress: string[] = [];
  const output = await runIn(new DockerExecutor({ image, pull: { auth: credentials, onProgress: (line) => progress.push(line) } }));
  assert.equal(output, 'pulled-and-running');
  assert.ok(!progress.join('\n').includes(credentials.password), 'the password is never in the progress lines');
  await docker.getImage(image).remove().catch(() => undefined);
});

test('a privileged Docker build runs docker build and docker push with the agent engine, and the image lands in the registry', { skip }, async () => {
  const registry = await startRegistry();
  registries.push(registry);
  const name = `nagare/privileged-${randomUUID().slice(0, 8)}`;
  const sourceDir = await makeSource({ 'Dockerfile': `FROM ${BASE}\nRUN echo built-in-a-build > /built.txt\n` });
  const { record, log } = await runBuildspec(`version: 0.2
phases:
  build:
    commands:
      - docker version --format '{{.Server.Os}}'
      - DOCKER_BUILDKIT=0 docker build -q -t ${registry.host}/${name}:1 .
      - docker push ${registry.host}/${name}:1
`, { sourceDir, executor: new DockerExecutor({ image: BASE, privileged: { dockerClient: await staticDockerClient(process.env.PATH) } }) });
  assert.equal(record.buildStatus, 'SUCCEEDED', log);
  const tags = await (await fetch(`http://${registry.host}/v2/${name}/tags/list`)).json() as { tags?: string[] };
  assert.deepEqual(tags.tags, ['1']);
  await docker.getImage(`${registry.host}/${name}:1`).remove().catch(() => undefined);
});

test('without privileged mode a Docker build has no engine', { skip }, async () => {
  const { record, log } = await runBuildspec('version: 0.2\nphases:\n  build:\n    commands:\n      - test -S /var/run/docker.sock\n', { executor: new DockerExecutor({ image: BASE }) });
  assert.equal(record.buildStatus, 'FAILED', log);
});

test('--privileged-mode without a Docker build is refused clearly', async () => {
  await assert.rejects(compileBuildConfig({ privilegedMode: true }, {}, false), (error: unknown) => isNagareError(error) && error.code === 'CONFIG_INVALID' && /only a Docker build/.test(error.message));
});
