import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { exportable, ShellProtocol } from '../../src/executors/shell-protocol.js';

/** A protocol wired to no shell: the test plays the shell by feeding bytes. */
async function fakeShell(): Promise<{ protocol: ShellProtocol; sent: string[]; nonce: () => string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'nagare-protocol-'));
  const sent: string[] = [];
  const protocol = new ShellProtocol({ write: (text) => sent.push(text), sessionDir: dir, initialState: { env: { A: '1' }, cwd: '/' } });
  const nonce = (): string => protocol.markerPrefix;
  return { protocol, sent, nonce, dir };
}

/** Waits until the protocol has sent the command's control line (after writing its file). */
async function sentCommand(sent: readonly string[]): Promise<void> {
  while (sent.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
}

void test('a marker split across chunks, after output without a newline, ends the command', async () => {
  const { protocol, sent, nonce, dir } = await fakeShell();
  const chunks: string[] = [];
  const running = protocol.run('echo x', (chunk) => chunks.push(chunk.toString()));
  await sentCommand(sent);
  const marker = `${nonce()}:C:1:4\n`;
  protocol.feed(Buffer.from(`partial line${marker.slice(0, 5)}`));
  protocol.feed(Buffer.from(marker.slice(5, 20)));
  protocol.feed(Buffer.from(marker.slice(20)));
  assert.deepEqual(await running, { exitCode: 4, shellExited: false });
  assert.equal(chunks.join(''), 'partial line');
  assert.deepEqual(protocol.lastGood(), { env: { A: '1' }, cwd: '/' });
  assert.equal(await readFile(join(dir, 'cmd-1.sh'), 'utf8'), 'echo x\n');
  await rm(dir, { recursive: true });
});

void test('a successful command updates lastGood from the env and cwd dumps', async () => {
  const { protocol, sent, nonce, dir } = await fakeShell();
  const running = protocol.run('cd /x', () => undefined);
  await sentCommand(sent);
  await writeFile(join(dir, 'env'), "export B='two words'\n");
  await writeFile(join(dir, 'cwd'), '/x y\n');
  protocol.feed(Buffer.from(`${nonce()}:C:1:0\n`));
  assert.deepEqual(await running, { exitCode: 0, shellExited: false });
  assert.deepEqual(protocol.lastGood(), { env: { B: 'two words' }, cwd: '/x y' });
  await rm(dir, { recursive: true });
});

void test('the shell ending without a marker resolves the running command with its status, as shellExited', async () => {
  const { protocol, sent, dir } = await fakeShell();
  const running = protocol.run('kill -9 $$', () => undefined);
  await sentCommand(sent);
  protocol.shellEnded(137);
  assert.deepEqual(await running, { exitCode: 137, shellExited: true });
  await assert.rejects(protocol.run('true', () => undefined), /ended/);
  await rm(dir, { recursive: true });
});

void test('a shell that ends while a command is being written resolves that command as shellExited, never leaving it pending', async () => {
  const { protocol, sent, dir } = await fakeShell();
  // The stop lands between run() and its control line: the command file is still being written.
  const running = protocol.run('sleep 60', () => undefined);
  protocol.shellEnded(137);
  assert.deepEqual(await running, { exitCode: 137, shellExited: true });
  assert.deepEqual(sent, [], 'nothing is sent to a shell that has ended');
  await rm(dir, { recursive: true });
});

void test('a command whose shell ended with status 0 before it ran fails: a command that never ran is never a success', async () => {
  const { protocol, sent, dir } = await fakeShell();
  const running = protocol.run('make release', () => undefined);
  // The shell's input closed (the exec's connection dropped) and it ended cleanly meanwhile.
  protocol.shellEnded(0);
  const outcome = await running;
  assert.equal(outcome.shellExited, true);
  assert.notEqual(outcome.exitCode, 0);
  assert.deepEqual(sent, []);
  await rm(dir, { recursive: true });
});

void test("a wrapper's end marker ends the shell with its status: the running command resolves as shellExited after the output before it", async () => {
  const { protocol, sent, nonce, dir } = await fakeShell();
  const chunks: string[] = [];
  const running = protocol.run('sleep 60', (chunk) => chunks.push(chunk.toString()));
  await sentCommand(sent);
  protocol.feed(Buffer.from(`last words${nonce()}:E:143\n`));
  assert.deepEqual(await running, { exitCode: 143, shellExited: true });
  assert.equal(chunks.join(''), 'last words');
  await protocol.whenEnded();
  await rm(dir, { recursive: true });
});

void test('with applyInitialState the startup script enters the directory and exports the environment, values taken literally', async () => {
  const dir = await mkdtemp(join(tmpdir(), "nagare-protocol-it's-"));
  const tricky = `it's "quoted" $HOME \`tick\` \\back\nsecond line\ttab é`;
  const protocol = new ShellProtocol({ write: () => undefined, sessionDir: dir, initialState: { env: { TRICKY: tricky, EMPTY: '' }, cwd: dir }, unset: ['DROPPED'], applyInitialState: true });
  const output = execFileSync('sh', { input: `${protocol.startupScript()}trap - EXIT; printf '%s|%s|%s|' "$TRICKY" "\${EMPTY-unset}" "\${DROPPED-unset}"; pwd\n`, env: { PATH: process.env.PATH, DROPPED: 'x' } }).toString();
  assert.ok(output.endsWith(`${tricky}||unset|${dir}\n`), output);
  await rm(dir, { recursive: true });
});

void test('exportable: a plain identifier that no shell reads at start or manages itself', () => {
  for (const name of ['PATH', 'CODEBUILD_SRC_DIR', '_private', 'a1']) assert.equal(exportable(name), true, name);
  for (const name of ['DOTTED.NAME', '1ST', 'A-B', '', 'IFS', 'BASH_ENV', 'ENV', 'CDPATH', 'UID', 'SHELLOPTS', 'PPID', 'LD_PRELOAD', 'GLIBC_TUNABLES']) assert.equal(exportable(name), false, name);
});
