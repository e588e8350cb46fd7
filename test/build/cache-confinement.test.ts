/**
 * Issue 7, finding 2: cache paths were resolved and copied on the host with the agent's rights,
 * so an absolute path, `..` or a committed symlinked directory made a build read and write host
 * directories. These tests replay that attack through the real runner on both executors: the
 * build's cache paths must mean what they mean to the build (in its container, with its user's
 * rights), and the host directories must stay as they were.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { Executor } from '../../src/core/executor.js';
import { DockerExecutor } from '../../src/executors/docker-executor.js';
import { ShellExecutor } from '../../src/executors/shell-executor.js';
import { buildUserMissing, dockerImageMissing, requirement } from '../support/requirements.js';
import { hostEnvironment, outputLines, runBuildspec, type RunResult } from './run-buildspec.js';
import { tempDir } from './temp-tree.js';

const run = promisify(execFile);
const IMAGE = 'nagare/base:test';
const BUILD_USER = 'nagare-test';
const SECRET = 'host secret of finding 2';

const dockerSkip = requirement('a Docker engine and nagare/base:test', await dockerImageMissing(IMAGE));
const shellSkip = requirement(`root, to run shell builds as ${BUILD_USER}`, buildUserMissing(BUILD_USER));

const docker = (): Executor => new DockerExecutor({ image: IMAGE });
const shell = (): Executor => new ShellExecutor({ hostEnvironment: hostEnvironment() });

/** Every file under `dir` as one string, to look for bytes that must not have been cached. */
async function everything(dir: string): Promise<string> {
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  const contents = await Promise.all(names.map((name) => readFile(path.join(dir, name)).then((b) => b.toString('latin1'), () => '')));
  return contents.join('\n');
}

async function listing(dir: string): Promise<string[]> {
  return ((await readdir(dir, { recursive: true }).catch(() => [])) as string[]).sort();
}

/** A host directory only root can write, holding a file only root can read. */
async function rootOnlyDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'secret.txt'), SECRET, { mode: 0o600 });
  await chmod(dir, 0o755);
  return dir;
}

/** A source directory the build user owns, committed to git with whatever links it holds. */
async function source(dir: string, files: Record<string, string | { symlink: string }> = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    if (typeof content === 'string') await writeFile(path.join(dir, name), content);
    else await symlink(content.symlink, path.join(dir, name));
  }
  await run('git', ['init', '-q', dir]);
  await run('git', ['-C', dir, 'add', '-A']);
  await run('git', ['-C', dir, '-c', 'user.name=attacker', '-c', 'user.email=a@example.com', 'commit', '-qm', 'cache paths', '--allow-empty']);
  await chmod(dir, 0o777);
  return dir;
}

/** Temporary directories a build user can reach (mkdtemp makes them 0700). */
async function reachableTemp(): Promise<string> {
  const dir = await tempDir('nagare-finding2-');
  await chmod(dir, 0o755);
  return dir;
}

function buildspec(paths: readonly string[], commands: readonly string[], runAs?: string): string {
  return [
    'version: 0.2',
    ...(runAs ? [`run-as: ${runAs}`] : []),
    'phases:',
    '  build:',
    '    commands:',
    ...commands.map((command) => `      - ${JSON.stringify(command)}`),
    'cache:',
    '  paths:',
    ...paths.map((p) => `    - ${JSON.stringify(p)}`),
  ].join('\n');
}

function output(result: RunResult): string {
  return outputLines(result.log).join('\n');
}

