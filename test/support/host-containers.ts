/**
 * Real hosts for deployment tests: each a Docker container of the base image (its own filesystem,
 * users and network address) running `nagare agent --instance-name NAME --tags …` as root, as a
 * CodeDeploy agent runs on an on-premises instance. The compiled CLI (dist/), its node_modules and
 * this process's Node.js are bind-mounted read-only at the paths they have here, so the agent in
 * the container is the code under test. The containers reach the test server on the Docker bridge's
 * gateway address (start the server there: `startTestServer({ host: await dockerBridgeGateway() })`).
 *
 * Containers are removed by `remove()`, and, should the test process end without calling it, by an
 * exit handler; they carry the label `nagare-test=host-containers` for a manual sweep.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnvironment } from './cli-server.js';
import { runProcess, type ProcessRun } from './processes.js';

export const HOST_IMAGE = 'nagare/base:latest';
const LABEL = 'nagare-test=host-containers';
const ROOT = realpathSync(fileURLToPath(new URL('../../', import.meta.url)));

export interface HostSpec {
  /** The instance name, also the container's host name. */
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
}

export interface HostContainer {
  readonly name: string;
  readonly containerId: string;
  /** The container's address on the Docker bridge: the test process reaches its ports there. */
  readonly address: string;
  /** `sh -c SCRIPT` in the container as root. */
  exec(script: string): Promise<ProcessRun>;
  /** What the agent printed (docker logs). */
  agentLog(): Promise<string>;
}

export interface HostContainers {
  readonly hosts: readonly HostContainer[];
  host(name: string): HostContainer;
  /** Everything the agents printed, for a failing assertion's message. */
  agentLogs(): Promise<string>;
  /** Removes the containers (and their processes); safe to call twice. */
  remove(): Promise<void>;
}

/** Why these tests cannot run here, or undefined: the docker CLI, an engine answering, the image, a built CLI. */
export async function hostContainersMissing(): Promise<string | undefined> {
  const version = await runProcess('docker', ['version', '--format', '{{.Server.Version}}']).catch(() => undefined);
  if (version === undefined) return 'the docker command is not installed';
  if (version.status !== 0) return `no Docker engine answers: ${version.stderr.trim()}`;
  const image = await runProcess('docker', ['image', 'inspect', HOST_IMAGE]);
  if (image.status !== 0) return `the image ${HOST_IMAGE} is missing (bash scripts/build-base-image.sh)`;
  if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) return 'the CLI is not built (npm run build)';
  return undefined;
}

/** The Docker bridge's gateway address: where containers on the default network reach this machine. */
export async function dockerBridgeGateway(): Promise<string> {
  const inspect = await runProcess('docker', ['network', 'inspect', 'bridge', '--format', '{{range .IPAM.Config}}{{.Gateway}} {{end}}']);
  const gateway = inspect.stdout.trim().split(/\s+/).find((address) => /^\d+\.\d+\.\d+\.\d+$/.test(address));
  if (gateway !== undefined) return gateway;
  // Some engines leave the IPAM gateway empty: ask a container for its default route.
  const route = await runProcess('docker', ['run', '--rm', HOST_IMAGE, 'sh', '-c', "ip route | awk '/^default/ { print $3 }'"]);
  const address = route.stdout.trim();
  if (route.status !== 0 || !/^\d+\.\d+\.\d+\.\d+$/.test(address)) throw new Error(`cannot tell the Docker bridge's gateway: ${route.stderr}`);
  return address;
}

/** The read-only mounts that give a container this checkout's CLI and this process's Node.js at the same paths. */
function mounts(): string[] {
  const nodeHome = path.dirname(path.dirname(realpathSync(process.execPath)));
  const paths = new Set([ROOT, nodeHome, realpathSync(path.join(ROOT, 'node_modules'))]);
  return [...paths].flatMap((at) => ['--volume', `${at}:${at}:ro`]);
}

const running = new Set<string>();
let exitHandlerInstalled = false;

function removeAtExit(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', () => {
    if (running.size > 0) spawnSync('docker', ['rm', '--force', '--volumes', ...running], { stdio: 'ignore' });
  });
}

/**
 * Starts one container per host, each running `nagare agent` for it against `serverUrl` (deploy
 * jobs only: `--no-builds`), and resolves once all are started. `token` reaches the containers
 * through the environment of the docker client, never its command line.
 */
export async function startHostContainers(serverUrl: string, token: string, specs: readonly HostSpec[], extraAgentArgs: readonly string[] = []): Promise<HostContainers> {
  removeAtExit();
  const run = randomBytes(3).toString('hex');
  const hosts: HostContainer[] = [];
  const removeAll = async (): Promise<void> => {
    const ids = hosts.map((host) => host.containerId).filter((id) => running.has(id));
    if (ids.length === 0) return;
    await runProcess('docker', ['rm', '--force', '--volumes', ...ids]);
    for (const id of ids) running.delete(id);
  };
  try {
    for (const spec of specs) hosts.push(await startHost(spec, run, serverUrl, token, extraAgentArgs));
  } catch (error) {
    await removeAll();
    throw error;
  }
  const agentLogs = async (): Promise<string> => (await Promise.all(hosts.map(async (host) => `--- agent on ${host.name}\n${(await host.agentLog()).slice(-3000)}`))).join('\n');
  return {
    hosts,
    host: (name) => {
      const found = hosts.find((host) => host.name === name);
      if (found === undefined) throw new Error(`no host ${name}`);
      return found;
    },
    agentLogs,
    remove: removeAll,
  };
}

async function startHost(spec: HostSpec, run: string, serverUrl: string, token: string, extraAgentArgs: readonly string[]): Promise<HostContainer> {
  const tags = Object.entries(spec.tags).map(([key, value]) => `${key}=${value}`).join(',');
  const agent = [process.execPath, path.join(ROOT, 'dist/cli/main.js'), 'agent', '--server', serverUrl, '--name', spec.name, '--instance-name', spec.name, '--tags', tags, '--no-builds', ...extraAgentArgs];
  const args = [
    'run', '--detach', '--init',
    '--name', `nagare-host-${run}-${spec.name}`.toLowerCase(),
    '--hostname', spec.name.toLowerCase(),
    '--label', LABEL,
    '--env', 'NAGARE_AGENT_TOKEN',
    '--env', 'NO_COLOR=1',
    ...mounts(),
    HOST_IMAGE,
    ...agent,
  ];
  const started = await runProcess('docker', args, { env: childEnvironment({ NAGARE_AGENT_TOKEN: token }) });
  if (started.status !== 0) throw new Error(`docker run for host ${spec.name} failed: ${started.stderr}`);
  const containerId = started.stdout.trim();
  running.add(containerId);
  const inspect = await runProcess('docker', ['inspect', '--format', '{{.NetworkSettings.IPAddress}}', containerId]);
  const address = inspect.stdout.trim();
  if (address === '') throw new Error(`host ${spec.name} has no address on the Docker bridge: ${inspect.stderr}`);
  return {
    name: spec.name,
    containerId,
    address,
    exec: (script) => runProcess('docker', ['exec', containerId, 'sh', '-c', script]),
    agentLog: async () => {
      const logs = await runProcess('docker', ['logs', containerId]);
      return `${logs.stdout}${logs.stderr}`;
    },
  };
}
