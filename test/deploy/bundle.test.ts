// DownloadBundle with real archives: zip, tar, tgz and directory bundles, the single top-level
// directory rule, entries and links leading out refused, and malformed revisions failing clearly.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { requirement } from '../support/requirements.js';
import { appspec, deploy, newHost, statuses, tempDir, writeRevision } from './deploy-support.js';

/** Writes an archive with Python's tarfile/zipfile, which (unlike our own code) writes any name asked for. */
function python(script: string): void {
  execFileSync('python3', ['-c', script]);
}

const hasPython = requirement('python3 (writes the hostile archives)', ((): string | undefined => {
  try {
    execFileSync('python3', ['--version']);
    return undefined;
  } catch {
    return 'python3 is not installed';
  }
})());

void describe('bundle types', () => {
  void test('zip, tar and tgz bundles deploy the same revision as a directory bundle', { skip: hasPython }, async () => {
    const out = await tempDir();
    const source = await writeRevision({
      'appspec.yml': appspec('hooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n'),
      'scripts/start.sh': { script: 'cat "$(dirname "$0")/../message.txt" >> "$OUT"' },
      'message.txt': 'hello',
    });
    execFileSync('tar', ['-cf', path.join(out, 'app.tar'), '-C', source, '.']);
    execFileSync('tar', ['-czf', path.join(out, 'app.tgz'), '-C', source, '.']);
    python(`import zipfile, os
z = zipfile.ZipFile(${JSON.stringify(path.join(out, 'app.zip'))}, 'w')
for d, _, fs in os.walk(${JSON.stringify(source)}):
    for f in fs:
        full = os.path.join(d, f)
        info = zipfile.ZipInfo(os.path.relpath(full, ${JSON.stringify(source)}))
        info.external_attr = (os.stat(full).st_mode & 0o777) << 16
        z.writestr(info, open(full, 'rb').read())
z.close()`);
    process.env.OUT = path.join(out, 'started.txt');
    try {
      for (const [file, type] of [[source, 'directory'], [path.join(out, 'app.zip'), 'zip'], [path.join(out, 'app.tar'), 'tar'], [path.join(out, 'app.tgz'), 'tgz']] as const) {
        const { id, results } = await deploy(await newHost(), file, { bundle: { path: file, type } });
        assert.ok(results.every((result) => result.status !== 'Failed'), `${type}: ${JSON.stringify(results)}`);
        if (type !== 'directory') assert.ok(id.length > 0);
      }
    } finally {
      delete process.env.OUT;
    }
    assert.equal(await readFile(path.join(out, 'started.txt'), 'utf8'), 'hellohellohellohello');
  });

  void test('a tgz whose only top-level entry is a directory holding the appspec is unpacked one level up', async () => {
    const out = await tempDir();
    const parent = await tempDir();
    await writeRevision({ 'appspec.yml': appspec('hooks:\n  ValidateService:\n    - location: check.sh\n'), 'check.sh': { script: 'exit 0' } }, path.join(parent, 'my-app-1.0'));
    execFileSync('tar', ['-czf', path.join(out, 'app.tgz'), '-C', parent, 'my-app-1.0']);
    const { results } = await deploy(await newHost(), path.join(out, 'app.tgz'), { bundle: { path: path.join(out, 'app.tgz'), type: 'tgz' } });
    assert.equal(statuses(results).at(-1), 'ValidateService:Succeeded');
  });
});

