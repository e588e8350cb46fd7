import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, link, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { CacheSpec } from '../../src/core/buildspec.js';
import { DEFAULT_CACHE_LIMIT_BYTES, restoreCache, saveCache, safeName, type CacheContext, type ScriptOutcome } from '../../src/build/cache.js';
import { CacheStaging } from '../../src/build/cache-staging.js';
import { helperBinDir } from '../../src/build/helpers.js';
import { makeTree, tempDir } from './temp-tree.js';

const run = promisify(execFile);

function cache(paths: string[], more: Partial<CacheSpec> = {}): CacheSpec {
  return { key: undefined, fallbackKeys: [], restore: true, save: true, paths, ...more };
}

/** The build is a real `sh` child process here; the runner's own shells are tested in cache-confinement.test.ts. */
export async function runAsBuild(script: string): Promise<ScriptOutcome> {
  return run('sh', ['-c', `${script} 2>&1`]).then(
    (result) => ({ status: 0, output: result.stdout }),
    (error: { code?: number; stdout?: string }) => ({ status: error.code ?? 1, output: error.stdout ?? '' }),
  );
}

async function context(tree: Parameters<typeof makeTree>[0] = {}, projectName = 'web', cacheRoot?: string, more: Partial<CacheContext> = {}): Promise<CacheContext> {
  const staging = await CacheStaging.create(path.join(await tempDir('nagare-staging-'), 'staging'));
  return { cacheRoot: cacheRoot ?? (await tempDir('nagare-cache-')), projectName, sourceDir: await makeTree(tree), staging, limitBytes: DEFAULT_CACHE_LIMIT_BYTES, runInBuild: runAsBuild, ...more };
}

async function read(ctx: CacheContext, rel: string): Promise<string | undefined> {
  return readFile(path.join(ctx.sourceDir, rel), 'utf8').catch(() => undefined);
}

void test('without a key the project cache is saved and restored into a fresh source', async () => {
  const first = await context({ 'node_modules/a/index.js': 'a' });
  assert.equal((await saveCache(cache(['node_modules/**/*']), first)).saved, true);
  const second = await context({}, 'web', first.cacheRoot);
  const restored = await restoreCache(cache(['node_modules/**/*']), second);
  assert.equal(restored.restored, true);
  assert.equal(restored.restoredKey, undefined);
  assert.equal(await read(second, 'node_modules/a/index.js'), 'a');
});

void test('without a key each project has its own cache', async () => {
  const web = await context({ 'deps/x': 'web' }, 'web');
  await saveCache(cache(['deps']), web);
  const api = await context({}, 'api', web.cacheRoot);
  assert.equal((await restoreCache(cache(['deps']), api)).restored, false);
  assert.equal(await read(api, 'deps/x'), undefined);
});

void test('without a key the project cache is mutable: a later save replaces it', async () => {
  const ctx = await context({ 'deps/x': 'one' });
  await saveCache(cache(['deps']), ctx);
  await writeFile(path.join(ctx.sourceDir, 'deps/x'), 'two');
  await saveCache(cache(['deps']), ctx);
  const fresh = await context({}, 'web', ctx.cacheRoot);
  await restoreCache(cache(['deps']), fresh);
  assert.equal(await read(fresh, 'deps/x'), 'two');
});

void test('with a key the entry is shared across projects', async () => {
  const web = await context({ 'deps/x': 'shared' }, 'web');
  assert.equal((await saveCache(cache(['deps'], { key: 'npm-abc' }), web)).savedKey, 'npm-abc');
  const api = await context({}, 'api', web.cacheRoot);
  const restored = await restoreCache(cache(['deps'], { key: 'npm-abc' }), api);
  assert.equal(restored.restoredKey, 'npm-abc');
  assert.equal(await read(api, 'deps/x'), 'shared');
});

