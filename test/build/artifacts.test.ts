import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { ArtifactSpec } from '../../src/core/buildspec.js';
import { resolveArtifactFiles, writeArtifactZip, ZIP_SYMLINK_MODE, type ArtifactFileList } from '../../src/build/artifacts.js';
import { makeTree, readZip, tempDir } from './temp-tree.js';

function spec(files: string[], more: Partial<ArtifactSpec> = {}): ArtifactSpec {
  return { files, name: undefined, discardPaths: false, baseDirectory: undefined, excludePaths: [], enableSymlinks: false, s3Prefix: undefined, ...more };
}

function zipPaths(list: ArtifactFileList): string[] {
  assert.ok(list.ok, list.ok ? '' : list.context.message);
  return list.entries.map((entry) => entry.zipPath).sort();
}

function failure(list: ArtifactFileList): string {
  assert.ok(!list.ok, 'expected a CLIENT_ERROR');
  assert.equal(list.context.statusCode, 'CLIENT_ERROR');
  return list.context.message;
}

const docTree = {
  'my-build-1/my-file-1.txt': '1',
  'my-build-2/my-file-2.txt': '2',
  'my-build-2/my-subdirectory/my-file-3.txt': '3',
};

void test('files */my-file-3.txt with base-directory my-build-2 stores my-subdirectory/my-file-3.txt (doc example)', async () => {
  const src = await makeTree(docTree);
  assert.deepEqual(zipPaths(await resolveArtifactFiles(spec(['*/my-file-3.txt'], { baseDirectory: 'my-build-2' }), src)), ['my-subdirectory/my-file-3.txt']);
});

void test('base-directory my-build* with **/* and discard-paths stores my-file-1..3 flat (doc example)', async () => {
  const src = await makeTree(docTree);
  const list = await resolveArtifactFiles(spec(['**/*'], { baseDirectory: 'my-build*', discardPaths: true }), src);
  assert.deepEqual(zipPaths(list), ['my-file-1.txt', 'my-file-2.txt', 'my-file-3.txt']);
});

void test('a base-directory glob takes the contents of the matched directories, not the directories', async () => {
  const src = await makeTree(docTree);
  const list = await resolveArtifactFiles(spec(['**/*'], { baseDirectory: 'my-build*' }), src);
  assert.deepEqual(zipPaths(list), ['my-file-1.txt', 'my-file-2.txt', 'my-subdirectory/my-file-3.txt']);
});

const javaTree = { 'file.jar': 'j', 'dir/file.jar': 'dj', 'dir/sub/deep.jar': 'd', 'dir/sub/deeper/x.txt': 'x', 'other/o.txt': 'o' };

void test('**/* takes all files recursively', async () => {
  const src = await makeTree(javaTree);
  assert.deepEqual(zipPaths(await resolveArtifactFiles(spec(['**/*']), src)), ['dir/file.jar', 'dir/sub/deep.jar', 'dir/sub/deeper/x.txt', 'file.jar', 'other/o.txt']);
});

void test('dir/* takes only the files directly in dir', async () => {
  const src = await makeTree(javaTree);
  assert.deepEqual(zipPaths(await resolveArtifactFiles(spec(['dir/*']), src)), ['dir/file.jar']);
});

void test('dir/**/* takes the files under dir recursively', async () => {
  const src = await makeTree(javaTree);
  assert.deepEqual(zipPaths(await resolveArtifactFiles(spec(['dir/**/*']), src)), ['dir/file.jar', 'dir/sub/deep.jar', 'dir/sub/deeper/x.txt']);
});

void test('plain paths file.jar and dir/file.jar take those files', async () => {
  const src = await makeTree(javaTree);
  assert.deepEqual(zipPaths(await resolveArtifactFiles(spec(['file.jar', 'dir/file.jar']), src)), ['dir/file.jar', 'file.jar']);
});

void test('a directory path takes every file under it', async () => {
  const src = await makeTree(javaTree);
  assert.deepEqual(zipPaths(await resolveArtifactFiles(spec(['dir/sub']), src)), ['dir/sub/deep.jar', 'dir/sub/deeper/x.txt']);
});

void test('* matches dot-files', async () => {
  const src = await makeTree({ '.env': 'e', 'a.txt': 'a' });
  assert.deepEqual(zipPaths(await resolveArtifactFiles(spec(['*']), src)), ['.env', 'a.txt']);
});

void test('** matches dot-directories', async () => {
  const src = await makeTree({ '.config/tool/settings': 's', 'a.txt': 'a' });
  assert.deepEqual(zipPaths(await resolveArtifactFiles(spec(['**/*']), src)), ['.config/tool/settings', 'a.txt']);
});

void test('empty directories are not included', async () => {
  const src = await makeTree({ 'empty/': null, 'full/a.txt': 'a' });
  assert.deepEqual(zipPaths(await resolveArtifactFiles(spec(['**/*']), src)), ['full/a.txt']);
  const zip = path.join(await tempDir(), 'a.zip');
  const list = await resolveArtifactFiles(spec(['**/*']), src);
  assert.ok(list.ok);
  await writeArtifactZip(list.entries, zip);
  assert.deepEqual((await readZip(zip)).map((entry) => entry.name), ['full/a.txt']);
});

