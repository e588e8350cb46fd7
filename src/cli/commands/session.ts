/**
 * Signing in once: `nagare login` checks a token against a server and saves both under a profile
 * (the user's config file, 0600); `logout` forgets it; `whoami` says who and where; `aws-env`
 * prints `export AWS_…` lines for the AWS CLI and SDKs against the same server.
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { NagareClient } from '../../client/nagare-client.js';
import { compileClientConfig, type ClientFlags } from '../../config/client-config.js';
import { profileName, removeProfile, saveProfile, userConfigFile } from '../../config/user-config.js';
import { NagareError } from '../../core/errors.js';
import { clientFrom, credentialsHint, withClientOptions } from '../client-options.js';
import type { CommandOutcome } from '../outcome.js';

export function registerSessionCommands(program: Command, done: (outcome: CommandOutcome) => void): void {
  withClientOptions(program.command('login'))
    .description('Check a token against a server and save both under a profile, so later commands need neither flag')
    .addHelpText('after', '\nWithout --token: $NAGARE_TOKEN, the local server\'s initial admin token, or a line read from stdin.\nSaved in $XDG_CONFIG_HOME/nagare/config.json (~/.config/nagare/config.json), mode 0600.\n')
    .action(async (flags: ClientFlags) => {
      const config = compileClientConfig(flags);
      const token = config.token ?? (await readToken());
      const identity = await new NagareClient({ server: config.server, token, credentialsHint: credentialsHint(config) }).whoami();
      const file = userConfigFile();
      saveProfile(file, config.profile, { server: config.server, token });
      const value = { server: config.server, name: identity.name, profile: config.profile, file };
      done({ kind: 'output', json: config.json, value, text: `Signed in to ${config.server} as ${identity.name} (profile '${config.profile}', saved in ${file})\n` });
    });

  program
    .command('logout')
    .description('Forget the server and token saved by nagare login')
    .option('--profile <name>', 'profile to forget (default $NAGARE_PROFILE or "default")')
    .option('--json', 'print JSON')
    .action((flags: { profile?: string; json?: boolean }) => {
      const profile = profileName(flags.profile);
      const file = userConfigFile();
      const removed = removeProfile(file, profile);
      const text = removed ? `Signed out: profile '${profile}' removed from ${file}\n` : `Not signed in: no profile '${profile}' in ${file}\n`;
      done({ kind: 'output', json: flags.json ?? false, value: { profile, removed }, text });
    });

  withClientOptions(program.command('whoami'))
    .description('Say which server and user the client commands use, and where the token came from')
    .action(async (flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const identity = await client.whoami();
      const value = { server: config.server, name: identity.name, tokenSource: config.tokenSource, profile: config.profile };
      done({ kind: 'output', json: config.json, value, text: `${identity.name} at ${config.server} (token from ${config.tokenSource ?? 'nowhere'})\n` });
    });

  withClientOptions(program.command('aws-env'))
    .description('Issue an AWS access key pair and print `export AWS_…` lines for the AWS CLI and SDKs against this server')
    .addHelpText('after', '\nUse: eval "$(nagare aws-env)"; then aws codebuild list-projects (AWS CLI 2.13 and later read AWS_ENDPOINT_URL; older ones need --endpoint-url).\nEach call issues a new key pair.\n')
    .action(async (flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const pair = await client.createAccessKey();
      const value = { AWS_ACCESS_KEY_ID: pair.accessKeyId, AWS_SECRET_ACCESS_KEY: pair.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL: config.server.replace(/\/+$/, '') };
      const text = Object.entries(value).map(([name, v]) => `export ${name}=${shellQuote(v)}\n`).join('');
      done({ kind: 'output', json: config.json, value, text });
    });
}

/** A token typed or piped on stdin (one line). */
async function readToken(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('API token: ');
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    lines.close();
    if (line.trim() !== '') return line.trim();
  }
  throw new NagareError('CONFIG_INVALID', 'nagare login needs a token: pass --token TOKEN, set NAGARE_TOKEN, or give it on stdin');
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
