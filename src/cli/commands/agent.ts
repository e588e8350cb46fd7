/**
 * `nagare agent`: joins a server and runs the builds it leases, one at a time, and with
 * `--instance-name` the deployments to that on-premises instance, until Ctrl-C or SIGTERM, which
 * stop the running build (reported STOPPED) or hook (its event reported Failed) before it exits.
 */
import { Option, type Command } from 'commander';
import { compileAgentConfig, type AgentFlags } from '../../config/agent-config.js';
import { stderrLogger } from '../../agent/agent-logger.js';
import { clientFrom, table, withClientOptions } from '../client-options.js';
import type { ClientFlags } from '../../config/server-config.js';
import type { CommandOutcome } from '../outcome.js';
import { growYoungGenerationAgain } from '../young-generation.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerAgentCommand(program: Command, done: (outcome: CommandOutcome) => void): void {
  const agent = program
    .command('agent')
    .description('Run builds, and with --instance-name deployments to this host, leased from a nagare server (agents dial out; no inbound port)')
    // `nagare agent list --server …` gives --server to list, not to the agent itself.
    .enablePositionalOptions()
    .addOption(new Option('--server <urls>', 'the server to join; several of one cluster as URL1,URL2 (tried in order, the next when one stops answering)').env('NAGARE_SERVER'))
    .addOption(new Option('--token <token>', 'registration token (`nagare` prints one for agents; an API token works too)').env('NAGARE_AGENT_TOKEN'))
    .option('--name <name>', 'name shown by the server (default: the host name)')
    .option('--tag <key=value>', 'a tag of this agent (repeatable)', collect)
    .addOption(new Option('--fleet <name>', 'join this fleet (CreateFleet): run only the builds of projects whose environment.fleet names it').env('NAGARE_AGENT_FLEET'))
    .addOption(new Option('--labels <a,b>', 'labels to advertise, separated by commas; docker is added when a Docker engine answers (not with --executor shell)').env('NAGARE_AGENT_LABELS'))
    .option('--work-dir <dir>', 'where builds run and the cache lives (default <state-dir>/agent; /var/lib/nagare/agent as root)')
    .option('--executor <kind>', 'force shell or docker (default: shell for the images shell and nagare/shell, docker otherwise)')
    .option('--poll-seconds <n>', 'long-poll wait for a build, 1-60', '20')
    .option('--max-log-mib <MiB>', 'log kept per build; later output is dropped with a marker line (default 256; $NAGARE_MAX_LOG_MIB)')
    .option('--build-user <user>', 'as root, run shell builds as this unprivileged user, created if missing (default nagare-build)')
    .option('--allow-run-as <users>', 'users a buildspec run-as may name, separated by commas (default none)')
    .option('--allow-root-builds', 'let a buildspec say run-as: root, and allow --build-user root')
    .option('--image-map <pattern=image>', "run projects whose image matches PATTERN (* is a wildcard) in IMAGE instead, e.g. 'aws/codebuild/*=nagare/base:latest' (repeatable; $NAGARE_IMAGE_MAP)", collect)
    .addOption(new Option('--instance-name <name>', 'serve CodeDeploy deployments as this on-premises instance (registered if new): 1-100 letters, digits and . _ + = , @ -').env('NAGARE_INSTANCE_NAME'))
    .addOption(new Option('--tags <k=v,...>', 'the instance\'s tags, which deployment groups select it by, e.g. env=prod,role=web (at most 10)').env('NAGARE_INSTANCE_TAGS'))
    .addOption(new Option('--deployment-root <dir>', 'where the instance keeps revisions, install records and scripts.log (default /opt/nagare/deployment-root as root, else <state-dir>/deployment-root)').env('NAGARE_DEPLOYMENT_ROOT'))
    .option('--no-builds', 'run only this instance\'s deployments, never builds (with --instance-name; NAGARE_NO_BUILDS=true)')
    .addHelpText('after', `
Examples:
  nagare agent --server http://ci.example:8780 --token ngr_… --tag env=staging
  nagare agent --server http://ci.example:8780 --token ngr_… --fleet linux-large --labels large,gpu
  nagare agent --server http://ci.example:8780 --token ngr_… --image-map 'aws/codebuild/*=nagare/base:latest'
  nagare agent --server http://ci.example:8780 --token ngr_… --instance-name web-1 --tags env=prod,role=web --no-builds
  nagare agent list --server http://ci.example:8780 --token ngr_…
  NAGARE_SERVER=http://127.0.0.1:8780 NAGARE_AGENT_TOKEN=… nagare agent --work-dir /var/lib/nagare-agent`)
    .action(async (flags: AgentFlags) => {
      growYoungGenerationAgain();
      done(await agentCommand(flags));
    });

  withClientOptions(agent.command('list'))
    .description('Agents the server knows: fleet, labels, image map, health and current jobs')
    .action(async (flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const { agents } = await client.listAgents();
      const rows = agents.map((a) => [a.name, a.fleet ?? '-', a.labels.join(',') || '-', a.imageMap.join(' ') || '-', a.health, a.lastSeenAt, a.currentJobs.join(' ') || '-']);
      done({ kind: 'output', json: config.json, value: agents, text: table(['NAME', 'FLEET', 'LABELS', 'IMAGE MAP', 'HEALTH', 'LAST SEEN', 'CURRENT JOBS'], rows) });
    });
}

async function agentCommand(flags: AgentFlags): Promise<CommandOutcome> {
  const config = compileAgentConfig(flags, process.env);
  const logger = stderrLogger();
  // Loaded here so that other commands do not pay for the agent's modules at start.
  const { startAgent } = await import('../../agent/agent.js');
  const agent = await startAgent({ ...config, logger });
  const place = config.runBuilds ? `work directory ${config.workDir}` : '';
  const instance = config.instance ? `instance ${config.instance.instanceName}, deployment root ${config.instance.deploymentRoot}` : '';
  logger.info(`agent ${config.name} ready; ${agent.buildsRunAs}; ${[place, instance].filter(Boolean).join('; ')}; Ctrl-C stops it`);
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (): void => {
      // A second Ctrl-C takes the default action (exit at once); the lease then runs out.
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      logger.info('stopping: the running build or deployment (if any) is stopped and reported first; Ctrl-C again to leave at once');
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await Promise.race([stopped, agent.done]);
  await agent.stop();
  await agent.done;
  return { kind: 'stopped' };
}
