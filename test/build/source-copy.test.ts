/**
 * The build's own copy of its source (src/build/source-copy.ts): an overlay mount as root on
 * Linux, a real copy elsewhere. Whatever the build does in its copy, the user's tree stays as it
 * was; the copy is gone after `dispose`, and one left by a killed build goes with the next build.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { openSourceCopy } from '../../src/build/source-copy.js';

const asRoot = process.platform === 'linux' && process.getuid?.() === 0;
const overlaySkip = asRoot ? false : 'an overlay mount needs root on Linux';

async function sourceTree(base: string, name = 'src'): Promise<string> {
  const dir = path.join(base, name);
  await mkdir(path.join(dir, 'lib', 'deep'), { recursive: true });
  await mkdir(path.join(dir, '.git'));
  await writeFile(path.join(dir, 'counter.txt'), '1\n');
  await writeFile(path.join(dir, 'lib', 'deep', 'code.js'), 'x');
  await writeFile(path.join(dir, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  await writeFile(path.join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  await symlink('lib/deep/code.js', path.join(dir, 'link.js'));
  await chmod(dir, 0o750);
  return dir;
}

/** Every path under `dir` with its type, mode and content: what "unchanged" means. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(dir, { recursive: true, withFileTypes: true })).sort((a, b) => path.join(a.parentPath, a.name).localeCompare(path.join(b.parentPath, b.name)))) {
    const full = path.join(entry.parentPath, entry.name);
    const info = await stat(full).catch(() => undefined);
    const content = entry.isFile() ? await readFile(full, 'utf8') : entry.isSymbolicLink() ? '(link)' : '(dir)';
    out.push(`${path.relative(dir, full)} ${(info?.mode ?? 0).toString(8)} ${content}`);
  }
  return out;
}

async function mounted(dir: string): Promise<boolean> {
  return (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').some((line) => line.split(' ')[4] === dir);
}

async function changeEverything(dir: string): Promise<void> {
  await appendFile(path.join(dir, 'counter.txt'), '2\n');
  await writeFile(path.join(dir, 'lib', 'deep', 'code.js'), 'changed');
  await rm(path.join(dir, 'run.sh'));
  await rename(path.join(dir, 'lib'), path.join(dir, 'moved'));
  await writeFile(path.join(dir, 'new.txt'), 'new');
  await chmod(path.join(dir, 'counter.txt'), 0o600);
  await writeFile(path.join(dir, '.git', 'HEAD'), 'detached\n');
}

void test('as root, the copy is an overlay: the build sees the whole tree (.git, links, modes) and nothing it does reaches the source', { skip: overlaySkip }, async () => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'nagare-copy-'));
  const source = await sourceTree(base);
  const before = await snapshot(source);
  const copy = await openSourceCopy(source, path.join(base, 'state', 'sources'), 'p', path.join(base, 'state'), 0);
  assert.equal(copy.method, 'overlay');
  assert.deepEqual(await snapshot(copy.dir), before, 'the copy shows the source as it is');
  assert.equal(((await stat(copy.dir)).mode & 0o777).toString(8), '750', 'the copy\'s root has the source\'s mode');
  await changeEverything(copy.dir);
  assert.deepEqual(await snapshot(source), before, 'the source is unchanged');
  assert.equal(await mounted(copy.dir), true);
  await copy.dispose();
  assert.equal(await mounted(copy.dir), false, 'dispose unmounts the copy');
  assert.deepEqual(await readdir(path.join(base, 'state', 'sources')), [], 'and removes its layer');
  const again = await openSourceCopy(source, path.join(base, 'state', 'sources'), 'p', path.join(base, 'state'), 0);
  assert.deepEqual(await snapshot(again.dir), before, 'a second copy starts from the same state');
  await again.dispose();
  await rm(base, { recursive: true });
});

void test('a small tree is copied, not mounted: a copy of a few files costs less than mount and umount; a larger one is mounted as root', async () => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'nagare-copy-'));
  const source = await sourceTree(base);
  const before = await snapshot(source);
  const small = await openSourceCopy(source, path.join(base, 'state', 'sources'), 'p', path.join(base, 'state'));
  assert.equal(small.method, 'copy');
  assert.deepEqual(await snapshot(small.dir), before);
  await small.dispose();
  // The source has 8 entries: a threshold below that counts it as large.
  const large = await openSourceCopy(source, path.join(base, 'state', 'sources'), 'p', path.join(base, 'state'), 7);
  assert.equal(large.method, asRoot ? 'overlay' : 'copy');
  assert.deepEqual(await snapshot(large.dir), before);
  await large.dispose();
  await rm(base, { recursive: true });
});

void test('where an overlay cannot be (the state directory inside the source, a comma in a path), the copy is a real one, and the source is unchanged alike', async () => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'nagare-copy-'));
  for (const [name, state] of [['inside', (source: string) => path.join(source, '.nagare')], ['a,comma', (_source: string) => path.join(base, 'state')]] as const) {
    const source = await sourceTree(base, name);
    const before = await snapshot(source);
    const stateDir = state(source);
    const copy = await openSourceCopy(source, path.join(stateDir, 'sources'), 'p', stateDir);
    assert.equal(copy.method, 'copy', name);
    assert.deepEqual(await snapshot(copy.dir), before, `${name}: the copy holds the tree, without the state directory`);
    await changeEverything(copy.dir);
    await copy.dispose();
    assert.deepEqual((await snapshot(source)).filter((line) => !line.startsWith('.nagare')), before, `${name}: the source is unchanged`);
    assert.deepEqual(await readdir(path.join(stateDir, 'sources')), []);
  }
  await rm(base, { recursive: true });
});

void test('a copy left by a killed build is dropped (unmounted first) by the next one; a running build\'s copy is kept', async () => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'nagare-copy-'));
  const source = await sourceTree(base);
  const before = await snapshot(source);
  const sources = path.join(base, 'state', 'sources');
  const abandoned = await openSourceCopy(source, sources, 'killed', path.join(base, 'state'), 0);
  const running = await openSourceCopy(source, sources, 'running', path.join(base, 'state'), 0);
  // The first one's owner is a process that has ended (a build killed before its finally ran).
  const ended = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  await writeFile(path.join(path.dirname(abandoned.dir), 'owner.pid'), `${ended}\n`);
  const next = await openSourceCopy(source, sources, 'next', path.join(base, 'state'), 0);
  const left = (await readdir(sources)).sort();
  assert.deepEqual(left.map((name) => name.replace(/-[0-9a-f-]{36}$/, '')), ['next', 'running']);
  assert.equal(await mounted(abandoned.dir), false, 'the abandoned overlay is unmounted');
  assert.deepEqual(await snapshot(source), before, 'dropping it did not touch the source');
  assert.deepEqual(await snapshot(running.dir), before, 'the running build still has its copy');
  await Promise.all([running.dispose(), next.dispose()]);
  await rm(base, { recursive: true });
});