void test('finding 2: an absolute /root/.m2-style cache path of a Docker build is saved and restored inside the container, never on the host', { skip: dockerSkip }, async () => {
  const root = await reachableTemp();
  const m2 = path.join(root, 'm2');
  await rootOnlyDir(m2);
  const stateDir = await tempDir('nagare-state-');
  const first = await runBuildspec(buildspec([`${m2}/**/*`], [`mkdir -p ${m2} && echo from-container > ${m2}/dep.jar`]), { executor: docker(), stateDir });
  assert.equal(first.record.buildStatus, 'SUCCEEDED');
  assert.match(first.log, /Saved 1 path\(s\) to the cache/);
  assert.deepEqual(await listing(m2), ['secret.txt'], 'the save read the container path, and nothing was written on the host');
  assert.ok(!(await everything(path.join(stateDir, 'cache'))).includes(SECRET), 'the host file is not in the cache');

  const second = await runBuildspec(buildspec([`${m2}/**/*`], [`cat ${m2}/dep.jar; ls ${m2}`]), { executor: docker(), stateDir });
  assert.match(second.log, /Restored .*m2 from the cache/);
  assert.deepEqual(outputLines(second.log).filter((line) => !line.startsWith('[')), ['from-container', 'dep.jar']);
  assert.deepEqual(await listing(m2), ['secret.txt'], 'the restore wrote inside the container only');
  assert.equal(await readFile(path.join(m2, 'secret.txt'), 'utf8'), SECRET);
});

