// The Install event with real files: the files rules, the cleanup file of the previous install,
// file_exists_behavior, conflicting destinations, permissions and the five kept revisions.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { requirement } from '../support/requirements.js';
import { appspec, deploy, newHost, statuses, writeRevision } from './deploy-support.js';

function commandMissing(command: string): string | undefined {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`]);
    return undefined;
  } catch {
    return `${command} is not installed`;
  }
}

const modeOf = async (file: string): Promise<number> => (await stat(file)).mode & 0o7777;

void describe('files', () => {
  void test('a file source goes to <destination>/<name>, a directory source\'s contents into destination, missing ancestors created', async () => {
    const host = await newHost();
    const revision = await writeRevision({
      'appspec.yml': appspec(`files:\n  - source: bin/tool\n    destination: ${host.www}/deep/bin\n  - source: /site/\n    destination: ${host.www}/html\n`),
      'bin/tool': { script: 'echo tool' },
      'site/index.html': '<h1>v1</h1>',
      'site/css/app.css': 'body{}',
    });
    const { byName } = await deploy(host, revision);
    assert.equal(byName('Install').status, 'Succeeded');
    assert.equal(await readFile(path.join(host.www, 'deep/bin/tool'), 'utf8'), '#!/bin/sh\necho tool\n');
    assert.equal(await modeOf(path.join(host.www, 'deep/bin/tool')), 0o755, 'modes are kept');
    assert.equal(await readFile(path.join(host.www, 'html/index.html'), 'utf8'), '<h1>v1</h1>');
    assert.equal(await readFile(path.join(host.www, 'html/css/app.css'), 'utf8'), 'body{}');
    assert.equal(existsSync(path.join(host.www, 'html/site')), false, 'the directory itself is not recreated');
  });

  void test('source / installs the whole revision, appspec.yml included', async () => {
    const host = await newHost();
    const revision = await writeRevision({ 'appspec.yml': appspec(`files:\n  - source: /\n    destination: ${host.www}\n`), 'a.txt': 'a' });
    await deploy(host, revision);
    assert.deepEqual((await readdir(host.www)).sort(), ['a.txt', 'appspec.yml']);
  });

  void test('the next Install first removes the files the previous Install created (its cleanup file), so a file dropped from the revision disappears', async () => {
    const host = await newHost();
    const spec = appspec(`files:\n  - source: site\n    destination: ${host.www}\n`);
    await deploy(host, await writeRevision({ 'appspec.yml': spec, 'site/old.html': 'old', 'site/keep.html': 'v1', 'site/gone/x.txt': 'x' }));
    await writeFile(path.join(host.www, 'user-upload.txt'), 'not ours');
    const second = await deploy(host, await writeRevision({ 'appspec.yml': spec, 'site/keep.html': 'v2' }));
    assert.equal(second.byName('Install').status, 'Succeeded', 'redeploying over our own files is not a DISALLOW conflict');
    assert.deepEqual((await readdir(host.www)).sort(), ['keep.html', 'user-upload.txt'], 'files and empty dirs of the last install removed, files we did not install kept');
    assert.equal(await readFile(path.join(host.www, 'keep.html'), 'utf8'), 'v2');
    const cleanup = await readFile(path.join(host.deploymentRoot, 'deployment-instructions', 'a1b2c3d4-dg-cleanup'), 'utf8');
    assert.deepEqual(cleanup.trim().split('\n'), [path.join(host.www, 'keep.html')]);
  });

  void test('DISALLOW fails the Install on a destination file the last deployment did not install, and changes nothing', async () => {
    const host = await newHost();
    await mkdir(host.www, { recursive: true });
    await writeFile(path.join(host.www, 'index.html'), 'hand-made');
    const revision = await writeRevision({ 'appspec.yml': appspec(`files:\n  - source: site\n    destination: ${host.www}\n`), 'site/index.html': 'deployed', 'site/other.html': 'other' });
    const { byName } = await deploy(host, revision);
    assert.equal(byName('Install').status, 'Failed');
    assert.match(byName('Install').diagnostics?.message ?? '', /a specified file already exists at this location: .*index\.html/);
    assert.equal(await readFile(path.join(host.www, 'index.html'), 'utf8'), 'hand-made');
    assert.equal(existsSync(path.join(host.www, 'other.html')), false, 'nothing is copied when the check fails');
  });

  void test('OVERWRITE replaces an existing file, RETAIN keeps it; the appspec\'s file_exists_behavior wins over the deployment\'s', async () => {
    const cases = [
      { deployment: 'OVERWRITE', appspecSays: '', expected: 'deployed' },
      { deployment: 'RETAIN', appspecSays: '', expected: 'hand-made' },
      { deployment: 'DISALLOW', appspecSays: 'file_exists_behavior: OVERWRITE\n', expected: 'deployed' },
      { deployment: 'OVERWRITE', appspecSays: 'file_exists_behavior: RETAIN\n', expected: 'hand-made' },
    ] as const;
    for (const { deployment, appspecSays, expected } of cases) {
      const host = await newHost();
      await mkdir(host.www, { recursive: true });
      await writeFile(path.join(host.www, 'index.html'), 'hand-made');
      const revision = await writeRevision({ 'appspec.yml': appspec(`${appspecSays}files:\n  - source: site\n    destination: ${host.www}\n`), 'site/index.html': 'deployed' });
      const { byName } = await deploy(host, revision, { fileExistsBehavior: deployment });
      assert.equal(byName('Install').status, 'Succeeded', `${deployment} ${appspecSays}`);
      assert.equal(await readFile(path.join(host.www, 'index.html'), 'utf8'), expected, `${deployment} ${appspecSays}`);
    }
  });

  void test('two sources installing the same destination file fail the Install with both named', async () => {
    const host = await newHost();
    const revision = await writeRevision({
      'appspec.yml': appspec(`files:\n  - source: a/config.json\n    destination: ${host.www}\n  - source: b/config.json\n    destination: ${host.www}\n`),
      'a/config.json': '{}',
      'b/config.json': '{}',
    });
    const { byName } = await deploy(host, revision);
    assert.equal(byName('Install').status, 'Failed');
    assert.match(byName('Install').diagnostics?.message ?? '', /installs two files at .*config\.json \(from a\/config\.json and b\/config\.json\)/);
  });

  void test('a files source missing from the revision fails the Install clearly', async () => {
    const host = await newHost();
    const { byName } = await deploy(host, await writeRevision({ 'appspec.yml': appspec(`files:\n  - source: target/app.war\n    destination: ${host.www}\n`) }));
    assert.match(byName('Install').diagnostics?.message ?? '', /files source target\/app\.war does not exist in the revision/);
  });
});

void describe('permissions', () => {
  void test('mode applies to the installed files matching pattern and type, minus except; files not installed by this deployment keep theirs', async () => {
    const host = await newHost();
    await mkdir(host.www, { recursive: true });
    await writeFile(path.join(host.www, 'foreign.sh'), '', { mode: 0o644 });
    const revision = await writeRevision({
      'appspec.yml': appspec(`files:\n  - source: site\n    destination: ${host.www}\npermissions:\n  - object: ${host.www}\n    pattern: "*.sh"\n    except: [skip.sh]\n    mode: 700\n    type: [file]\n  - object: ${host.www}/private\n    mode: "0750"\n    type: [directory]\n`),
      'site/run.sh': 'x', 'site/skip.sh': 'x', 'site/index.html': 'x', 'site/private/sub/deep.sh': 'x',
    });
    const { byName } = await deploy(host, revision, { fileExistsBehavior: 'RETAIN' });
    assert.equal(byName('Install').status, 'Succeeded', byName('Install').diagnostics?.message);
    assert.equal(await modeOf(path.join(host.www, 'run.sh')), 0o700);
    assert.equal(await modeOf(path.join(host.www, 'skip.sh')), 0o644, 'except');
    assert.equal(await modeOf(path.join(host.www, 'index.html')), 0o644, 'pattern');
    assert.equal(await modeOf(path.join(host.www, 'foreign.sh')), 0o644, 'not installed by this deployment');
    assert.equal(await modeOf(path.join(host.www, 'private/sub')), 0o750, 'directories under the object');
    assert.equal(await modeOf(path.join(host.www, 'private/sub/deep.sh')), 0o644, 'a pattern other than ** matches direct children only');
  });

  void test('owner and group are applied to the installed objects', { skip: process.getuid?.() === 0 ? false : 'chown needs root' }, async () => {
    const host = await newHost();
    const revision = await writeRevision({
      'appspec.yml': appspec(`files:\n  - source: site\n    destination: ${host.www}\npermissions:\n  - object: ${host.www}\n    owner: nobody\n    group: nogroup\n`),
      'site/index.html': 'x',
    });
    const { byName } = await deploy(host, revision);
    assert.equal(byName('Install').status, 'Succeeded', byName('Install').diagnostics?.message);
    const info = await stat(path.join(host.www, 'index.html'));
    assert.equal(info.uid, Number(execFileSync('id', ['-u', 'nobody']).toString().trim()));
    assert.equal(info.gid, Number(execFileSync('getent', ['group', 'nogroup']).toString().split(':')[2]));
  });

  void test('acls are set with setfacl on the installed objects; a default ACL goes to directories only', { skip: requirement('setfacl (Debian package acl)', commandMissing('setfacl')) }, async () => {
    const host = await newHost();
    const revision = await writeRevision({
      'appspec.yml': appspec(`files:\n  - source: site\n    destination: ${host.www}\npermissions:\n  - object: ${host.www}\n    acls:\n      - u:nobody:rw\n    type: [file]\n  - object: ${host.www}/assets\n    acls:\n      - d:u:nobody:r\n    type: [directory]\n`),
      'site/index.html': 'x', 'site/assets/img/logo.svg': '<svg/>',
    });
    const { byName } = await deploy(host, revision);
    assert.equal(byName('Install').status, 'Succeeded', byName('Install').diagnostics?.message);
    assert.match(execFileSync('getfacl', ['-p', path.join(host.www, 'index.html')]).toString(), /^user:nobody:rw-$/m);
    assert.match(execFileSync('getfacl', ['-p', path.join(host.www, 'assets/img')]).toString(), /^default:user:nobody:r--$/m);
  });

  void test('an unknown owner, or an SELinux context on a host without SELinux, fails the Install saying so (what it copied stays recorded for the next Install)', async () => {
    const host = await newHost();
    const withPermission = (line: string): Promise<string> => writeRevision({
      'appspec.yml': appspec(`files:\n  - source: site\n    destination: ${host.www}\npermissions:\n  - object: ${host.www}\n${line}`),
      'site/index.html': 'x',
    });
    const unknownUser = await deploy(host, await withPermission('    owner: no-such-user-here\n'));
    assert.match(unknownUser.byName('Install').diagnostics?.message ?? '', /user no-such-user-here .* does not exist on this host/);
    if (!existsSync('/sys/fs/selinux/enforce')) {
      const context = await deploy(host, await withPermission('    context:\n      type: httpd_sys_content_t\n'));
      assert.match(context.byName('Install').diagnostics?.message ?? '', /SELinux is not enabled on this host/);
    }
  });
});

void describe('revisions kept', () => {
  void test('at most five deployment directories are kept per group, and the last successful one is never deleted', async () => {
    const host = await newHost();
    const good = await deploy(host, await writeRevision({ 'appspec.yml': appspec('') }));
    const failing = await writeRevision({ 'appspec.yml': appspec('hooks:\n  BeforeInstall:\n    - location: no.sh\n'), 'no.sh': { script: 'exit 1' } });
    const later: string[] = [];
    for (let round = 0; round < 6; round += 1) {
      const { id, results } = await deploy(host, failing);
      assert.equal(statuses(results)[2], 'BeforeInstall:Failed');
      later.push(id);
      await new Promise((resolve) => setTimeout(resolve, 15)); // distinct modification times
    }
    const kept = (await readdir(path.join(host.deploymentRoot, 'a1b2c3d4-dg'))).sort();
    assert.equal(kept.length, 5);
    assert.ok(kept.includes(good.id), 'the last successful install stays');
    assert.deepEqual(kept.filter((id) => id !== good.id), later.slice(-4), 'the newest others stay');
  });
});
