/** `nagare repo create|list|show|delete`: git repositories hosted by a nagare server. */
import type { Command } from 'commander';
import { NagareError } from '../../core/errors.js';
import type { ClientFlags } from '../../config/server-config.js';
import { clientFrom, table, text, withClientOptions } from '../client-options.js';
import type { CommandOutcome } from '../outcome.js';

export function registerRepositoryCommands(program: Command, done: (outcome: CommandOutcome) => void): void {
  const repo = program.command('repo').description('Manage git repositories hosted by a nagare server (CodeCommit)');

  withClientOptions(repo.command('create <name>'))
    .description('Create an empty repository, or with --mirror a read-only mirror of a git URL, and print its clone URL')
    .option('--description <text>', 'description')
    .option('--mirror <url>', 'mirror this git URL (https, ssh, git, file or a path): fetched now, then polled and on webhooks')
    .option('--poll-seconds <n>', 'with --mirror: seconds between polls (default 60; 0: webhooks only)')
    .option('--webhook-secret <secret>', 'with --mirror: accept GitHub, Gitea and GitLab push webhooks signed with this secret')
    .action(async (name: string, flags: ClientFlags & { description?: string; mirror?: string; pollSeconds?: string; webhookSecret?: string }) => {
      const { client, config } = clientFrom(flags);
      if (flags.mirror === undefined && (flags.pollSeconds !== undefined || flags.webhookSecret !== undefined)) {
        throw new NagareError('CONFIG_INVALID', '--poll-seconds and --webhook-secret go with --mirror <url>');
      }
      const pollSeconds = flags.pollSeconds === undefined ? undefined : Number(flags.pollSeconds);
      if (pollSeconds !== undefined && !Number.isInteger(pollSeconds)) throw new NagareError('CONFIG_INVALID', '--poll-seconds must be a whole number');
      const mirror = flags.mirror === undefined ? undefined : { mirrorOf: flags.mirror, pollSeconds, webhookSecret: flags.webhookSecret };
      const { repository } = await client.createRepository(name, flags.description, mirror);
      const webhook = repository.webhookUrl === undefined ? '' : `Webhook URL: ${text(repository.webhookUrl)}\n`;
      done({ kind: 'output', json: config.json, value: repository, text: `Created repository ${text(repository.name)}\n${text(repository.cloneUrlHttp)}\n${webhook}` });
    });

  withClientOptions(repo.command('list'))
    .description('List repositories with their clone URLs')
    .action(async (flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const repositories: Record<string, unknown>[] = [];
      let listed = await client.listRepositories();
      repositories.push(...listed.repositories);
      while (listed.nextToken) {
        listed = await client.listRepositories(listed.nextToken);
        repositories.push(...listed.repositories);
      }
      const rows = repositories.map((r) => [text(r.name), text(r.defaultBranch), text(r.cloneUrlHttp)]);
      done({ kind: 'output', json: config.json, value: repositories, text: table(['NAME', 'DEFAULT BRANCH', 'CLONE URL'], rows) });
    });

  withClientOptions(repo.command('show <name>'))
    .description('Show a repository and its branches')
    .action(async (name: string, flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const found = await client.getRepository(name);
      const r = found.repository;
      const lines = [`Name:           ${text(r.name)}`, `Clone URL:      ${text(r.cloneUrlHttp)}`, `Default branch: ${text(r.defaultBranch)}`, `Branches:       ${found.branches.join(', ')}`];
      if (r.mirrorOf !== undefined) {
        lines.push(`Mirror of:      ${text(r.mirrorOf)} (read-only; polled ${r.pollSeconds === 0 ? 'never' : `every ${text(r.pollSeconds)} s`})`);
        if (r.webhookUrl !== undefined) lines.push(`Webhook URL:    ${text(r.webhookUrl)}`);
      }
      done({ kind: 'output', json: config.json, value: found, text: `${lines.join('\n')}\n` });
    });

  withClientOptions(repo.command('delete <name>'))
    .description('Delete a repository and all of its git data')
    .action(async (name: string, flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      await client.deleteRepository(name);
      done({ kind: 'output', json: config.json, value: { deleted: name }, text: `Deleted repository ${name}\n` });
    });
}