void test('finding 2: `../outside` and a committed symlinked directory in a Docker build never reach the host directories', { skip: dockerSkip }, async () => {
  const root = await reachableTemp();
  const outside = await rootOnlyDir(path.join(root, 'outside'));
  const linked = await rootOnlyDir(path.join(root, 'linked'));
  const src = await source(path.join(root, 'src'), { 'vendor': { symlink: linked } });
  const stateDir = await tempDir('nagare-state-');
  const paths = ['../outside', 'vendor/cache'];
  // In the container the link's target does not exist until the build makes it.
  const make = 'mkdir -p ../outside $(readlink vendor)/cache && echo c > ../outside/c.txt && echo v > vendor/cache/v.txt';
  const first = await runBuildspec(buildspec(paths, [make]), { executor: docker(), stateDir, sourceDir: src });
  assert.match(first.log, /Saved 2 path\(s\) to the cache/);
  assert.ok(!(await everything(path.join(stateDir, 'cache'))).includes(SECRET), 'no host file was read into the cache');

  const fresh = await source(path.join(root, 'src2'), { 'vendor': { symlink: linked } });
  const second = await runBuildspec(buildspec(paths, ['cat ../outside/c.txt vendor/cache/v.txt']), { executor: docker(), stateDir, sourceDir: fresh });
  assert.match(second.log, /Restored \.\.\/outside from the cache/);
  assert.match(output(second), /^c$/m, 'the build sees its cache inside its container');
  // In a fresh container the committed link leads nowhere, as it would for the build itself.
  assert.match(second.log, /Warning: unable to restore the cache: cannot unpack vendor\/cache as the build \(exit status 1: mkdir: .*vendor/);
  assert.deepEqual(await listing(outside), ['secret.txt'], 'nothing was written next to the source on the host');
  assert.deepEqual(await listing(linked), ['secret.txt'], 'nothing was written through the committed link on the host');
});

void test('finding 2: a relative cache path round-trips in a Docker build run as an unprivileged user', { skip: dockerSkip }, async () => {
  const stateDir = await tempDir('nagare-state-');
  const root = await reachableTemp();
  const src = await source(path.join(root, 'src'));
  const first = await runBuildspec(buildspec(['node_modules/**/*'], ['mkdir -p node_modules/a && echo a > node_modules/a/index.js'], BUILD_USER), { executor: docker(), stateDir, sourceDir: src });
  assert.match(first.log, /Saved 1 path\(s\) to the cache/);
  const again = await source(path.join(root, 'again'));
  const second = await runBuildspec(buildspec(['node_modules/**/*'], ['cat node_modules/a/index.js; stat -c %U node_modules/a/index.js'], BUILD_USER), { executor: docker(), stateDir, sourceDir: again });
  assert.match(second.log, /Restored node_modules from the cache/);
  assert.match(output(second), /^a\nnagare-test$/m);
});

void test('finding 2: an absolute cache path of a shell build is read and written with the build user\'s rights', { skip: shellSkip }, async () => {
  const root = await reachableTemp();
  const m2 = await rootOnlyDir(path.join(root, 'm2'));
  const stateDir = await tempDir('nagare-state-');
  const src = await source(path.join(root, 'src'));
  const spec = (commands: string[]): string => buildspec([`${m2}/**/*`], commands, BUILD_USER);

  const refused = await runBuildspec(spec(['true']), { executor: shell(), stateDir, sourceDir: src });
  assert.match(refused.log, /Warning: unable to save the cache: cannot pack .*m2 as the build/);
  assert.ok(!(await everything(path.join(stateDir, 'cache'))).includes(SECRET), 'a file the build user cannot read is not cached');

  // A cache entry for that path, saved while the build user could write there …
  const { uid, gid } = await userIds(BUILD_USER);
  await rm(path.join(m2, 'secret.txt'));
  await chown(m2, uid, gid);
  const planted = await runBuildspec(spec([`echo planted > ${m2}/planted.txt`]), { executor: shell(), stateDir, sourceDir: src });
  assert.match(planted.log, /Saved 1 path\(s\) to the cache/);
  // … is not restored once the directory is root's again.
  await rm(path.join(m2, 'planted.txt'));
  await chown(m2, 0, 0);
  const restored = await runBuildspec(spec(['true']), { executor: shell(), stateDir, sourceDir: src });
  assert.match(restored.log, /Warning: unable to restore the cache: cannot unpack .*m2 as the build/);
  assert.deepEqual(await listing(m2), [], 'the restore did not write into a directory the build user cannot write');
});

void test('finding 2: `../outside` and a committed symlinked directory in a shell build are read and written with the build user\'s rights', { skip: shellSkip }, async () => {
  const stateDir = await tempDir('nagare-state-');
  const paths = ['../outside', 'vendor/cache'];
  // First a project whose `../outside` and `vendor` are the build user's own: it saves an entry.
  const own = await reachableTemp();
  const ownSrc = await source(path.join(own, 'src'));
  await mkdir(path.join(ownSrc, 'vendor'));
  await chmod(path.join(ownSrc, 'vendor'), 0o777);
  await mkdir(path.join(own, 'outside'), { mode: 0o777 });
  await chmod(path.join(own, 'outside'), 0o777);
  const make = 'mkdir -p vendor/cache && echo c > ../outside/c.txt && echo v > vendor/cache/v.txt';
  const first = await runBuildspec(buildspec(paths, [make], BUILD_USER), { executor: shell(), stateDir, sourceDir: ownSrc });
  assert.match(first.log, /Saved 2 path\(s\) to the cache/);

  // Then the attack: the same paths lead to root's directories on the host.
  const root = await reachableTemp();
  const outside = await rootOnlyDir(path.join(root, 'outside'));
  const linked = await rootOnlyDir(path.join(root, 'linked'));
  await mkdir(path.join(linked, 'cache'));
  await writeFile(path.join(linked, 'cache', 'secret.txt'), SECRET, { mode: 0o600 });
  const src = await source(path.join(root, 'src'), { 'vendor': { symlink: linked } });
  for (const attacked of paths) {
    const attack = await runBuildspec(buildspec([attacked], ['true'], BUILD_USER), { executor: shell(), stateDir, sourceDir: src });
    assert.match(attack.log, new RegExp(`Warning: unable to restore the cache: cannot unpack ${attacked.replaceAll('.', '\\.')} as the build`));
    assert.match(attack.log, new RegExp(`Warning: unable to save the cache: cannot pack ${attacked.replaceAll('.', '\\.')} as the build`));
  }
  assert.deepEqual(await listing(outside), ['secret.txt'], 'nothing was written next to the source');
  assert.deepEqual(await listing(linked), ['cache', 'cache/secret.txt', 'secret.txt'], 'nothing was written through the committed link');
  assert.ok(!(await everything(path.join(stateDir, 'cache'))).includes(SECRET), 'no file the build user cannot read was cached');
});

async function userIds(user: string): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string): Promise<number> => Number((await run('id', [flag, user])).stdout.trim());
  return { uid: await id('-u'), gid: await id('-g') };
}
