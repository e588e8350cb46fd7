/**
 * The compiled CLI as a user runs it: `nagare up` or `nagare server` in a child process (so it can
 * be killed with SIGKILL), its URL read from what it prints, and the first start's credentials.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess, type ProcessRun } from './processes.js';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
/** The CLI's TypeScript entry, run through tsx by tests that need no build. */
export const CLI_SOURCE = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** `nagare …args` from the TypeScript sources, in a child process with `extra` in its environment. */
export function runCliFromSources(args: readonly string[], extra: Record<string, string> = {}): Promise<ProcessRun> {
  return runProcess(process.execPath, ['--import', 'tsx', CLI_SOURCE, ...args], { env: childEnvironment(extra) });
}

/** The environment for child processes: NODE_TEST_CONTEXT would make a child `node --test` report to this runner. */
export function childEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { NODE_TEST_CONTEXT: _ignored, ...clean } = process.env;
  return { ...clean, NO_COLOR: '1', ...extra };
}

export interface CliServer {
  readonly child: ChildProcess;
  readonly url: string;
  /** What the server printed on stderr so far. */
  readonly stderr: () => string;
}

/** Starts `nagare <command> --data-dir DIR …extra` and resolves once it says where it listens. */
export async function startCliServer(command: 'up' | 'server', dataDir: string, extra: readonly string[] = []): Promise<CliServer> {
  const child = spawn(process.execPath, [CLI, command, '--data-dir', dataDir, ...(extra.includes('--port') ? [] : ['--port', '0']), ...extra], { stdio: ['ignore', 'ignore', 'pipe'], env: childEnvironment() });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = new RegExp(`nagare ${command} at (http://\\S+)`).exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`nagare ${command} exited with ${code}: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

/** The admin token, access key and secret the first start wrote. */
export function initialCredentials(dataDir: string): { token: string; accessKeyId: string; secretAccessKey: string } {
  return JSON.parse(readFileSync(path.join(dataDir, 'initial-credentials.json'), 'utf8')) as { token: string; accessKeyId: string; secretAccessKey: string };
}

/** Ends the process (SIGTERM by default) and waits for it. */
export async function stopCliServer(server: CliServer, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.on('exit', resolve));
  server.child.kill(signal);
  await exited;
}
