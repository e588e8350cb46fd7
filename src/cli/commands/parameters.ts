/** `nagare parameter put|get|list|delete`, `nagare secret …`, `nagare metrics-token create` and `nagare agent-token create`. */
import type { Command } from 'commander';
import type { ClientFlags } from '../../config/server-config.js';
import { NagareError } from '../../core/errors.js';
import { clientFrom, table, withClientOptions } from '../client-options.js';
import type { CommandOutcome } from '../outcome.js';

export function registerParameterCommands(program: Command, done: (outcome: CommandOutcome) => void): void {
  for (const [noun, namespace] of [['parameter', 'parameters'], ['secret', 'secrets']] as const) {
    const group = program.command(noun).description(noun === 'parameter' ? 'Parameters for buildspec parameter-store entries' : 'Secrets for buildspec secrets-manager entries (encrypted at rest)');

    const put = withClientOptions(group.command('put <name> <value>'))
      .description(`Create a ${noun} (replace one with --overwrite)`)
      .option('--overwrite', `replace an existing ${noun}`);
    if (noun === 'parameter') put.option('--secure', 'store as SecureString (encrypted, masked in logs)');
    put.action(async (name: string, value: string, flags: ClientFlags & { overwrite?: boolean; secure?: boolean }) => {
      const { client, config } = clientFrom(flags);
      const { version } = await client.putParameter(namespace, { name, value, overwrite: flags.overwrite ?? false, ...(flags.secure ? { type: 'SecureString' } : {}) }).catch((error: unknown) => {
        if (error instanceof NagareError && error.code === 'API_ALREADY_EXISTS') throw new NagareError('API_ALREADY_EXISTS', `The ${noun} ${name} already exists; pass --overwrite to replace it`);
        throw error;
      });
      done({ kind: 'output', json: config.json, value: { name, version }, text: `Stored ${noun} ${name} (version ${version})\n` });
    });

    withClientOptions(group.command('get <name>'))
      .description(`Print a ${noun}'s value`)
      .action(async (name: string, flags: ClientFlags) => {
        const { client, config } = clientFrom(flags);
        const found = await client.getParameter(namespace, name);
        done({ kind: 'output', json: config.json, value: found, text: `${String(found.value)}\n` });
      });

    withClientOptions(group.command('list'))
      .description(`List ${namespace} (names only, never values)`)
      .action(async (flags: ClientFlags) => {
        const { client, config } = clientFrom(flags);
        const listed = (await client.listParameters(namespace))[namespace] as { name: string; type: string; version: number }[];
        done({ kind: 'output', json: config.json, value: listed, text: table(['NAME', 'TYPE', 'VERSION'], listed.map((p) => [p.name, p.type, String(p.version)])) });
      });

    withClientOptions(group.command('delete <name>'))
      .description(`Delete a ${noun}`)
      .action(async (name: string, flags: ClientFlags) => {
        const { client, config } = clientFrom(flags);
        await client.deleteParameter(namespace, name);
        done({ kind: 'output', json: config.json, value: { deleted: name }, text: `Deleted ${noun} ${name}\n` });
      });
  }

  withClientOptions(program.command('metrics-token').description('Tokens that read /metrics and nothing else (for Prometheus)').command('create'))
    .description('Create a token that reads /metrics only')
    .option('--name <name>', 'what the token is for', 'prometheus')
    .action(async (flags: ClientFlags & { name: string }) => {
      const { client, config } = clientFrom(flags);
      const { token } = await client.createMetricsToken(flags.name);
      done({ kind: 'output', json: config.json, value: { token }, text: `${token}\n` });
    });

  withClientOptions(program.command('agent-token').description('Tokens agents register with (nagare agent-token create)').command('create'))
    .description('Create a token an agent registers with (nagare agent --token …)')
    .option('--name <name>', 'what the token is for', 'agent')
    .action(async (flags: ClientFlags & { name: string }) => {
      const { client, config } = clientFrom(flags);
      const { token } = await client.createAgentToken(flags.name);
      done({ kind: 'output', json: config.json, value: { token }, text: `${token}\n` });
    });
}
