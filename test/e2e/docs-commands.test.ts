/**
 * Issue 13, "docs that are true": every ```sh block of README.md and docs/*.md runs literally, in
 * the order written, on a fresh copy of the repository with fresh data, so a page that drifts from
 * the code fails CI. The rule (also in docs/doc-tests.md):
 *
 * - Each page is one terminal session: `export`s and `cd` carry from one block to the next; a block
 *   runs with `set -euo pipefail` and must exit 0. Each page gets a fresh copy of the repository
 *   (tracked files; node_modules and dist linked to the checkout's), a fresh HOME and XDG dirs,
 *   no NAGARE_* variables, `bin/` on the PATH and a git identity.
 * - `127.0.0.1:8780` and `localhost:8780` become a free port (NAGARE_PORT is set to it, so
 *   `npm start` and the CLI agree).
 * - `npm ci` and `npm test` are no-ops (the copy is installed, and `npm test` is the suite this test
 *   belongs to); every other command is run as written.
 * - A block after `<!-- doc-test: background -->` starts a server: it runs in the background until
 *   the page ends, and the next block waits until /healthz answers. A page with no such block gets
 *   `nagare up --data-dir .nagare/data` (as `npm start`) before its first block.
 * - A block after `<!-- doc-test: skip REASON -->` is not run; REASON must say why (another machine,
 *   the internet, minutes of load).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { childEnvironment } from '../support/cli-server.js';
import { freePort } from '../support/processes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Block {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly marker: 'run' | 'background' | 'skip';
  readonly reason?: string;
}

/** The ```sh blocks of a Markdown page, each with the doc-test marker on the line before its fence. */
function shellBlocks(file: string, markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash|shell)\s*$/.test(lines[i] ?? '')) continue;
    const end = lines.findIndex((line, j) => j > i && line.startsWith('```'));
    assert.ok(end > i, `${file}:${i + 1}: a code block that never ends`);
    const marker = /^<!-- doc-test: (skip|background)\s*(.*?)\s*-->$/.exec(lines[i - 1] ?? '');
    if (marker?.[1] === 'skip') assert.ok((marker[2] ?? '').length > 0, `${file}:${i}: doc-test: skip needs a reason`);
    blocks.push({ file, line: i + 1, text: lines.slice(i + 1, end).join('\n'), marker: (marker?.[1] as 'skip' | 'background' | undefined) ?? 'run', ...(marker?.[2] ? { reason: marker[2] } : {}) });
    i = end;
  }
  return blocks;
}

async function pages(): Promise<string[]> {
  const docs = (await readdir(path.join(ROOT, 'docs'))).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/** A fresh copy of the repository's tracked files with the checkout's node_modules and dist. */
async function freshCopy(): Promise<{ home: string; repo: string }> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'nagare-docs-'));
  const repo = path.join(home, 'nagare');
  const files = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).stdout.split('\0').filter((f) => f !== '' && f !== 'node_modules');
  for (const file of files) await cp(path.join(ROOT, file), path.join(repo, file), { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error; // deleted in the work tree, not yet in git
  });
  await symlink(path.join(ROOT, 'node_modules'), path.join(repo, 'node_modules'));
  await symlink(path.join(ROOT, 'dist'), path.join(repo, 'dist'));
  const shims = path.join(home, 'shims');
  await mkdir(shims);
  const npm = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  await writeFile(path.join(shims, 'npm'), `#!/bin/sh\ncase "$1" in ci|test) echo "(doc test: npm $1 skipped)"; exit 0;; esac\nexec ${npm} "$@"\n`);
  await chmod(path.join(shims, 'npm'), 0o755);
  return { home, repo };
}

function sessionEnvironment(home: string, repo: string, port: number): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(childEnvironment()).filter(([name]) => !name.startsWith('NAGARE_') && !name.startsWith('AWS_') && !name.startsWith('XDG_')));
  return {
    ...clean,
    HOME: home,
    PATH: `${path.join(home, 'shims')}:${path.join(repo, 'bin')}:${process.env.PATH ?? ''}`,
    NAGARE_PORT: String(port),
    NAGARE_STATE_DIR: path.join(home, 'state'),
    GIT_AUTHOR_NAME: 'Doc Reader', GIT_AUTHOR_EMAIL: 'reader@example.com', GIT_COMMITTER_NAME: 'Doc Reader', GIT_COMMITTER_EMAIL: 'reader@example.com',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

const withPort = (text: string, port: number): string => text.replace(/(127\.0\.0\.1|localhost):8780\b/g, `127.0.0.1:${port}`);

async function waitForHealth(port: number, server: ChildProcess, output: () => string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if (server.exitCode !== null) assert.fail(`the server block exited with ${server.exitCode}:\n${output()}`);
    const healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.fail(`no server answered on port ${port} within 60 s:\n${output()}`);
}

function startBackground(script: string, cwd: string, env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn('bash', ['-c', `set -euo pipefail\n${script}`], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function stopBackground(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  process.kill(-child.pid, 'SIGTERM');
  await exited;
}

/** Runs one block in the page's session: the state file carries exports and the directory on. */
function runBlock(block: Block, state: string, cwd: string, env: NodeJS.ProcessEnv, port: number): { status: number | null; output: string } {
  const script = `source ${state}\nset -euo pipefail\n${withPort(block.text, port)}\nexport -p > ${state}.next; echo "cd '$PWD'" >> ${state}.next; mv ${state}.next ${state}`;
  const result = spawnSync('bash', ['-c', script], { cwd, env, encoding: 'utf8', timeout: 300_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

for (const page of await pages()) {
  const blocks = shellBlocks(page, await readFile(path.join(ROOT, page), 'utf8'));
  if (blocks.every((b) => b.marker === 'skip')) continue;
  test(`every command block of ${page} runs as written`, async () => {
    const { home, repo } = await freshCopy();
    const port = await freePort();
    const env = sessionEnvironment(home, repo, port);
    const state = path.join(home, 'session.sh');
    await writeFile(state, `cd '${repo}'\n`);
    const servers: { child: ChildProcess; output: () => string }[] = [];
    try {
      if (!blocks.some((b) => b.marker === 'background')) {
        const server = startBackground('nagare up --data-dir .nagare/data', repo, env);
        servers.push(server);
        await waitForHealth(port, server.child, server.output);
      }
      for (const block of blocks) {
        if (block.marker === 'skip') continue;
        if (block.marker === 'background') {
          const server = startBackground(withPort(block.text, port), repo, env);
          servers.push(server);
          await waitForHealth(port, server.child, server.output);
          continue;
        }
        const run = runBlock(block, state, repo, env, port);
        if (process.env.DOC_TEST_VERBOSE) process.stderr.write(`--- ${block.file}:${block.line}\n${run.output}\n`);
        assert.equal(run.status, 0, `${block.file}:${block.line}: the block failed:\n${block.text}\n--- output ---\n${run.output}`);
      }
    } finally {
      for (const server of servers) await stopBackground(server.child);
    }
  });
}