void test('exclude-paths **/.*/**/* drops files in dot-folders', async () => {
  const src = await makeTree({ '.git/config': 'c', 'src/.cache/x': 'x', 'src/.keep': 'k', 'src/a.js': 'a' });
  const list = await resolveArtifactFiles(spec(['**/*'], { excludePaths: ['**/.*/**/*'] }), src);
  assert.deepEqual(zipPaths(list), ['src/.keep', 'src/a.js']);
});

void test('exclude-paths **/.* drops dot-files', async () => {
  const src = await makeTree({ '.env': 'e', 'src/.keep': 'k', 'src/a.js': 'a' });
  assert.deepEqual(zipPaths(await resolveArtifactFiles(spec(['**/*'], { excludePaths: ['**/.*'] }), src)), ['src/a.js']);
});

void test('exclude-paths * stays within one name component and ** crosses directories', async () => {
  const src = await makeTree({ 'a.log': 'l', 'logs/b.log': 'l', 'keep.txt': 'k' });
  assert.deepEqual(zipPaths(await resolveArtifactFiles(spec(['**/*'], { excludePaths: ['*.log'] }), src)), ['keep.txt', 'logs/b.log']);
  assert.deepEqual(zipPaths(await resolveArtifactFiles(spec(['**/*'], { excludePaths: ['**/*.log'] }), src)), ['keep.txt']);
});

void test('exclude-paths are relative to the base directory', async () => {
  const src = await makeTree({ 'dist/a.js': 'a', 'dist/a.js.map': 'm' });
  const list = await resolveArtifactFiles(spec(['**/*'], { baseDirectory: 'dist', excludePaths: ['*.map'] }), src);
  assert.deepEqual(zipPaths(list), ['a.js']);
});

void test('discard-paths: yes flattens the stored paths', async () => {
  const src = await makeTree({ 'com/a/B.java': 'b', 'c.txt': 'c' });
  assert.deepEqual(zipPaths(await resolveArtifactFiles(spec(['**/*'], { discardPaths: true }), src)), ['B.java', 'c.txt']);
});

void test('discard-paths with two files of the same name fails naming both', async () => {
  const src = await makeTree({ 'x/a.txt': '1', 'y/a.txt': '2' });
  const message = failure(await resolveArtifactFiles(spec(['**/*'], { discardPaths: true }), src));
  assert.match(message, /x\/a\.txt/);
  assert.match(message, /y\/a\.txt/);
  assert.match(message, /discard-paths/);
});

void test('a file taken by two patterns is stored once', async () => {
  const src = await makeTree({ 'a.txt': 'a' });
  assert.deepEqual(zipPaths(await resolveArtifactFiles(spec(['a.txt', '*']), src)), ['a.txt']);
});

void test('an absolute path in files is rejected', async () => {
  const src = await makeTree({ 'a.txt': 'a' });
  assert.match(failure(await resolveArtifactFiles(spec(['/etc/passwd']), src)), /\/etc\/passwd is absolute/);
});

void test('a files path that leaves the base directory with .. is rejected', async () => {
  const src = await makeTree({ 'a.txt': 'a', 'sub/b.txt': 'b' });
  assert.match(failure(await resolveArtifactFiles(spec(['../a.txt'], { baseDirectory: 'sub' }), src)), /\.\.\/a\.txt resolves outside/);
  assert.match(failure(await resolveArtifactFiles(spec(['sub/../../x']), src)), /resolves outside/);
});

void test('a base-directory outside the source directory is rejected', async () => {
  const src = await makeTree({ 'a.txt': 'a' });
  assert.match(failure(await resolveArtifactFiles(spec(['**/*'], { baseDirectory: '..' }), src)), /base-directory \.\. resolves outside the source directory/);
  assert.match(failure(await resolveArtifactFiles(spec(['**/*'], { baseDirectory: '/etc' }), src)), /base-directory \/etc is outside the source directory/);
});

void test('an absolute base-directory inside the source directory is accepted', async () => {
  const src = await makeTree({ 'dist/a.js': 'a' });
  assert.deepEqual(zipPaths(await resolveArtifactFiles(spec(['**/*'], { baseDirectory: path.join(src, 'dist') }), src)), ['a.js']);
});

void test('a symlinked directory pointing outside the source directory is rejected', async () => {
  const outside = await makeTree({ 'secret.txt': 's' });
  const src = await makeTree({ 'a.txt': 'a', 'out': { symlink: outside } });
  assert.match(failure(await resolveArtifactFiles(spec(['**/*']), src)), /out resolves outside the source directory/);
  assert.match(failure(await resolveArtifactFiles(spec(['out/secret.txt']), src)), /out resolves outside/);
  assert.match(failure(await resolveArtifactFiles(spec(['**/*'], { baseDirectory: 'out' }), src)), /base-directory out resolves outside/);
  assert.deepEqual(zipPaths(await resolveArtifactFiles(spec(['*.txt']), src)), ['a.txt'], 'a link no pattern reaches is not an error');
});

