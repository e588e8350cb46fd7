/**
 * `nagare deploy local` as a user runs it: the compiled CLI in a child process. Live event lines,
 * exit codes (0 Succeeded, 1 Failed, 2 bad flags), --json on stdout only, --events, --help.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const skip = existsSync(cli) ? false : 'dist/cli/main.js is missing: run npm run build';

function nagare(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function revision(startScript: string): Promise<{ bundle: string; root: string; out: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nagare-deploy-cli-'));
  const bundle = path.join(dir, 'revision');
  await mkdir(path.join(bundle, 'scripts'), { recursive: true });
  await writeFile(path.join(bundle, 'appspec.yml'), 'version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 30\n');
  await writeFile(path.join(bundle, 'scripts/start.sh'), `#!/bin/sh\n${startScript}\n`);
  await chmod(path.join(bundle, 'scripts/start.sh'), 0o755);
  return { bundle, root: path.join(dir, 'deployment-root'), out: path.join(dir, 'out.txt') };
}

test('nagare deploy local runs the appspec, prints each lifecycle event and exits 0 when it succeeds', { skip }, async () => {
  const { bundle, root, out } = await revision('echo "$APPLICATION_NAME $DEPLOYMENT_GROUP_NAME $DEPLOYMENT_ID" > "$(dirname "$0")/../../../../../out.txt"');
  const result = nagare(['deploy', 'local', '--bundle-location', bundle, '--deployment-root', root, '--application-name', 'Shop']);
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /^ {2}ApplicationStop\s+Skipped\s+\d+\.\ds$/m);
  assert.match(result.stdout, /^ {2}ApplicationStart\s+Succeeded\s+\d+\.\ds$/m);
  assert.match(result.stdout, /Deployment d-[A-Z0-9]{9}-local Succeeded/);
  assert.match(await readFile(out, 'utf8'), /^Shop LocalFleet d-[A-Z0-9]{9}-local\n$/);
  assert.ok(!result.stdout.includes('\u001b['), 'NO_COLOR: no escape codes');
});

test('nagare deploy local exits 1 when an event fails and shows the reason with the end of scripts.log', { skip }, async () => {
  const { bundle, root } = await revision('echo cannot bind port 80 >&2; exit 4');
  const result = nagare(['deploy', 'local', '-l', bundle, '--deployment-root', root]);
  assert.equal(result.status, 1);
  assert.match(result.stdout, /ApplicationStart\s+Failed/);
  assert.match(result.stdout, /ScriptFailed: Script at specified location: scripts\/start\.sh failed with exit code 4/);
  assert.match(result.stdout, /\| \S+ \S+ \[stderr\]cannot bind port 80/);
  assert.match(result.stdout, /ValidateService\s+Skipped/);
});

test('nagare deploy local --json prints the deployment on stdout and the progress on stderr; --events picks events', { skip }, async () => {
  const { bundle, root } = await revision('exit 0');
  const result = nagare(['deploy', 'local', '-l', bundle, '--deployment-root', root, '--events', 'ApplicationStart', '--json']);
  assert.equal(result.status, 0, result.stderr);
  const record = JSON.parse(result.stdout) as { status: string; deploymentGroupId: string; lifecycleEvents: { name: string; status: string }[] };
  assert.equal(record.status, 'Succeeded');
  assert.equal(record.deploymentGroupId, 'default-local-deployment-group');
  assert.deepEqual(record.lifecycleEvents.map((event) => event.name), ['DownloadBundle', 'Install', 'ApplicationStart'], 'DownloadBundle and Install are always run');
  assert.match(result.stderr, /ApplicationStart\s+Succeeded/);
});

test('nagare deploy local refuses bad flags with exit 2 before touching anything', { skip }, async () => {
  const { bundle, root } = await revision('exit 0');
  const badType = nagare(['deploy', 'local', '-l', bundle, '--deployment-root', root, '--type', 'rar']);
  assert.equal(badType.status, 2);
  assert.match(badType.stderr, /CONFIG_INVALID --type must be one of zip, tar, tgz, directory/);
  const badEvent = nagare(['deploy', 'local', '-l', bundle, '--deployment-root', root, '--events', 'Deploy']);
  assert.equal(badEvent.status, 2);
  assert.match(badEvent.stderr, /--events names Deploy, which is not a lifecycle event/);
  const badGroup = nagare(['deploy', 'local', '-l', bundle, '--deployment-root', root, '-g', '../../etc']);
  assert.equal(badGroup.status, 2);
  assert.equal(existsSync(root), false);
  const help = nagare(['deploy', 'local', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--bundle-location/);
  assert.match(help.stdout, /Exit status: 0 Succeeded, 1 Failed/);
});

test('the README example (examples/hello-appspec) deploys as a directory and as a tgz, ApplicationStop running the first time\'s script the second time', { skip }, async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'nagare-hello-root-'));
  const example = fileURLToPath(new URL('../../examples/hello-appspec', import.meta.url));
  // OVERWRITE: the example installs to a fixed /tmp path that a reader may have deployed to already.
  const first = nagare(['deploy', 'local', '-l', example, '--deployment-root', root, '--application-name', 'Hello', '-b', 'OVERWRITE']);
  assert.equal(first.status, 0, first.stdout + first.stderr);
  assert.match(await readFile('/tmp/nagare-hello/deployment.txt', 'utf8'), /^APPLICATION_NAME=Hello DEPLOYMENT_GROUP_NAME=LocalFleet DEPLOYMENT_ID=d-[A-Z0-9]{9}-local\n$/);
  const tgz = path.join(root, 'hello.tgz');
  spawnSync('tar', ['-czf', tgz, '-C', example, '.']);
  const second = nagare(['deploy', 'local', '-l', tgz, '-t', 'tgz', '--deployment-root', root, '--json']);
  assert.equal(second.status, 0, second.stderr);
  const record = JSON.parse(second.stdout) as { scriptsLog: string; lifecycleEvents: { name: string; status: string }[] };
  assert.equal(record.lifecycleEvents[0]?.status, 'Succeeded');
  assert.match(await readFile(record.scriptsLog, 'utf8'), /LifecycleEvent - ApplicationStop\n.*Script - scripts\/stop.sh\n.*\[stdout\]stopping for d-/);
});

test('Ctrl-C stops nagare deploy local with exit 130, killing the running hook and skipping the rest', { skip }, async () => {
  const { bundle, root, out } = await revision('echo $$ > "$PID_FILE"; sleep 300');
  const child = spawn(process.execPath, [cli, 'deploy', 'local', '-l', bundle, '--deployment-root', root], { env: { ...process.env, NO_COLOR: '1', PID_FILE: out }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  for (let waited = 0; !existsSync(out); waited += 50) {
    assert.ok(waited < 30_000, 'the hook started');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGINT');
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  assert.equal(status, 130);
  assert.match(stdout, /ApplicationStart\s+Failed/);
  assert.match(stdout, /ValidateService\s+Skipped/);
  assert.match(stdout, /Deployment d-\S+ Stopped/);
  const pid = Number((await readFile(out, 'utf8')).trim());
  assert.ok(!existsSync(`/proc/${pid}`) || /^\S+ \(\S+\) [ZX]/.test(await readFile(`/proc/${pid}/stat`, 'utf8')), 'the hook script was killed');
});
