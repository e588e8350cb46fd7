import assert from 'node:assert/strict';
import { hostEnvironment as currentEnvironment } from '../support/processes.js';
import { test } from 'node:test';
import { isNagareError } from '../../src/core/errors.js';
import { createExecutor } from '../../src/executors/index.js';
import { ShellExecutor } from '../../src/executors/shell-executor.js';
import { runExecutorContract } from './executor-contract.js';

const hostEnvironment = currentEnvironment();

runExecutorContract('shell', () => new ShellExecutor({ hostEnvironment }));

void test('a missing working directory is EXEC_SPAWN_FAILED naming it', async () => {
  const executor = new ShellExecutor({ hostEnvironment });
  await assert.rejects(
    executor.openShell({ shell: 'sh', user: undefined, cwd: '/nonexistent/nagare', env: {} }),
    (error: unknown) => isNagareError(error) && error.code === 'EXEC_SPAWN_FAILED' && error.message.includes('/nonexistent/nagare'),
  );
  await executor.dispose();
});

void test('createExecutor builds the executor the flag names', () => {
  assert.equal(createExecutor({ kind: 'shell', hostEnvironment }).kind, 'shell');
  const docker = createExecutor({ kind: 'docker', hostEnvironment });
  assert.equal(docker.kind, 'docker');
  assert.equal(docker.description, 'image nagare/base:latest');
});
