import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Docker from 'dockerode';
import { isNagareError } from '../../src/core/errors.js';
import { DockerExecutor } from '../../src/executors/docker-executor.js';
import { randomInt } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Executor } from '../../src/core/executor.js';
import { collect, processesWith, runExecutorContract, waitFor } from './executor-contract.js';
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

/** A started executor on a fresh directory, given to `body`, then disposed. */
async function withContainer(body: (executor: Executor, dir: string, env: Record<string, string>) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'nagare-first-shell-'));
  await chmod(dir, 0o755);
  const executor = new DockerExecutor({ image: IMAGE, socketPath: SOCKET });
  try {
    await executor.start([dir]);
    await body(executor, dir, { ...(await executor.baseEnvironment()) });
  } finally {
    await executor.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

/** What the shell's parent process is: the container's own process says `nagare-container`; an exec's shell has no parent in the container. */
const PARENT = 'tr "\\0" " " 2>/dev/null < /proc/$PPID/cmdline; echo "|$PPID"';

void describe("the container's first shell (its own process, no exec)", { skip: reason }, () => {
  void test('is started by the container\'s process, with the environment and directory an exec would have: values with quotes and newlines, image variables unset when the build drops them', async () => {
    await withContainer(async (executor, dir, env) => {
      const tricky = `it's "quoted" $HOME \`tick\` \\back\nsecond line\ttab é`;
      const session = await executor.openShell({ shell: 'sh', user: undefined, cwd: dir, env: { PATH: env.PATH ?? '/usr/bin:/bin', TRICKY: tricky, EMPTY: '' } });
      assert.match((await collect(session, PARENT)).output, /nagare-container \|\d+\n$/);
      const { output } = await collect(session, 'printf "%s|" "$TRICKY" "${EMPTY-unset}" "${HOSTNAME-unset}" "${HOME-unset}"; pwd');
      assert.equal(output, `${tricky}||unset|unset|${dir}\n`);
      const next = await executor.openShell({ shell: 'sh', user: undefined, cwd: dir, env });
      assert.match((await collect(next, PARENT)).output, /^\|0\n$/, 'a second shell is an exec');
      const shellOwn = 'printf "%s|" "${OLDPWD-unset}" "${SHLVL-unset}" "$PWD"';
      assert.equal((await collect(session, shellOwn)).output, (await collect(next, shellOwn)).output, 'OLDPWD, SHLVL and PWD as in an exec');
    });
  });

  void test('exit 3 ends it with 3, the next shell starts from the state it left, and the container lives on', async () => {
    await withContainer(async (executor, dir, env) => {
      const first = await executor.openShell({ shell: 'sh', user: undefined, cwd: dir, env });
      assert.deepEqual((await collect(first, 'export KEPT=yes; cd /; echo bye >&2; exit 3')).outcome, { exitCode: 3, shellExited: true });
      const state = first.lastGood();
      const next = await executor.openShell({ shell: 'sh', user: undefined, cwd: state.cwd, env: state.env });
      assert.equal((await collect(next, 'echo "$KEPT"; pwd')).output, 'yes\n/\n');
    });
  });

  void test('terminate kills its command and background children, double-forked ones too, and spares the container for the next shell', async () => {
    await withContainer(async (executor, dir, env) => {
      const base = randomInt(100_000, 999_999) * 10;
      const markers = [1, 2, 3, 4].map((n) => String(base + n));
      const [background, nohup, orphan, foreground] = markers as [string, string, string, string];
      const first = await executor.openShell({ shell: 'sh', user: undefined, cwd: dir, env });
      const running = first.run(`sleep ${background} & nohup sleep ${nohup} >/dev/null 2>&1 & (sleep ${orphan} &) ; sleep ${foreground}`, () => undefined);
      await waitFor(async () => (await processesWith(markers)).length === 4);
      await first.terminate(500);
      const outcome = await running;
      assert.equal(outcome.shellExited, true);
      assert.ok(outcome.exitCode > 128, `killed by a signal, got ${outcome.exitCode}`);
      assert.deepEqual(await processesWith(markers), []);
      const next = await executor.openShell({ shell: 'sh', user: undefined, cwd: dir, env });
      assert.equal((await collect(next, 'echo alive')).output, 'alive\n');
    });
  });

  for (const signal of ['TERM', 'KILL']) {
    void test(`kill -${signal} 0 from a build (trap "kill 0" EXIT) ends its shell, not the container: the next shell runs`, async () => {
      await withContainer(async (executor, dir, env) => {
        const first = await executor.openShell({ shell: 'sh', user: undefined, cwd: dir, env });
        const { outcome, output } = await collect(first, `kill -${signal} 0; sleep 5`);
        assert.equal(outcome.shellExited, true);
        assert.equal(output, '', 'nothing from the container\'s own process (a job status line) in the build\'s log');
        const next = await executor.openShell({ shell: 'sh', user: undefined, cwd: dir, env });
        assert.equal((await collect(next, 'echo alive')).output, 'alive\n');
      });
    });
  }

  void test('the first shell leads its own session and process group, as an exec\'s shell does', async () => {
    await withContainer(async (executor, dir, env) => {
      const first = await executor.openShell({ shell: 'sh', user: undefined, cwd: dir, env });
      const leader = 'read -r line < /proc/$$/stat; set -- ${line##*) }; [ "$3" = $$ ] && [ "$4" = $$ ] && echo leader';
      assert.equal((await collect(first, leader)).output, 'leader\n');
    });
  });

  void test('a first shell the image lacks fails to open, saying so, and the container serves the next shell', async () => {
    await withContainer(async (executor, dir, env) => {
      await assert.rejects(executor.openShell({ shell: '/bin/no-such-shell', user: undefined, cwd: dir, env }), (error: unknown) => isNagareError(error) && error.message.includes('/bin/no-such-shell: not found in the image'));
      const next = await executor.openShell({ shell: 'sh', user: undefined, cwd: dir, env });
      assert.equal((await collect(next, 'echo alive')).output, 'alive\n');
    });
  });

  void test('attack: a build that keeps its first shell from exiting (exit and trap aliased) cannot keep its container, or anything in it, past dispose', async () => {
    const marker = String(randomInt(100_000, 999_999) * 10 + 8);
    await withContainer(async (executor, dir, env) => {
      const first = await executor.openShell({ shell: 'sh', user: undefined, cwd: dir, env });
      assert.equal((await collect(first, `sleep ${marker} & alias exit='while :; do sleep 1; done;' trap=':'`)).outcome.exitCode, 0);
      await waitFor(async () => (await processesWith([marker])).length === 1);
    });
    assert.deepEqual(await processesWith([marker]), []);
  });

  void test('output to the container\'s own standard output never blocks a build, before or without a first shell', { timeout: 60_000 }, async () => {
    await withContainer(async (executor, dir, env) => {
      // As root by name: an exec, so the container's process has no shell yet and no session reads its output.
      const root = await executor.openShell({ shell: 'sh', user: 'root', cwd: dir, env });
      const { outcome, output } = await collect(root, 'head -c 32000000 /dev/zero > /proc/1/fd/1; echo written');
      assert.deepEqual({ outcome, output }, { outcome: { exitCode: 0, shellExited: false }, output: 'written\n' });
    });
  });

  void test('a shell the container\'s process cannot start as asked (a variable no shell can export) is an exec, and leaves that process to the next shell', async () => {
    await withContainer(async (executor, dir, env) => {
      const dotted = await executor.openShell({ shell: 'sh', user: undefined, cwd: dir, env: { ...env, 'DOTTED.NAME': 'kept' } });
      assert.match((await collect(dotted, `tr '\\0' '\\n' < /proc/$$/environ | grep '^DOTTED.NAME='; ${PARENT}`)).output, /^DOTTED\.NAME=kept\n\|0\n$/);
      const plain = await executor.openShell({ shell: 'bash', user: undefined, cwd: dir, env });
      assert.match((await collect(plain, `echo "\${BASH_VERSION:+bash}"; ${PARENT}`)).output, /^bash\n[\s\S]*nagare-container \|\d+\n$/);
    });
  });
});
