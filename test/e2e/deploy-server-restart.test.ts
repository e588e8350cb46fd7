/**
 * The server killed with SIGKILL mid-deployment carries it on after a restart, with nothing run
 * twice (issue 10, on SQLite and on PostgreSQL). Everything is a real process: `nagare server` of
 * the compiled CLI on a fixed port, and three `nagare agent --instance-name restart-N --no-builds`
 * with deployment roots of their own on this machine. A OneAtATime deployment runs a revision
 * whose hooks append a line per run to the instance's hooks.log; on restart-2, ApplicationStart
 * waits at a gate. Once restart-1 has succeeded and restart-2 waits, the server is killed and
 * started again (same data directory or schema, same port). The gate opens either while no server
 * answers, so restart-2 ends its hooks and must deliver their reports to the server that comes
 * back, or once it is back, so the hook runs across the restart. restart-3 then gets its job from
 * the new server. The agents are never restarted: they find the new server by themselves. Needs
 * `npm run build`.
 *
 * The instances share this host, so each agent's hooks write under their own directory, named by
 * HOOK_OUT in the agent's environment (hooks inherit the agent's environment).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { NagareClient } from '../../src/client/nagare-client.js';
import { CLI, childEnvironment, initialCredentials, startCliServer, type CliServer } from '../support/cli-server.js';
import { cliRunner, deploymentEnded, instanceTargets, registeredInstances, until } from '../support/deployment-watch.js';
import { freshPostgresUrl } from '../support/postgres.js';
import { freePort } from '../support/processes.js';
import { testDatabases } from '../support/test-server.js';

const INSTANCES = ['restart-1', 'restart-2', 'restart-3'];
const HOOKED = ['BeforeInstall', 'AfterInstall', 'ApplicationStart', 'ValidateService'];
/** Every in-place event of a first deployment to an instance: ApplicationStop has no earlier revision to run. */
const EVENTS = ['ApplicationStop Skipped', ...['DownloadBundle', 'BeforeInstall', 'Install', 'AfterInstall', 'ApplicationStart', 'ValidateService'].map((e) => `${e} Succeeded`)];

/**
 * One script for every hook: a line per run. Where GATE is set (restart-2's agent), ApplicationStart
 * says it waits and waits for the gate file (two minutes at most, so that nothing hangs).
 */
const HOOK = `#!/bin/sh
echo "$LIFECYCLE_EVENT $DEPLOYMENT_ID" >> "$HOOK_OUT/hooks.log"
if [ "$LIFECYCLE_EVENT" = ApplicationStart ] && [ -n "\${GATE:-}" ]; then
  touch "$HOOK_OUT/waiting"
  i=0
  while [ ! -e "$GATE" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
fi
exit 0
`;

async function writeRevision(directory: string): Promise<void> {
  await mkdir(path.join(directory, 'scripts'), { recursive: true });
  await writeFile(path.join(directory, 'scripts', 'hook.sh'), HOOK);
  await chmod(path.join(directory, 'scripts', 'hook.sh'), 0o755);
  const hooks = ['ApplicationStop', ...HOOKED].map((event) => `  ${event}:\n    - location: scripts/hook.sh\n      timeout: 300\n`).join('');
  await writeFile(path.join(directory, 'appspec.yml'), `version: 0.0\nos: linux\nhooks:\n${hooks}`);
}

interface InstanceAgent {
  readonly name: string;
  readonly child: ChildProcess;
  readonly out: string;
  readonly output: () => string;
}

function startInstanceAgent(base: string, url: string, token: string, name: string, env: Record<string, string>): InstanceAgent {
  const out = path.join(base, 'out', name);
  const args = ['agent', '--server', url, '--name', name, '--instance-name', name, '--tags', 'fleet=restart', '--deployment-root', path.join(base, 'roots', name), '--work-dir', path.join(base, 'work', name), '--no-builds', '--poll-seconds', '1'];
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: childEnvironment({ NAGARE_AGENT_TOKEN: token, HOOK_OUT: out, ...env }) });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { name, child, out, output: () => output };
}

/** SIGKILL, unless the process has already ended (by a signal too: then exitCode stays null). */
async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const killServer = (server: CliServer): Promise<void> => kill(server.child);

/** The hook lines of one instance for one deployment, in order. */
async function hookLines(agent: InstanceAgent, deploymentId: string): Promise<string[]> {
  const text = await readFile(path.join(agent.out, 'hooks.log'), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.endsWith(` ${deploymentId}`)).map((line) => line.slice(0, -deploymentId.length - 1));
}

/** The lifecycle events the agent reported for the deployment (its `<deployment> <event> <status>` lines). */
function reportedEvents(agent: InstanceAgent, deploymentId: string): string[] {
  return [...agent.output().matchAll(new RegExp(`INFO ${deploymentId} (\\w+) (\\w+)`, 'g'))].map((match) => `${match[1]} ${match[2]}`);
}

/**
 * When restart-2's gate opens: while no server answers (its last hooks end and their reports, and
 * the instance's completion, wait for the next server), or once the server is back (the hook runs
 * across the restart; its heartbeats find the new server).
 */
const GATE_OPENS = {
  'while the server is down': 'down',
  'once the server is back': 'back',
} as const;

