/**
 * Deployment configurations end to end (reference §2.9, §2.12): four real hosts (Docker containers
 * running `nagare agent --instance-name rollout-N --tags fleet=rollout`), a revision pushed with
 * `nagare deploy push` whose ValidateService fails on a host holding /etc/nagare-fail-validate,
 * and one deployment per rule with the outcome CodeDeploy gives it. Each scenario has an
 * application of its own, so every instance starts Unhealthy with an Unknown revision and the
 * instances run in name order (§2.9 step 2); the files an earlier application installed are
 * overwritten (`--file-exists-behavior OVERWRITE`: under the default DISALLOW, Install would fail
 * on them, §2.2). On SQLite and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { NagareClient } from '../../src/client/nagare-client.js';
import { cliRunner, deploymentEnded, instanceStatuses, instanceTargets, lifecycleOf, registeredInstances, until } from '../support/deployment-watch.js';
import { dockerBridgeGateway, hostContainersMissing, startHostContainers, type HostContainers } from '../support/host-containers.js';
import { requirement } from '../support/requirements.js';
import { startTestServer, testDatabases } from '../support/test-server.js';

const HOSTS = ['rollout-1', 'rollout-2', 'rollout-3', 'rollout-4'];
const FAIL_MARK = '/etc/nagare-fail-validate';
const noHosts = requirement('a Docker engine, nagare/base:latest and the built CLI', await hostContainersMissing());

/** A revision that installs a page and fails its health check where the host holds FAIL_MARK. */
function writeRevision(directory: string): void {
  mkdirSync(path.join(directory, 'scripts'), { recursive: true });
  mkdirSync(path.join(directory, 'site'), { recursive: true });
  writeFileSync(path.join(directory, 'site/index.html'), '<p>rollout</p>\n');
  writeFileSync(path.join(directory, 'scripts/start.sh'), '#!/bin/sh\necho "$DEPLOYMENT_ID" > /var/www/rollout/deployment\n');
  writeFileSync(path.join(directory, 'scripts/validate.sh'), `#!/bin/sh\nif [ -e ${FAIL_MARK} ]; then echo "$(hostname) is told to fail its health check" >&2; exit 1; fi\necho healthy\n`);
  chmodSync(path.join(directory, 'scripts/start.sh'), 0o755);
  chmodSync(path.join(directory, 'scripts/validate.sh'), 0o755);
  writeFileSync(path.join(directory, 'appspec.yml'), [
    'version: 0.0',
    'os: linux',
    'files:',
    '  - source: site',
    '    destination: /var/www/rollout',
    'hooks:',
    '  ApplicationStart:',
    '    - location: scripts/start.sh',
    '  ValidateService:',
    '    - location: scripts/validate.sh',
    '      timeout: 60',
    '',
  ].join('\n'));
}

interface Scenario {
  readonly rule: string;
  readonly config: string;
  readonly failing: readonly string[];
  readonly status: 'Succeeded' | 'Failed';
  readonly errorCode?: string;
  readonly instances: Readonly<Record<string, string>>;
}

const SCENARIOS: readonly Scenario[] = [
  {
    rule: 'OneAtATime: an instance other than the last failing fails the deployment (HEALTH_CONSTRAINTS) and the instances after it are skipped',
    config: 'CodeDeployDefault.OneAtATime', failing: ['rollout-2'], status: 'Failed', errorCode: 'HEALTH_CONSTRAINTS',
    instances: { 'rollout-1': 'Succeeded', 'rollout-2': 'Failed', 'rollout-3': 'Skipped', 'rollout-4': 'Skipped' },
  },
  {
    rule: 'OneAtATime: the last instance failing still leaves the deployment Succeeded',
    config: 'CodeDeployDefault.OneAtATime', failing: ['rollout-4'], status: 'Succeeded',
    instances: { 'rollout-1': 'Succeeded', 'rollout-2': 'Succeeded', 'rollout-3': 'Succeeded', 'rollout-4': 'Failed' },
  },
  {
    rule: 'HalfAtATime: one failing instance of four leaves the two healthy ones required, and the deployment Succeeded',
    config: 'CodeDeployDefault.HalfAtATime', failing: ['rollout-1'], status: 'Succeeded',
    instances: { 'rollout-1': 'Failed', 'rollout-2': 'Succeeded', 'rollout-3': 'Succeeded', 'rollout-4': 'Succeeded' },
  },
  {
    rule: 'AllAtOnce: one failing instance still leaves the deployment Succeeded (at least one instance succeeded)',
    config: 'CodeDeployDefault.AllAtOnce', failing: ['rollout-3'], status: 'Succeeded',
    instances: { 'rollout-1': 'Succeeded', 'rollout-2': 'Succeeded', 'rollout-3': 'Failed', 'rollout-4': 'Succeeded' },
  },
  {
    rule: 'AllAtOnce: every instance failing fails the deployment',
    config: 'CodeDeployDefault.AllAtOnce', failing: HOSTS, status: 'Failed',
    instances: { 'rollout-1': 'Failed', 'rollout-2': 'Failed', 'rollout-3': 'Failed', 'rollout-4': 'Failed' },
  },
  {
    rule: 'custom HOST_COUNT 1: three may fail at once; one failing instance leaves the deployment Succeeded',
    config: 'Custom.HostCount1', failing: ['rollout-1'], status: 'Succeeded',
    instances: { 'rollout-1': 'Failed', 'rollout-2': 'Succeeded', 'rollout-3': 'Succeeded', 'rollout-4': 'Succeeded' },
  },
  {
    rule: 'custom HOST_COUNT 3 of 4: the first failure fails the deployment (HEALTH_CONSTRAINTS) and the waiting instances are skipped',
    config: 'Custom.HostCount3', failing: ['rollout-1'], status: 'Failed', errorCode: 'HEALTH_CONSTRAINTS',
    instances: { 'rollout-1': 'Failed', 'rollout-2': 'Skipped', 'rollout-3': 'Skipped', 'rollout-4': 'Skipped' },
  },
];

