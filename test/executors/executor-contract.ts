/**
 * The executor contract: one suite that every Executor implementation passes (STYLE.md habit 7).
 * Each implementation calls `runExecutorContract` with a factory; a case it cannot honour is
 * listed in `skip` with the reason, which the test report shows.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { isNagareError } from '../../src/core/errors.js';
import type { CommandOutcome, Executor, ShellOptions, ShellSession } from '../../src/core/executor.js';
import { BuildShells } from '../../src/executors/shells.js';

export interface ContractOptions {
  /** Case title → why this implementation skips it. */
  readonly skip?: Readonly<Record<string, string>>;
}

export const TEST_USER = 'nagare-test';

export function runExecutorContract(name: string, makeExecutor: () => Executor | Promise<Executor>, options: ContractOptions = {}): void {
  void describe(`${name} executor contract`, () => {
    let executor: Executor;
    let workDir: string;
    let baseEnv: Readonly<Record<string, string>>;
    const sessions: ShellSession[] = [];
    // Numbers no other process on the machine passes to `sleep`, to find leftovers in /proc.
    const markerBase = randomInt(100_000, 999_999) * 10;

    const open = async (overrides: Partial<ShellOptions> = {}): Promise<ShellSession> => {
      const session = await executor.openShell({ shell: 'sh', user: undefined, cwd: workDir, env: { ...baseEnv, NAGARE_CONTRACT: '1' }, ...overrides });
      sessions.push(session);
      return session;
    };
    const check = (title: string, body: (t: TestContext) => Promise<void>): void => {
      const reason = options.skip?.[title];
      void it(title, reason === undefined ? {} : { skip: reason }, body);
    };

    before(async () => {
      workDir = await mkdtemp(join(tmpdir(), 'nagare-contract-'));
      await chmod(workDir, 0o755);
      executor = await makeExecutor();
      await executor.start([workDir]);
      baseEnv = await executor.baseEnvironment();
    });

    after(async () => {
      await Promise.all(sessions.map((s) => s.terminate(500)));
      await executor?.dispose();
      if (workDir) await rm(workDir, { recursive: true, force: true });
    });

    check('cd and export persist across commands in one session', async () => {
      const session = await open();
      await mkdir(join(workDir, 'sub'));
      assert.equal((await collect(session, 'cd sub && export GREETING=hello')).outcome.exitCode, 0);
      const { output } = await collect(session, 'pwd; echo "$GREETING"');
      assert.equal(output, `${join(workDir, 'sub')}\nhello\n`);
    });

    check("a command's status is its last statement's (no set -e)", async () => {
      const session = await open();
      assert.equal((await collect(session, 'false; true')).outcome.exitCode, 0);
      assert.equal((await collect(session, 'true; false')).outcome.exitCode, 1);
      assert.equal((await collect(session, 'sh -c "exit 7"')).outcome.exitCode, 7);
    });

    check("a block scalar is one command whose status is its last statement's", async () => {
      const session = await open();
      const failedFirst = await collect(session, 'false\necho after\ntrue\n');
      assert.deepEqual(failedFirst.outcome, { exitCode: 0, shellExited: false });
      assert.equal(failedFirst.output, 'after\n');
      assert.equal((await collect(session, 'echo one\nfalse\n')).outcome.exitCode, 1);
    });

    check('exit 3 ends the shell and reports 3 with shellExited', async () => {
      const session = await open();
      await collect(session, 'export KEPT=yes; cd /');
      const { outcome } = await collect(session, 'echo bye; exit 3');
      assert.deepEqual(outcome, { exitCode: 3, shellExited: true });
      await assert.rejects(session.run('true', () => undefined));
      const state = session.lastGood();
      const next = await open({ env: state.env, cwd: state.cwd });
      assert.equal((await collect(next, 'echo "$KEPT"; pwd')).output, 'yes\n/\n');
    });

    check('a command that ends the shell leaves its directory, exports and plain variables in lastGood', async () => {
      const session = await open();
      const { outcome } = await collect(session, 'PLAIN="a b\nc"; export EXPORTED=1; cd /; exit 0');
      assert.deepEqual(outcome, { exitCode: 0, shellExited: true });
      const state = session.lastGood();
      assert.equal(state.cwd, '/');
      assert.equal(state.env.EXPORTED, '1');
      assert.equal(state.variables?.PLAIN, 'a b\nc');
      assert.equal(state.variables?.EXPORTED, undefined);
    });

    check('lastGood round-trips tricky values and is not updated by a failing command', async () => {
      const session = await open();
      const tricky = `it's "quoted" $HOME \`tick\` \\back  two  spaces\nsecond line\ttab é`;
      const dir = join(workDir, "dir with 'space'");
      await mkdir(dir);
      await collect(session, `export TRICKY=${shellQuote(tricky)} EMPTY=; cd ${shellQuote(dir)}`);
      await collect(session, 'export NOT_KEPT=1; cd /; false');
      const state = session.lastGood();
      assert.equal(state.env.TRICKY, tricky);
      assert.equal(state.env.EMPTY, '');
      assert.equal(state.env.NOT_KEPT, undefined);
      assert.equal(state.cwd, dir);
      const next = await open({ env: state.env, cwd: state.cwd });
      assert.equal((await collect(next, 'printf "%s|" "$TRICKY"; pwd')).output, `${tricky}|${dir}\n`);
    });

    check('stdout and stderr are merged in order, and output without a final newline is kept', async () => {
      const session = await open();
      const { output } = await collect(session, 'echo 1; echo 2 >&2; echo 3; echo 4 >&2; printf 5');
      assert.equal(output, '1\n2\n3\n4\n5');
    });

    check('output streams before the command ends', async () => {
      const session = await open();
      const chunks: string[] = [];
      await session.run('echo first; sleep 1; echo second', (chunk) => chunks.push(chunk.toString()));
      assert.equal(chunks[0], 'first\n');
      assert.equal(chunks.join(''), 'first\nsecond\n');
    });

    check('a command reading stdin gets end of file at once', async () => {
      const session = await open();
      const { output } = await collect(session, 'cat; echo "cat=$?"; read line; echo "read=$?"');
      assert.equal(output, 'cat=0\nread=1\n');
    });

    check('env.shell bash runs bash syntax, which sh rejects', async () => {
      const bashSyntax = 'words=(one two); echo "${words[1]}"';
      const bash = await collect(await open({ shell: 'bash' }), bashSyntax);
      assert.deepEqual(bash.outcome, { exitCode: 0, shellExited: false });
      assert.equal(bash.output, 'two\n');
      const sh = await collect(await open({ shell: 'sh' }), bashSyntax);
      assert.notEqual(sh.outcome.exitCode, 0);
    });

    check('run-as runs commands as that user', async (t) => {
      if (process.getuid?.() !== 0) {
        t.skip('needs root to create and switch to the user nagare-test');
        return;
      }
      ensureHostUser(TEST_USER);
      const session = await open({ user: TEST_USER });
      assert.equal((await collect(session, 'id -un; export AS_USER=1')).output, `${TEST_USER}\n`);
      assert.equal(session.lastGood().env.AS_USER, '1');
      await assert.rejects(open({ user: 'nagare-no-such-user' }), (error: unknown) => isNagareError(error) && error.code === 'EXEC_USER_UNKNOWN');
    });

    check('terminate kills a running command and its background children', async () => {
      const session = await open();
      const [background, nohup, stubborn, foreground] = [1, 2, 3, 4].map((n) => String(markerBase + n)) as [string, string, string, string];
      const running = session.run(
        `sleep ${background} & nohup sleep ${nohup} >/dev/null 2>&1 & sh -c 'trap "" TERM; while :; do sleep 1; done' ${stubborn} & sleep ${foreground}`,
        () => undefined,
      );
      await waitFor(async () => (await processesWith([background, nohup, stubborn, foreground])).length === 4);
      await session.terminate(500);
      const outcome: CommandOutcome = await running;
      assert.equal(outcome.shellExited, true);
      assert.ok(outcome.exitCode > 128, `killed by a signal, got ${outcome.exitCode}`);
      assert.deepEqual(await processesWith([background, nohup, stubborn, foreground]), []);
      await session.terminate(500); // idempotent
    });

    check('a stop at any moment of a command\'s start ends the run, and a command stopped before it ran never runs', async () => {
      // The stop of a build lands whenever the heartbeat answers: while the shell starts, while
      // the command file is written, or once it runs. Each run must end (none left pending for ever).
      for (const delayMs of [0, 1, 3, 10, 30, 100]) {
        const marker = join(workDir, `stopped-${delayMs}`);
        const shells = new BuildShells({ executor, version: '0.2', shell: 'sh', initial: { env: { ...baseEnv }, cwd: workDir } });
        const running = shells.run(`sleep ${markerBase + 7}; touch ${shellQuote(marker)}`, undefined, () => undefined);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        await shells.terminate(0);
        const outcome = await within(running, 10_000, `the run stopped ${delayMs} ms after it began`);
        assert.notEqual(outcome.exitCode, 0, `stopped ${delayMs} ms after it began`);
        assert.equal(await shells.run('true', undefined, () => undefined).then((o) => o.exitCode), 143, 'nothing starts after a stop');
      }
      assert.deepEqual(await processesWith([String(markerBase + 7)]), []);
      assert.deepEqual((await readdir(workDir)).filter((name) => name.startsWith('stopped-')), []);
    });

    check('dispose leaves no processes behind', async () => {
      const own = await makeExecutor();
      await own.start([workDir]);
      const env = { ...(await own.baseEnvironment()) };
      const markers = [String(markerBase + 5), String(markerBase + 6)];
      for (const marker of markers) {
        const session = await own.openShell({ shell: 'sh', user: undefined, cwd: workDir, env });
        await collect(session, `sleep ${marker} &`);
      }
      await waitFor(async () => (await processesWith(markers)).length === 2);
      await own.dispose();
      assert.deepEqual(await processesWith(markers), []);
      await own.dispose(); // idempotent
    });

    check('a finished build leaves no timer or handle open (process.getActiveResourcesInfo before and after)', async () => {
      await settle();
      const before = countResources();
      const own = await makeExecutor();
      await own.start([workDir]);
      const env = { ...(await own.baseEnvironment()) };
      const session = await own.openShell({ shell: 'sh', user: undefined, cwd: workDir, env });
      assert.equal((await collect(session, 'echo hello; sleep 1000 &')).outcome.exitCode, 0);
      const fresh = await own.openShell({ shell: 'sh', user: undefined, cwd: workDir, env });
      assert.equal((await collect(fresh, 'exit 4')).outcome.exitCode, 4);
      await session.terminate(0);
      await own.dispose();
      // Closed sockets and pipes leave the list within a few turns of the loop; a timer left
      // pending (the 1 s race `nagare build` used to linger on) does not.
      let extra: string[] = [];
      for (let turn = 0; turn < 20; turn += 1) {
        await settle();
        extra = surplus(countResources(), before);
        if (extra.length === 0) break;
      }
      assert.deepEqual(extra, [], 'resources still keeping the event loop alive after dispose');
    });

    check('10 000 lines of output arrive complete and in order', async () => {
      const session = await open();
      const { output, outcome } = await collect(session, 'i=1; while [ $i -le 10000 ]; do echo "line $i"; i=$((i + 1)); done');
      assert.equal(outcome.exitCode, 0);
      const expected = Array.from({ length: 10_000 }, (_, i) => `line ${i + 1}\n`).join('');
      assert.ok(output === expected, `got ${output.length} characters, expected ${expected.length}`);
    });
  });
}

