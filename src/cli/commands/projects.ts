/** `nagare project create|list|show|delete`: build projects on a server. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { NagareError } from '../../core/errors.js';
import { buildLabels, DOCKER_LABEL, fleetNameOf } from '../../core/job-routing.js';
import type { AgentView } from '../../protocol/native-agents.js';
import type { ClientFlags } from '../../config/server-config.js';
import { clientFrom, table, text, withClientOptions } from '../client-options.js';
import type { CommandOutcome } from '../outcome.js';

interface CreateFlags extends ClientFlags {
  readonly file?: string;
  readonly source?: string;
  readonly buildspec?: string;
  readonly image?: string;
  readonly description?: string;
}

export function registerProjectCommands(program: Command, done: (outcome: CommandOutcome) => void): void {
  const project = program.command('project').description('Manage build projects on a nagare server');

  withClientOptions(project.command('create [name]'))
    .description('Create a build project, from a CodeBuild project JSON/YAML file (-f) or from flags')
    .option('-f, --file <file>', 'project definition in the CodeBuild CreateProject shape (JSON or YAML)')
    .option('--source <git-url-or-path>', 'git repository the builds clone (default: no source; give --buildspec inline)')
    .option('--buildspec <path-or-yaml>', 'buildspec path in the source, or inline YAML')
    .option('--image <image>', 'Docker image, or "shell" to run on the agent host', 'shell')
    .option('--description <text>', 'description')
    .action(async (name: string | undefined, flags: CreateFlags) => {
      const { client, config } = clientFrom(flags);
      const definition = flags.file ? await readDefinition(flags.file) : fromFlags(name, flags);
      const { project: created } = await client.createProject(name ? { ...definition, name } : definition);
      const warning = noAgentWarning(created, (await client.listAgents()).agents);
      if (warning) process.stderr.write(`warning: ${warning}\n`);
      done({ kind: 'output', json: config.json, value: created, text: `Created project ${text(created.name)}\n` });
    });

  withClientOptions(project.command('list'))
    .description('List build projects')
    .action(async (flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const { projects } = await client.listProjects();
      const rows = projects.map((p) => [text(p.name), text((p.source as { type?: string }).type ?? ''), text((p.environment as { image?: string }).image ?? ''), text(p.description ?? '')]);
      done({ kind: 'output', json: config.json, value: projects, text: table(['NAME', 'SOURCE', 'IMAGE', 'DESCRIPTION'], rows) });
    });

  withClientOptions(project.command('show <name>'))
    .description('Show a build project')
    .action(async (name: string, flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const { project: found } = await client.getProject(name);
      done({ kind: 'output', json: config.json, value: found, text: JSON.stringify(found, null, 2) + '\n' });
    });

  withClientOptions(project.command('delete <name>'))
    .description('Delete a build project')
    .action(async (name: string, flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      await client.deleteProject(name);
      done({ kind: 'output', json: config.json, value: { deleted: name }, text: `Deleted project ${name}\n` });
    });
}

/**
 * Said after `project create` when no connected agent can take the project's builds: a Docker image
 * (AWS curated ones included, which agents map to their default image) needs an agent with the
 * `docker` label, and a fleet project an agent of that fleet. The project is created all the same.
 */
export function noAgentWarning(project: { readonly environment?: unknown }, agents: readonly AgentView[]): string | undefined {
  const environment = (project.environment ?? {}) as { image?: string; privilegedMode?: boolean; fleet?: { fleetArn?: string } };
  const image = environment.image ?? 'shell';
  const needed = new Set(buildLabels(image));
  if (environment.privilegedMode) needed.add(DOCKER_LABEL);
  const fleet = environment.fleet?.fleetArn === undefined ? undefined : fleetNameOf(environment.fleet.fleetArn);
  const able = agents.filter((agent) => agent.health === 'CONNECTED' && agent.kinds.includes('build') && agent.fleet === fleet && [...needed].every((label) => agent.labels.includes(label)));
  if (able.length > 0) return undefined;
  const wants = [needed.size > 0 ? `the label${needed.size > 1 ? 's' : ''} ${[...needed].join(', ')} (a Docker engine)` : undefined, fleet ? `fleet ${fleet}` : undefined].filter(Boolean).join(' and ');
  return `no connected agent can run image ${image}${wants ? `: it needs an agent with ${wants}` : ''}; builds of this project wait in QUEUED until one joins (nagare agent list)`;
}

async function readDefinition(file: string): Promise<Record<string, unknown>> {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new NagareError('CONFIG_FILE_NOT_FOUND', `Project file ${file} cannot be read`);
  });
  const value: unknown = parseYaml(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new NagareError('CONFIG_INVALID', `Project file ${file} must hold one project object`);
  return value as Record<string, unknown>;
}

function fromFlags(name: string | undefined, flags: CreateFlags): Record<string, unknown> {
  if (!name) throw new NagareError('CONFIG_INVALID', 'Give the project a name (nagare project create NAME) or a file (-f project.json)');
  return {
    name,
    ...(flags.description ? { description: flags.description } : {}),
    source: flags.source ? { type: 'GIT', location: flags.source, ...(flags.buildspec ? { buildspec: flags.buildspec } : {}) } : { type: 'NO_SOURCE', buildspec: flags.buildspec },
    environment: { type: 'LINUX_CONTAINER', image: flags.image ?? 'shell', computeType: 'BUILD_GENERAL1_SMALL' },
    artifacts: { type: 'NO_ARTIFACTS' },
  };
}
