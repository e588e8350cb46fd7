/**
 * Finding 1 of issue 7: input zips unpacked on the agent's host never write outside their
 * directory. The zips are crafted as an attacker would (yazl, and `git archive` of a hand-made
 * tree), unpacked with the real code, and the directory beside them is checked to be untouched.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, readlink, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import yazl from 'yazl';
import { NagareError } from '../../src/core/errors.js';
import { unzipInto } from '../../src/executors/unzip.js';
import { tempDir } from '../build/temp-tree.js';

type Entry = { name: string; content?: string; link?: string; directory?: boolean };

async function zipOf(entries: readonly Entry[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    if (entry.directory) zip.addEmptyDirectory(entry.name);
    else if (entry.link !== undefined) zip.addBuffer(Buffer.from(entry.link), entry.name, { mode: 0o120777, compress: false });
    else zip.addBuffer(Buffer.from(entry.content ?? ''), entry.name, { mode: 0o100644, compress: false });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** yazl refuses to write bad names, as an honest tool would: rename an entry in the bytes. */
function renamed(zip: Buffer, from: string, to: string): Buffer {
  assert.equal(from.length, to.length);
  return Buffer.from(zip.toString('latin1').split(from).join(to), 'latin1');
}

/** A build directory `<work>/src` and an empty directory beside it that must stay empty. */
async function scene(): Promise<{ work: string; dir: string; outside: string }> {
  const work = await tempDir('nagare-unzip-');
  const outside = path.join(work, `outside-${randomUUID()}`);
  await mkdir(outside);
  return { work, dir: path.join(work, 'src'), outside };
}