/** The promise's value, or a failure naming `what` after `ms` (a run left pending for ever fails here, not at the suite's end). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} was still pending after ${ms} ms`)), ms); });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function collect(session: ShellSession, command: string): Promise<{ outcome: CommandOutcome; output: string }> {
  const chunks: Buffer[] = [];
  const outcome = await session.run(command, (chunk) => chunks.push(Buffer.from(chunk)));
  return { outcome, output: Buffer.concat(chunks).toString() };
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** Host pids whose command line has one of `args` as an argument (containers' processes included). */
export async function processesWith(args: readonly string[]): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').some((arg) => args.includes(arg))) found.push(Number(name));
  }
  return found;
}

export async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function ensureHostUser(user: string): void {
  try {
    execFileSync('id', [user], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--no-create-home', '--shell', '/bin/sh', user], { stdio: 'ignore' });
  }
}

function countResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

/** Resources in `after` beyond those in `before`, as `<kind> +<n>`. */
function surplus(after: Map<string, number>, before: Map<string, number>): string[] {
  return [...after].filter(([name, n]) => n > (before.get(name) ?? 0)).map(([name, n]) => `${name} +${n - (before.get(name) ?? 0)}`);
}

/** Lets close callbacks run: two turns of the loop, with no timer of its own left behind. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}