void test('a symlinked file pointing outside the source directory is rejected', async () => {
  const outside = await makeTree({ 'secret.txt': 's' });
  const src = await makeTree({ 'leak.txt': { symlink: path.join(outside, 'secret.txt') } });
  assert.match(failure(await resolveArtifactFiles(spec(['**/*'], { enableSymlinks: true }), src)), /leak\.txt resolves outside/);
});

void test('a symlinked directory inside the source directory is followed without enable-symlinks, and a loop ends', async () => {
  const src = await makeTree({ 'real/a.txt': 'a', 'alias': { symlink: 'real' }, 'real/loop': { symlink: '..' } });
  assert.deepEqual(zipPaths(await resolveArtifactFiles(spec(['alias/**/*', 'real/a.txt']), src)), ['alias/a.txt', 'real/a.txt']);
});

void test('no matching file gives CLIENT_ERROR: no matching artifact paths found, as CodeBuild', async () => {
  const src = await makeTree({ 'a.txt': 'a' });
  const list = await resolveArtifactFiles(spec(['imagedefinitions.json']), src);
  assert.equal(failure(list), 'no matching artifact paths found');
  assert.ok(list.log.includes('Skipping invalid file path imagedefinitions.json'));
});

void test('a missing base-directory gives no matching base directory path found', async () => {
  const src = await makeTree({ 'a.txt': 'a' });
  assert.equal(failure(await resolveArtifactFiles(spec(['**/*'], { baseDirectory: 'cdk.out' }), src)), 'no matching base directory path found for cdk.out');
});

void test('the log lines are those CodeBuild prints', async () => {
  const src = await makeTree({ 'a.txt': 'a', 'b.txt': 'b' });
  const list = await resolveArtifactFiles(spec(['*.txt']), src);
  assert.deepEqual(list.log, [
    'Expanding base directory path: .',
    'Assembling file list',
    'Expanding .',
    'Expanding file paths for base directory .',
    'Assembling file list',
    'Expanding *.txt',
    'Found 2 file(s)',
  ]);
});

void test('enable-symlinks: yes stores a symlink inside the source directory as a link', async () => {
  const src = await makeTree({ 'lib/real.so.1': 'elf', 'lib/real.so': { symlink: 'real.so.1' } });
  const list = await resolveArtifactFiles(spec(['**/*'], { enableSymlinks: true }), src);
  assert.ok(list.ok);
  const zip = path.join(await tempDir(), 'a.zip');
  await writeArtifactZip(list.entries, zip);
  const link = (await readZip(zip)).find((entry) => entry.name === 'lib/real.so');
  assert.equal(link?.mode, ZIP_SYMLINK_MODE);
  assert.equal(link?.content, 'real.so.1');
});

void test('without enable-symlinks a symlink stores its target content', async () => {
  const src = await makeTree({ 'lib/real.so.1': 'elf', 'lib/real.so': { symlink: 'real.so.1' } });
  const list = await resolveArtifactFiles(spec(['**/*']), src);
  assert.ok(list.ok);
  const zip = path.join(await tempDir(), 'a.zip');
  await writeArtifactZip(list.entries, zip);
  const link = (await readZip(zip)).find((entry) => entry.name === 'lib/real.so');
  assert.equal(link?.content, 'elf');
  assert.equal((link?.mode ?? 0) & 0o170000, 0o100000);
});

void test('the zip keeps file modes and reports its size and sha256', async () => {
  const src = await makeTree({ 'run.sh': '#!/bin/sh\necho hi\n', 'data.txt': 'd' });
  await chmod(path.join(src, 'run.sh'), 0o755);
  await chmod(path.join(src, 'data.txt'), 0o640);
  const list = await resolveArtifactFiles(spec(['**/*']), src);
  assert.ok(list.ok);
  const zip = path.join(await tempDir(), 'a.zip');
  const written = await writeArtifactZip(list.entries, zip);
  const entries = await readZip(zip);
  assert.equal(entries.find((entry) => entry.name === 'run.sh')?.mode, 0o100755);
  assert.equal(entries.find((entry) => entry.name === 'data.txt')?.mode, 0o100640);
  assert.equal(entries.find((entry) => entry.name === 'run.sh')?.content, '#!/bin/sh\necho hi\n');
  assert.equal(written.bytes, (await stat(zip)).size);
  assert.equal(written.sha256, createHash('sha256').update(await readFile(zip)).digest('hex'));
});

void test('an unreadable file makes writeArtifactZip reject', async () => {
  const zip = path.join(await tempDir(), 'a.zip');
  await assert.rejects(writeArtifactZip([{ zipPath: 'gone.txt', absolutePath: '/nonexistent/gone.txt', readPath: '/nonexistent/gone.txt', kind: 'file' }], zip));
});
