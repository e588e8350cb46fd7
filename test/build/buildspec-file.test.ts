/**
 * Finding 3 of issue 7 on the local path (`nagare build`): the source's buildspec file is read
 * only where its real path stays inside the source; a link to a host file is refused by name and
 * its content never reaches the output. The compiled CLI is run as a user would run it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadBuildspec } from '../../src/build/local-build.js';
import { tempDir } from './temp-tree.js';

const SECRET = `host-only-line-${randomUUID()}: do-not-show`;
const VALID = 'version: 0.2\nphases:\n  build:\n    commands: [echo ok]\n';

async function sourceWithLinkedBuildspec(): Promise<{ source: string; hostFile: string }> {
  const host = await tempDir('nagare-host-');
  const hostFile = path.join(host, 'shadow');
  await writeFile(hostFile, `${SECRET}\n`);
  const source = await tempDir('nagare-src-');
  await symlink(hostFile, path.join(source, 'buildspec.yml'));
  return { source, hostFile };
}

test('finding 3: nagare build refuses a buildspec.yml that links to a host file, naming the buildspec', async () => {
  const { source } = await sourceWithLinkedBuildspec();
  await assert.rejects(loadBuildspec(source, undefined), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'BUILD_PATH_ESCAPES');
    assert.match(error.message, /The buildspec buildspec.yml is not read/);
    assert.ok(!error.message.includes('host-only-line'));
    return true;
  });
  // Named relative to the source, through a linked directory, it is refused the same way.
  await mkdir(path.join(source, 'ci'));
  await symlink('/etc', path.join(source, 'ci', 'etc'));
  await assert.rejects(loadBuildspec(source, 'ci/etc/passwd'), { code: 'BUILD_PATH_ESCAPES' });
});

test('a buildspec linking inside the source is followed, and one the user names outside the source is read', async () => {
  const source = await tempDir('nagare-src-');
  await mkdir(path.join(source, 'ci'));
  await writeFile(path.join(source, 'ci', 'real.yml'), VALID);
  await symlink('ci/real.yml', path.join(source, 'buildspec.yml'));
  assert.equal((await loadBuildspec(source, undefined)).spec.version, '0.2');
  const elsewhere = path.join(await tempDir('nagare-spec-'), 'buildspec.yml');
  await writeFile(elsewhere, VALID);
  assert.equal((await loadBuildspec(source, elsewhere)).location, elsewhere);
});

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const skip = existsSync(cli) ? false : 'dist/cli/main.js is missing: run npm run build';

test('finding 3: the compiled nagare build fails with BUILD_PATH_ESCAPES and never prints the linked file', { skip }, async () => {
  const { source } = await sourceWithLinkedBuildspec();
  const state = await tempDir('nagare-state-');
  const result = spawnSync(process.execPath, [cli, 'build', '-s', source, '--state-dir', state], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /BUILD_PATH_ESCAPES/);
  assert.ok(!`${result.stdout}${result.stderr}`.includes('host-only-line'), result.stdout + result.stderr);
  assert.ok(!result.stderr.includes('    at '), 'no stack trace for bad input');
});