void describe('hostile and malformed revisions', () => {
  const escapes = async (build: (archive: string, outside: string) => void, type: 'tar' | 'zip'): Promise<{ message: string; outside: string }> => {
    const dir = await tempDir();
    const archive = path.join(dir, `bad.${type}`);
    const outside = path.join(dir, 'outside');
    build(archive, outside);
    const host = await newHost();
    const { results, byName } = await deploy(host, archive, { bundle: { path: archive, type } });
    assert.deepEqual(statuses(results).slice(1, 3), ['DownloadBundle:Failed', 'BeforeInstall:Skipped']);
    return { message: byName('DownloadBundle').diagnostics?.message ?? '', outside };
  };

  void test('a tar entry named ../x is refused and nothing is written outside the deployment', { skip: hasPython }, async () => {
    const { outside } = await escapes((archive, target) => python(`import tarfile, io
t = tarfile.open(${JSON.stringify(archive)}, 'w')
data = b'version: 0.0\\nos: linux\\n'
i = tarfile.TarInfo('appspec.yml'); i.size = len(data); t.addfile(i, io.BytesIO(data))
i = tarfile.TarInfo(${JSON.stringify(`../../../../../../../..${target}`)}); i.size = 4; t.addfile(i, io.BytesIO(b'evil'))
t.close()`), 'tar');
    assert.equal(existsSync(outside), false);
  });

  void test('a tar link leading out, followed by a file written through it, is refused', { skip: hasPython }, async () => {
    const { message, outside } = await escapes((archive, target) => python(`import tarfile, io, os
t = tarfile.open(${JSON.stringify(archive)}, 'w')
i = tarfile.TarInfo('escape'); i.type = tarfile.SYMTYPE; i.linkname = ${JSON.stringify(path.dirname(target))}; t.addfile(i)
i = tarfile.TarInfo('escape/outside'); i.size = 4; t.addfile(i, io.BytesIO(b'evil'))
t.close()`), 'tar');
    assert.equal(existsSync(outside), false);
    assert.ok(message.length > 0);
  });

  void test('a tar hard link to a file outside the revision is refused', { skip: hasPython }, async () => {
    const { message } = await escapes((archive) => python(`import tarfile
t = tarfile.open(${JSON.stringify(archive)}, 'w')
i = tarfile.TarInfo('appspec.yml'); i.type = tarfile.LNKTYPE; i.linkname = '../../../../../../../../etc/hostname'; t.addfile(i)
t.close()`), 'tar');
    assert.match(message, /tar exited with 2/);
  });

  void test('a tgz that would unpack to more than 20 GiB (a sparse 30 GiB file) is refused before anything is written', async () => {
    const dir = await tempDir();
    const source = await writeRevision({ 'appspec.yml': appspec('') });
    execFileSync('truncate', ['-s', '30G', path.join(source, 'big')]);
    const archive = path.join(dir, 'bomb.tgz');
    execFileSync('tar', ['-cSzf', archive, '-C', source, 'appspec.yml', 'big']);
    const host = await newHost();
    const { byName, id } = await deploy(host, archive, { bundle: { path: archive, type: 'tgz' } });
    assert.match(byName('DownloadBundle').diagnostics?.message ?? '', /unpacks to more than 21474836480 bytes/);
    assert.equal(existsSync(path.join(host.deploymentRoot, 'a1b2c3d4-dg', id, 'deployment-archive', 'appspec.yml')), false);
  });

  void test('a zip entry named ../x is refused and nothing is written outside the deployment', { skip: hasPython }, async () => {
    const { message, outside } = await escapes((archive, target) => python(`import zipfile
z = zipfile.ZipFile(${JSON.stringify(archive)}, 'w')
z.writestr('appspec.yml', 'version: 0.0\\nos: linux\\n')
z.writestr(${JSON.stringify(`../../../../../../../..${target}`)}, 'evil')
z.close()`), 'zip');
    assert.equal(existsSync(outside), false);
    assert.match(message, /outside/);
  });

  void test('a directory bundle with a link leading out of the revision is refused', async () => {
    const revision = await writeRevision({ 'appspec.yml': appspec('') });
    await symlink('/etc', path.join(revision, 'etc-link'));
    const { byName } = await deploy(await newHost(), revision);
    assert.equal(byName('DownloadBundle').status, 'Failed');
    assert.match(byName('DownloadBundle').diagnostics?.message ?? '', /etc-link leads outside/);
  });

  void test('a malformed appspec fails DownloadBundle with every problem, its code and line, and installs nothing', async () => {
    const host = await newHost();
    const revision = await writeRevision({
      'appspec.yml': `version: 0.0\nos: linux\nfiles:\n  - source: ../../etc\n    destination: ${host.www}\nhooks:\n  AppStart:\n    - location: a.sh\n`,
    });
    const { results, byName } = await deploy(host, revision);
    assert.deepEqual(statuses(results).slice(1, 4), ['DownloadBundle:Failed', 'BeforeInstall:Skipped', 'Install:Skipped']);
    const message = byName('DownloadBundle').diagnostics?.message ?? '';
    assert.match(message, /appspec\.yml:4:13: SPEC_APPSPEC_PATH_ESCAPES/);
    assert.match(message, /appspec\.yml:7:3: SPEC_APPSPEC_UNKNOWN_HOOK/);
    assert.equal(existsSync(host.www), false);
  });

  void test('a revision without an appspec, a missing bundle and a bundle of the wrong type fail DownloadBundle saying which', async () => {
    const empty = await writeRevision({ 'README.md': 'no appspec here' });
    assert.match((await deploy(await newHost(), empty)).byName('DownloadBundle').diagnostics?.message ?? '', /no appspec\.yml/);
    const missing = path.join(await tempDir(), 'nothing.zip');
    assert.match((await deploy(await newHost(), missing, { bundle: { path: missing, type: 'zip' } })).byName('DownloadBundle').diagnostics?.message ?? '', /does not exist/);
    assert.match((await deploy(await newHost(), empty, { bundle: { path: empty, type: 'tgz' } })).byName('DownloadBundle').diagnostics?.message ?? '', /is not a file, but the bundle type is tgz/);
    const notGzip = path.join(await tempDir(), 'plain.tgz');
    execFileSync('sh', ['-c', `echo not an archive > ${notGzip}`]);
    assert.match((await deploy(await newHost(), notGzip, { bundle: { path: notGzip, type: 'tgz' } })).byName('DownloadBundle').diagnostics?.message ?? '', /not a readable tgz archive/);
  });
});