void test('a key entry that exists is not overwritten', async () => {
  const ctx = await context({ 'deps/x': 'first' });
  await saveCache(cache(['deps'], { key: 'k' }), ctx);
  await writeFile(path.join(ctx.sourceDir, 'deps/x'), 'second');
  const again = await saveCache(cache(['deps'], { key: 'k' }), ctx);
  assert.equal(again.saved, false);
  assert.match(again.log.join('\n'), /already exists/);
  const fresh = await context({}, 'web', ctx.cacheRoot);
  await restoreCache(cache(['deps'], { key: 'k' }), fresh);
  assert.equal(await read(fresh, 'deps/x'), 'first');
});

void test('fallback-keys are prefix matches tried in order, the newest matching entry wins', async () => {
  const ctx = await context({ 'deps/x': 'old' });
  await saveCache(cache(['deps'], { key: 'npm-111' }), ctx);
  await new Promise((resolve) => setTimeout(resolve, 5));
  await writeFile(path.join(ctx.sourceDir, 'deps/x'), 'new');
  await saveCache(cache(['deps'], { key: 'npm-222' }), ctx);
  await writeFile(path.join(ctx.sourceDir, 'deps/x'), 'other');
  await saveCache(cache(['deps'], { key: 'yarn-1' }), ctx);
  const fresh = await context({}, 'web', ctx.cacheRoot);
  const restored = await restoreCache(cache(['deps'], { key: 'npm-333', fallbackKeys: ['pnpm-', 'npm-', 'yarn-'] }), fresh);
  assert.equal(restored.restoredKey, 'npm-222');
  assert.equal(await read(fresh, 'deps/x'), 'new');
  assert.match(restored.log.join('\n'), /fallback key pnpm- matched nothing/);
});

void test('fallback-keys are ignored without a key', async () => {
  const ctx = await context({ 'deps/x': 'keyed' });
  await saveCache(cache(['deps'], { key: 'npm-1' }), ctx);
  const fresh = await context({}, 'web', ctx.cacheRoot);
  const restored = await restoreCache(cache(['deps'], { fallbackKeys: ['npm-'] }), fresh);
  assert.equal(restored.restored, false);
  assert.match(restored.log.join('\n'), /fallback-keys are ignored without a key/);
});

void test('action: restore never saves', async () => {
  const ctx = await context({ 'deps/x': 'x' });
  const result = await saveCache(cache(['deps'], { save: false }), ctx);
  assert.equal(result.saved, false);
  await assert.rejects(access(path.join(ctx.cacheRoot, 'projects')));
});

void test('action: save never restores', async () => {
  const ctx = await context({ 'deps/x': 'x' });
  await saveCache(cache(['deps']), ctx);
  const fresh = await context({}, 'web', ctx.cacheRoot);
  assert.equal((await restoreCache(cache(['deps'], { restore: false }), fresh)).restored, false);
  assert.equal(await read(fresh, 'deps/x'), undefined);
});

void test('a cache path that is a file fails with only directories can be cached locally, as a warning', async () => {
  const ctx = await context({ 'package-lock.json': '{}', 'deps/x': 'x' });
  const result = await saveCache(cache(['deps', 'package-lock.json']), ctx);
  assert.equal(result.saved, false);
  assert.match(result.log.join('\n'), /^Warning: .*package-lock\.json is a file: only directories can be cached locally/m);
});

void test('absolute cache paths are cached and restored', async () => {
  const home = await makeTree({ '.m2/repository/a.jar': 'jar' });
  const ctx = await context();
  await saveCache(cache([`${home}/.m2/**/*`]), ctx);
  await rm(path.join(home, '.m2'), { recursive: true });
  await restoreCache(cache([`${home}/.m2/**/*`]), ctx);
  assert.equal(await readFile(path.join(home, '.m2/repository/a.jar'), 'utf8'), 'jar');
});

