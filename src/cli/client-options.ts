/** The options every client command shares: --server, --token, --json. */
import type { Command } from 'commander';
import { NagareClient } from '../client/nagare-client.js';
import { compileClientConfig, type ClientConfig, type ClientFlags } from '../config/client-config.js';

export function withClientOptions(command: Command): Command {
  return command
    .option('--server <url>', 'nagare server URL (default $NAGARE_SERVER or http://127.0.0.1:8780)')
    .option('--token <token>', 'API token (default $NAGARE_TOKEN, then the profile `nagare login` saved, then the local server\'s initial admin token)')
    .option('--profile <name>', 'signed-in server to use (default $NAGARE_PROFILE or "default"; see nagare login)')
    .option('--json', 'print JSON');
}

export function clientFrom(flags: ClientFlags): { client: NagareClient; config: ClientConfig } {
  const config = compileClientConfig(flags);
  return { client: new NagareClient({ server: config.server, token: config.token, credentialsHint: credentialsHint(config) }), config };
}

/** What a credentials error adds: where a token was looked for, and how to sign in. */
export function credentialsHint(config: ClientConfig): string {
  if (config.token !== undefined) return `The token came from ${config.tokenSource ?? 'somewhere unknown'}; sign in again with \`nagare login --server ${config.server}\`.`;
  return `No token found; looked at:\n${config.sourcesTried.map((s) => `  - ${s}`).join('\n')}\nSign in with \`nagare login --server ${config.server} --token TOKEN\`.`;
}

/** Rows as an aligned text table. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** A JSON field as table text: strings and numbers as they are, anything else empty. */
export function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}
