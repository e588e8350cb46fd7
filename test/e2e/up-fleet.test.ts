/** `nagare up --fleet NAME --labels …`: the embedded agent joins the fleet (created when missing) with its labels. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { childEnvironment, CLI, initialCredentials, startCliServer, stopCliServer, type CliServer } from '../support/cli-server.js';

let up: CliServer;
let env: NodeJS.ProcessEnv = {};

before(async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-up-fleet-'));
  up = await startCliServer('up', dataDir, ['--fleet', 'edge-hosts', '--labels', 'gpu,large']);
  env = childEnvironment({ NAGARE_SERVER: up.url, NAGARE_TOKEN: initialCredentials(dataDir).token });
});

after(() => stopCliServer(up));

test('nagare up --fleet creates the missing fleet and its embedded agent joins it advertising --labels', async () => {
  let agents: { name: string; fleet: string | null; labels: string[] }[] = [];
  for (let i = 0; i < 50 && agents.length === 0; i += 1) {
    const listed = spawnSync(process.execPath, [CLI, 'agent', 'list', '--json'], { encoding: 'utf8', env });
    assert.equal(listed.status, 0, listed.stderr);
    agents = JSON.parse(listed.stdout) as typeof agents;
    if (agents.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const embedded = agents.find((a) => a.name === 'embedded');
  assert.equal(embedded?.fleet, 'edge-hosts');
  assert.ok(embedded?.labels.includes('gpu') && embedded.labels.includes('large'), JSON.stringify(embedded));
});

test('nagare up --labels with a label that is not one is refused before anything starts', () => {
  const result = spawnSync(process.execPath, [CLI, 'up', '--data-dir', path.join(os.tmpdir(), 'never-used'), '--labels', 'Bad Label'], { encoding: 'utf8', env, timeout: 30_000 });
  assert.equal(result.status, 2, result.stderr);
  assert.match(result.stderr, /--labels takes labels/);
});