void test('a missing cache path is skipped and a miss is logged, never an error', async () => {
  const ctx = await context({ 'deps/x': 'x' });
  const saved = await saveCache(cache(['deps', 'not-there']), ctx);
  assert.equal(saved.saved, true);
  assert.match(saved.log.join('\n'), /not-there does not exist/);
  const miss = await restoreCache(cache(['deps'], { key: 'never-saved' }), await context());
  assert.equal(miss.restored, false);
  assert.match(miss.log.join('\n'), /Cache miss for key never-saved/);
});

void test('a save leaves no entry behind when it fails part-way (atomic save)', async () => {
  // `deps` is copied into the staging directory before `file` fails the save.
  const ctx = await context({ 'deps/ok': 'x', 'file': 'f' });
  const result = await saveCache(cache(['deps', 'file'], { key: 'k' }), ctx);
  assert.equal(result.saved, false);
  assert.deepEqual(await readdir(path.join(ctx.cacheRoot, 'tmp')), [], 'the staging directory is removed');
  await assert.rejects(access(path.join(ctx.cacheRoot, 'keys', 'k')));
});

void test('keys with slashes, dots and spaces become safe directory names', () => {
  assert.equal(safeName('npm/../x y'), 'npm%2F%2E%2E%2Fx%20y');
  assert.equal(safeName('..'), '%2E%2E');
  assert.ok(safeName('k'.repeat(500)).length < 255);
});

void test('codebuild-hash-files is stable, sorted by path and changes with content and names', async () => {
  const src = await makeTree({ 'package-lock.json': 'lock', 'src/a.js': 'a', 'src/sub/b.js': 'b' });
  const script = path.join(helperBinDir(), 'codebuild-hash-files');
  const hash = async (...args: string[]) => (await run('sh', [script, ...args], { cwd: src })).stdout.trim();
  const first = await hash('package-lock.json', 'src/**/*.js');
  assert.match(first, /^[0-9a-f]{64}$/);
  assert.equal(await hash('src/**/*.js', 'package-lock.json'), first, 'argument order does not matter');
  await writeFile(path.join(src, 'src/sub/b.js'), 'B');
  assert.notEqual(await hash('package-lock.json', 'src/**/*.js'), first);
  await writeFile(path.join(src, 'src/sub/b.js'), 'b');
  assert.equal(await hash('package-lock.json', 'src/**/*.js'), first);
  await run('mv', [path.join(src, 'src/sub/b.js'), path.join(src, 'src/sub/c.js')]);
  assert.notEqual(await hash('package-lock.json', 'src/**/*.js'), first, 'the path is part of the hash');
});

for (const shell of ['dash', 'busybox']) {
  void test(`codebuild-hash-files runs in ${shell} sh`, async (t) => {
    const found = await run('sh', ['-c', `command -v ${shell}`]).catch(() => undefined);
    if (!found) return t.skip(`${shell} is not installed`);
    const program = found.stdout.trim();
    const src = await makeTree({ 'a.txt': 'a', 'd/b.txt': 'b' });
    const script = path.join(helperBinDir(), 'codebuild-hash-files');
    const argv = shell === 'busybox' ? ['sh', script] : [script];
    // Under busybox, the tools the script calls are busybox's too.
    const env = shell === 'busybox' ? { PATH: await busyboxPath(), TMPDIR: src } : process.env;
    const out = await run(program, [...argv, 'a.txt', '**/*.txt'], { cwd: src, env });
    const reference = await run('sh', [script, 'a.txt', '**/*.txt'], { cwd: src });
    assert.equal(out.stdout, reference.stdout);
  });
}

async function busyboxPath(): Promise<string> {
  const dir = await tempDir('nagare-busybox-');
  const busybox = (await run('sh', ['-c', 'command -v busybox'])).stdout.trim();
  for (const tool of ['sh', 'find', 'sed', 'sort', 'sha256sum', 'wc', 'mktemp', 'rm', 'cat']) await symlink(busybox, path.join(dir, tool));
  return dir;
}

