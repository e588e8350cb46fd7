import assert from 'node:assert/strict';
import { test } from 'node:test';
import Docker from 'dockerode';
import { isNagareError } from '../../src/core/errors.js';
import { DockerExecutor } from '../../src/executors/docker-executor.js';
import { runExecutorContract } from './executor-contract.js';
import { requirement } from '../support/requirements.js';

const SOCKET = '/var/run/docker.sock';
const IMAGE = 'nagare/base:test';

async function missing(): Promise<string | undefined> {
  const docker = new Docker({ socketPath: SOCKET });
  try {
    await docker.ping();
  } catch {
    return `no Docker engine at ${SOCKET} (start dockerd)`;
  }
  try {
    await docker.getImage(IMAGE).inspect();
  } catch {
    return `image ${IMAGE} is missing (run scripts/build-base-image.sh)`;
  }
  return undefined;
}

const reason = requirement('a Docker engine and nagare/base:test', await missing()) || undefined;
if (reason === undefined) {
  runExecutorContract('docker', () => new DockerExecutor({ image: IMAGE, socketPath: SOCKET }));
} else {
  void test('docker executor contract', { skip: reason }, () => undefined);
}

void test('an unreachable engine is EXEC_DOCKER_UNAVAILABLE', async () => {
  const executor = new DockerExecutor({ image: IMAGE, socketPath: '/nonexistent/docker.sock' });
  await assert.rejects(executor.start([]), (error: unknown) => isNagareError(error) && error.code === 'EXEC_DOCKER_UNAVAILABLE');
  await executor.dispose();
});

void test('attack: an image name outside Docker\'s reference grammar is refused before the engine is called (it would change the API path)', async () => {
  // The socket does not exist: a name that reached the engine would fail as EXEC_DOCKER_UNAVAILABLE instead.
  for (const image of ['../../containers/json', 'busybox?all=1', 'busybox#x', 'x/../../info', 'Upper/Case', 'a b', '']) {
    const executor = new DockerExecutor({ image, socketPath: '/nonexistent/docker.sock' });
    await assert.rejects(executor.start([]), (error: unknown) => isNagareError(error) && error.code === 'EXEC_IMAGE_NOT_FOUND' && error.message.includes('not a valid image reference'), image);
    await executor.dispose();
  }
});

void test('a missing image is EXEC_IMAGE_NOT_FOUND and says how to build one', { skip: reason }, async () => {
  const executor = new DockerExecutor({ image: 'nagare/no-such-image:never', socketPath: SOCKET });
  await assert.rejects(executor.start([]), (error: unknown) => isNagareError(error) && error.code === 'EXEC_IMAGE_NOT_FOUND' && error.message.includes('build-base-image.sh'));
  await executor.dispose();
});