for (const [database, noDatabase] of await testDatabases()) {
  for (const [moment, opens] of Object.entries(GATE_OPENS)) {
    test(`${database}: a server killed with SIGKILL mid-deployment carries it on after a restart, each hook run once and each event reported once (the running hook ends ${moment})`, { skip: noDatabase, timeout: 600_000 }, async () => {
      const base = await mkdtemp(path.join(os.tmpdir(), 'nagare-deploy-restart-'));
      const dataDir = path.join(base, 'data');
      const gate = path.join(base, 'gate');
      const args = ['--port', String(await freePort()), '--log-level', 'info', '--log-format', 'json', ...(database === 'postgres' ? ['--database-url', await freshPostgresUrl(`deploy_restart_${opens}`)] : [])];
      const servers: CliServer[] = [];
      const agents: InstanceAgent[] = [];
      const explain = (): string => [...agents.map((a) => `--- agent ${a.name}\n${a.output()}`), ...servers.map((s, i) => `--- server ${i + 1}\n${s.stderr()}`)].join('\n');
      try {
        servers.push(await startCliServer('server', dataDir, args));
        const first = servers[0];
        assert.ok(first);
        const { token } = initialCredentials(dataDir);
        const client = new NagareClient({ server: first.url, token });
        const nagare = cliRunner(first.url, token, base);
        for (const name of INSTANCES) {
          await mkdir(path.join(base, 'out', name), { recursive: true });
          agents.push(startInstanceAgent(base, first.url, token, name, name === 'restart-2' ? { GATE: gate } : {}));
        }
        await until('the three instances to register', async () => (await registeredInstances(client)).length === INSTANCES.length, explain);

        await nagare('app', 'create', 'restart-app');
        await nagare('deployment-group', 'create', '--application-name', 'restart-app', '--deployment-group-name', 'fleet', '--on-premises-tag-filters', 'Key=fleet,Value=restart,Type=KEY_AND_VALUE');
        const revision = path.join(base, 'revision');
        await writeRevision(revision);
        const pushed = JSON.parse(await nagare('deploy', 'push', '--application-name', 'restart-app', '--source', revision, '--json')) as { s3Location: { bucket: string; key: string; eTag: string } };
        const { bucket, key, eTag } = pushed.s3Location;
        const { deploymentId } = JSON.parse(await nagare('deploy', 'create', '--application-name', 'restart-app', '--deployment-group-name', 'fleet', '--deployment-config-name', 'CodeDeployDefault.OneAtATime', '--s3-location', `bucket=${bucket},key=${key},bundleType=zip,eTag=${eTag}`, '--json')) as { deploymentId: string };

        const restart2 = agents[1];
        assert.ok(restart2);
        await until('restart-1 to succeed and restart-2 to wait in ApplicationStart', async () => {
          const statuses = Object.fromEntries((await instanceTargets(client, deploymentId)).map((t) => [t.targetId, t.status]));
          return statuses['restart-1'] === 'Succeeded' && statuses['restart-2'] === 'InProgress' && existsSync(path.join(restart2.out, 'waiting'));
        }, explain);

        await killServer(first);
        if (opens === 'down') {
          await writeFile(gate, '');
          await until('restart-2 to run its last hook', async () => (await hookLines(restart2, deploymentId)).includes('ValidateService'), explain);
        } else {
          await until('restart-2 to miss a heartbeat', () => /heartbeat of deploy job \S+ failed/.test(restart2.output()), explain);
        }
        const restart3 = agents[2];
        assert.ok(restart3);
        assert.deepEqual(await hookLines(restart3, deploymentId), [], 'restart-3 has not started: its job comes from the restarted server');
        servers.push(await startCliServer('server', dataDir, args));
        if (opens === 'back') {
          // A few of the agent's heartbeats (every 2 s) go to the new server while the hook still runs.
          await new Promise((resolve) => setTimeout(resolve, 5000));
          await writeFile(gate, '');
        }

        if (opens === 'down') assert.match(restart2.output(), /POST \/deploy-jobs\/\S+\/events failed .*; retrying/, 'restart-2 reported its events to a server that was down');
        const ended = await deploymentEnded(client, deploymentId, () => Promise.resolve(explain()));
        assert.equal(ended.status, 'Succeeded', `${JSON.stringify(ended)}\n${explain()}`);
        const targets = await instanceTargets(client, deploymentId);
        assert.deepEqual(targets.map((t) => [t.targetId, t.status]), INSTANCES.map((name) => [name, 'Succeeded']));
        for (const target of targets) {
          assert.deepEqual(target.lifecycleEvents.map((e) => `${e.lifecycleEventName} ${e.status}`), EVENTS, target.targetId);
        }
        for (const agent of agents) {
          assert.deepEqual(await hookLines(agent, deploymentId), HOOKED, `${agent.name} ran each hook once (ApplicationStop has no earlier revision to run)`);
          const reported = reportedEvents(agent, deploymentId);
          assert.deepEqual(reported, EVENTS, `${agent.name} reported each event once\n${agent.output()}`);
          assert.doesNotMatch(agent.output(), /was running when this instance's agent stopped|lease of deploy job .* expired/, `${agent.name} neither restarted nor lost its job`);
          assert.equal(agent.child.exitCode, null, `${agent.name} is still the first process: it found the new server by itself`);
        }
      } finally {
        await writeFile(gate, '').catch(() => undefined);
        for (const agent of agents) await kill(agent.child);
        for (const server of servers) await killServer(server);
        await rm(base, { recursive: true, force: true });
      }
    });
  }
}