async function refuses(zip: Buffer, dir: string, code: string, message: RegExp): Promise<void> {
  await assert.rejects(unzipInto(zip, dir), (error: unknown) => {
    assert.ok(error instanceof NagareError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

test('finding 1: a link entry a -> /outside followed by a/pwned writes nothing outside', async () => {
  const { dir, outside } = await scene();
  const zip = await zipOf([{ name: 'a', link: outside }, { name: 'a/pwned', content: 'pwned' }]);
  await refuses(zip, dir, 'BUILD_PATH_ESCAPES', /link a points to .*outside/);
  assert.deepEqual(await readdir(outside), []);
});

test('finding 1: git archive of a tree with a symlink a and a directory a/ writes nothing outside', async () => {
  const { work, dir, outside } = await scene();
  const repo = path.join(work, 'repo');
  const git = (args: string[], input?: string): string => execFileSync('git', args, { cwd: repo, input, encoding: 'utf8' }).trim();
  await mkdir(repo);
  git(['init', '--quiet']);
  const link = git(['hash-object', '-w', '--stdin'], outside);
  const pwned = git(['hash-object', '-w', '--stdin'], 'pwned');
  const sub = git(['mktree'], `100644 blob ${pwned}\tpwned\n`);
  const tree = git(['mktree'], `120000 blob ${link}\ta\n040000 tree ${sub}\ta\n`);
  const commit = git(['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit-tree', '-m', 'attack', tree]);
  const zip = execFileSync('git', ['archive', '--format=zip', commit], { cwd: repo });
  await assert.rejects(unzipInto(zip, dir), NagareError);
  assert.deepEqual(await readdir(outside), []);
});

test('finding 1: an entry below a link that stays inside is refused too: nothing is written through a link', async () => {
  const { dir } = await scene();
  const zip = await zipOf([{ name: 'real/', directory: true }, { name: 'a', link: 'real' }, { name: 'a/pwned', content: 'x' }]);
  await refuses(zip, dir, 'BUILD_ARCHIVE_INVALID', /below a, which is a link/);
  assert.deepEqual(await readdir(path.join(dir, 'real')), []);
});

test('finding 1: a link entry a -> ../.. is refused', async () => {
  const { dir } = await scene();
  await refuses(await zipOf([{ name: 'a', link: '../..' }]), dir, 'BUILD_PATH_ESCAPES', /link a points to \.\.\/\.\./);
});

test('finding 1: a link that escapes only through a later link (x -> l/../secret, then l -> .) is refused', async () => {
  const { work, dir } = await scene();
  await writeFile(path.join(work, 'secret'), 'host secret');
  const zip = await zipOf([{ name: 'x', link: 'l/../secret' }, { name: 'l', link: '.' }]);
  await refuses(zip, dir, 'BUILD_PATH_ESCAPES', /The path x leads outside/);
});

test('finding 1: two entries with one name are refused and the first is not overwritten', async () => {
  const { dir } = await scene();
  const zip = await zipOf([{ name: 'f', content: 'first' }, { name: 'f', content: 'second' }]);
  await refuses(zip, dir, 'BUILD_ARCHIVE_INVALID', /two entries named f/);
  assert.equal(await readFile(path.join(dir, 'f'), 'utf8'), 'first');
  const sameAfterNormalising = await zipOf([{ name: 'd/f', content: 'first' }, { name: 'd/./f', content: 'second' }]);
  await refuses(sameAfterNormalising, path.join(dir, 'again'), 'BUILD_ARCHIVE_INVALID', /two entries named d\/f/);
});

test('finding 1: entries named ../x or /abs/x are refused and nothing is written outside', async () => {
  const { work, dir } = await scene();
  const dotdot = renamed(await zipOf([{ name: 'zz/evil-dotdot', content: 'pwned' }]), 'zz/evil-dotdot', '../evil-dotdot');
  await refuses(dotdot, dir, 'BUILD_PATH_ESCAPES', /outside/);
  const absolute = path.join(work, 'evil-abs');
  const placeholder = `x${absolute.slice(1)}`;
  await refuses(renamed(await zipOf([{ name: placeholder, content: 'pwned' }]), placeholder, absolute), dir, 'BUILD_PATH_ESCAPES', /outside/);
  assert.deepEqual((await readdir(work)).filter((name) => name.startsWith('evil')), []);
});

test('finding 1: an archive over the entry or byte bound fails clearly instead of filling the disk', async () => {
  const { dir } = await scene();
  const zip = await zipOf([{ name: 'a', content: 'x'.repeat(40) }, { name: 'b', content: 'y' }, { name: 'c', content: 'z' }]);
  await assert.rejects(unzipInto(zip, dir, { maxEntries: 2, maxBytes: 1000 }), { code: 'BUILD_ARCHIVE_INVALID', message: /3 entries, more than the 2/ });
  await assert.rejects(unzipInto(zip, path.join(dir, 'b'), { maxEntries: 10, maxBytes: 20 }), { code: 'BUILD_ARCHIVE_INVALID', message: /more than 20 bytes/ });
});

test('bytes that are not a zip are BUILD_ARCHIVE_INVALID, not an agent fault', async () => {
  const { dir } = await scene();
  await refuses(Buffer.from('not a zip at all'), dir, 'BUILD_ARCHIVE_INVALID', /not a readable zip/);
});

test('an honest artifact unpacks as before: directories, files with their mode, links inside', async () => {
  const { dir } = await scene();
  const zip = new yazl.ZipFile();
  zip.addEmptyDirectory('empty/');
  zip.addBuffer(Buffer.from('#!/bin/sh\n'), 'bin/run.sh', { mode: 0o100755 });
  zip.addBuffer(Buffer.from('data'), 'lib/data.txt', { mode: 0o100644 });
  zip.addBuffer(Buffer.from('../lib/data.txt'), 'bin/data', { mode: 0o120777 });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  assert.equal(await unzipInto(Buffer.concat(chunks), dir), 3);
  assert.ok((await stat(path.join(dir, 'empty'))).isDirectory());
  assert.equal((await stat(path.join(dir, 'bin/run.sh'))).mode & 0o777, 0o755);
  assert.ok((await lstat(path.join(dir, 'bin/data'))).isSymbolicLink());
  assert.equal(await readlink(path.join(dir, 'bin/data')), '../lib/data.txt');
  assert.equal(await readFile(path.join(dir, 'bin/data'), 'utf8'), 'data');
});
