import { test } from 'node:test';
import Docker from 'dockerode';
import { DockerExecutor } from '../../src/executors/docker-executor.js';
import { runExecutorContract } from './executor-contract.js';

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

const reason = await missing();
if (reason === undefined) {
  runExecutorContract('docker', () => new DockerExecutor({ image: IMAGE, socketPath: SOCKET }));
} else {
  void test('docker executor contract', { skip: reason }, () => undefined);
}
