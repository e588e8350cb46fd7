/**
 * Runs the commands of one buildspec phase: `commands` in order until one fails, then `finally`
 * (reference §1.6). A failed command is a result with CodeBuild's context message, never an
 * exception.
 */
import type { PhaseSpec } from '../core/buildspec.js';
import type { PhaseContext } from '../core/build-phases.js';
import type { BuildLog } from '../executors/command-log.js';
import { OutputTail } from '../executors/command-log.js';
import type { BuildShells } from '../executors/shells.js';

export type PhaseCommandsResult =
  | { readonly outcome: 'SUCCEEDED' }
  | { readonly outcome: 'FAILED'; readonly context: PhaseContext; readonly failureText: string }
  | { readonly outcome: 'INTERRUPTED' };

export interface PhaseCommandsOptions {
  readonly phase: PhaseSpec;
  readonly user: string | undefined;
  readonly shells: BuildShells;
  readonly log: BuildLog;
  /** True once a timeout or stop has been requested. */
  readonly interrupted: () => boolean;
}

export async function runPhaseCommands(options: PhaseCommandsOptions): Promise<PhaseCommandsResult> {
  const main = await runList(options.phase.commands, options);
  if (main.outcome === 'INTERRUPTED') return main;
  const cleanup = await runList(options.phase.finally, options);
  if (cleanup.outcome === 'INTERRUPTED') return cleanup;
  // The first failure is the phase's context; a failing `finally` fails the phase too (decision 2).
  if (main.outcome === 'FAILED') return main;
  return cleanup;
}

async function runList(commands: readonly string[], options: PhaseCommandsOptions): Promise<PhaseCommandsResult> {
  const tail = new OutputTail();
  for (const command of commands) {
    if (options.interrupted()) return { outcome: 'INTERRUPTED' };
    options.log.system(`Running command ${command}`);
    tail.clear();
    const { exitCode } = await options.shells.run(command, options.user, (chunk) => {
      tail.push(chunk);
      options.log.output(chunk);
    });
    options.log.flushOutput();
    if (options.interrupted()) return { outcome: 'INTERRUPTED' };
    if (exitCode !== 0) {
      options.log.system(`Command did not exit successfully ${command} exit status ${exitCode}`);
      const message = `Error while executing command: ${command}. Reason: exit status ${exitCode}`;
      return {
        outcome: 'FAILED',
        context: { statusCode: 'COMMAND_EXECUTION_ERROR', message },
        failureText: `${message}\n${tail.text()}`,
      };
    }
  }
  return { outcome: 'SUCCEEDED' };
}