for (const [database, noDatabase] of await testDatabases()) {
  test(`${database}: deployment configurations on four real hosts, each with failing instances, end as §2.9 says`, { skip: noHosts || noDatabase, timeout: 900_000 }, async (t: TestContext) => {
    const server = await startTestServer({ database, host: await dockerBridgeGateway() });
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'nagare-rollout-'));
    let hosts: HostContainers | undefined;
    try {
      const client = new NagareClient({ server: server.url, token: server.token });
      const nagare = cliRunner(server.url, server.token, scratch);
      hosts = await startHostContainers(server.url, server.token, HOSTS.map((name) => ({ name, tags: { fleet: 'rollout' } })));
      const explain = async (): Promise<string> => (await hosts?.agentLogs()) ?? '';
      await until('the four hosts to register', async () => (await registeredInstances(client)).length === HOSTS.length, explain);
      for (const [name, value] of [['Custom.HostCount1', 1], ['Custom.HostCount3', 3]] as const) {
        await client.codeDeploy('CreateDeploymentConfig', { deploymentConfigName: name, minimumHealthyHosts: { type: 'HOST_COUNT', value }, computePlatform: 'Server' });
      }
      const revision = path.join(scratch, 'revision');
      writeRevision(revision);

      for (const [index, scenario] of SCENARIOS.entries()) {
        await t.test(scenario.rule, async () => {
          for (const host of hosts?.hosts ?? []) {
            const mark = scenario.failing.includes(host.name) ? `touch ${FAIL_MARK}` : `rm -f ${FAIL_MARK}`;
            assert.equal((await host.exec(mark)).status, 0);
          }
          const application = `rollout-${index}`;
          await nagare('app', 'create', application);
          await nagare('deployment-group', 'create', '--application-name', application, '--deployment-group-name', 'fleet', '--on-premises-tag-filters', 'Key=fleet,Value=rollout,Type=KEY_AND_VALUE', '--deployment-config-name', scenario.config);
          const pushed = JSON.parse(await nagare('deploy', 'push', '--application-name', application, '--source', revision, '--json')) as { s3Location: { bucket: string; key: string; eTag: string } };
          const { bucket, key, eTag } = pushed.s3Location;
          const { deploymentId } = JSON.parse(await nagare('deploy', 'create', '--application-name', application, '--deployment-group-name', 'fleet', '--s3-location', `bucket=${bucket},key=${key},bundleType=zip,eTag=${eTag}`, '--file-exists-behavior', 'OVERWRITE', '--json')) as { deploymentId: string };
          const ended = await deploymentEnded(client, deploymentId, explain);
          assert.equal(ended.status, scenario.status, `${JSON.stringify(ended)}\n${JSON.stringify(await instanceTargets(client, deploymentId))}`);
          if (scenario.errorCode) assert.equal(ended.errorInformation?.code, scenario.errorCode);
          assert.deepEqual(await instanceStatuses(client, deploymentId), scenario.instances);
          for (const host of hosts?.hosts ?? []) {
            const outcome = scenario.instances[host.name];
            if (outcome === 'Failed') assert.equal((await lifecycleOf(client, deploymentId, host.name)).ValidateService, 'Failed', `${host.name} failed its health check`);
            if (outcome === 'Succeeded') assert.equal((await host.exec('cat /var/www/rollout/deployment')).stdout, `${deploymentId}\n`, `${host.name} ran this deployment's ApplicationStart`);
          }
        });
      }
    } finally {
      await hosts?.remove();
      await server.stop();
      await rm(server.dataDir, { recursive: true, force: true });
      await rm(scratch, { recursive: true, force: true });
    }
  });
}