void test('finding 2: a link the build plants in place of its archive is never followed on save', async () => {
  const secret = await makeTree({ 'secret/key': 'host secret' });
  await run('tar', ['-cf', path.join(secret, 'secret.tar'), '-C', path.join(secret, 'secret'), '.']);
  for (const plant of [symlink, link]) {
    const ctx = await context({ 'deps/x': 'x' });
    const runInBuild = async (script: string): Promise<ScriptOutcome> => {
      const outcome = await runAsBuild(script);
      const archive = path.join(ctx.staging.dir, 'save-0.tar');
      await rm(archive);
      await plant(path.join(secret, 'secret.tar'), archive);
      return outcome;
    };
    const result = await saveCache(cache(['deps']), { ...ctx, runInBuild });
    assert.equal(result.saved, false, plant.name);
    assert.match(result.log.join('\n'), plant === symlink ? /^Warning: unable to save the cache: .*ELOOP/m : /^Warning: unable to save the cache: save-0.tar in the staging directory has other links/m);
    await assert.rejects(access(path.join(ctx.cacheRoot, 'projects')), 'nothing of the host file reached the cache');
  }
});

void test('finding 2: a link the build plants where an archive is to be restored is never followed', async () => {
  const first = await context({ 'deps/x': 'x' });
  await saveCache(cache(['deps']), first);
  const victim = path.join(await tempDir('nagare-victim-'), 'written-by-the-agent');
  const ctx = await context({}, 'web', first.cacheRoot);
  // Build code runs before the restore (a key's `$(…)`), so it can plant names in the staging directory.
  await symlink(victim, path.join(ctx.staging.dir, 'restore-0.tar'));
  const result = await restoreCache(cache(['deps']), ctx);
  assert.equal(result.restored, false);
  assert.match(result.log.join('\n'), /^Warning: unable to restore the cache: .*EEXIST/m);
  await assert.rejects(access(victim), 'the agent did not write through the link');
});

void test('a cache save larger than the limit is skipped with a warning', async () => {
  const ctx = await context({ 'deps/big': 'x'.repeat(50_000) }, 'web', undefined, { limitBytes: 20_000 });
  const result = await saveCache(cache(['deps']), ctx);
  assert.equal(result.saved, false);
  assert.match(result.log.join('\n'), /^Warning: unable to save the cache: the cache is larger than the limit/m);
  await assert.rejects(access(path.join(ctx.cacheRoot, 'projects')));
});

void test('an entry of the older layout (data/<n>/ directories) is a miss, not an error', async () => {
  const ctx = await context();
  const entry = path.join(ctx.cacheRoot, 'projects', 'web');
  await makeTree({ 'entry.json': JSON.stringify({ key: undefined, projectName: 'web', createdAt: 1, paths: [{ path: 'deps', dir: '0' }] }), 'data/0/x': 'x' }, entry);
  const restored = await restoreCache(cache(['deps']), ctx);
  assert.equal(restored.restored, false);
  assert.match(restored.log.join('\n'), /No cache saved yet for project web/);
});

void test('finding 2: a staging directory the build replaced with a link is refused', async () => {
  const elsewhere = await makeTree({ 'save-0.tar': 'not the build archive' });
  const ctx = await context({ 'deps/x': 'x' });
  const runInBuild = async (script: string): Promise<ScriptOutcome> => {
    const outcome = await runAsBuild(script);
    await rename(ctx.staging.dir, `${ctx.staging.dir}.moved`);
    await symlink(elsewhere, ctx.staging.dir);
    return outcome;
  };
  const result = await saveCache(cache(['deps']), { ...ctx, runInBuild });
  assert.equal(result.saved, false);
  assert.match(result.log.join('\n'), /^Warning: unable to save the cache: the staging directory was replaced/m);
  assert.deepEqual((await readdir(elsewhere)).sort(), ['save-0.tar'], 'nothing was removed through the link');
});
