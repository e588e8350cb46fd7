#!/usr/bin/env node
/**
 * The `nagare` command. Commands register themselves (command-table.ts loads the ones the
 * command line names) and return an outcome; this file alone prints results and chooses the exit status.
 */
import { Command, CommanderError } from 'commander';
import { debugEnabled } from '../config/environment.js';
import { isNagareError } from '../core/errors.js';
import { registerCommands } from './command-table.js';
import { unknownSubcommand } from './did-you-mean.js';
import { buildExitCode, deploymentExitCode, DETACHED_EXIT_CODE, errorExitCode, type CommandOutcome } from './outcome.js';
import { errorJson, formatError } from './output.js';

async function main(argv: readonly string[]): Promise<number> {
  let outcome: CommandOutcome | undefined;
  const program = new Command()
    .name('nagare')
    .description('Self-hosted CI/CD that runs AWS CodeBuild buildspecs, CodeDeploy appspecs on your own hosts and CodePipeline pipelines, and hosts git repositories like CodeCommit')
    .version('0.1.0')
    .exitOverride()
    // Options after a subcommand belong to it (`nagare build list --json`), not to its parent.
    .enablePositionalOptions()
    .showHelpAfterError();
  const done = (result: CommandOutcome): void => {
    outcome = result;
  };
  // Only the modules of the command named (all of them for help or an unknown word).
  await registerCommands(program, argv, done);
  const wantsJson = argv.includes('--json');
  const unknown = unknownSubcommand(program, argv);
  if (unknown !== undefined) {
    process.stderr.write(unknown);
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    process.stderr.write(wantsJson ? errorJson(error) : formatError(error, debugEnabled()));
    return errorExitCode(isNagareError(error) ? error.code : undefined);
  }
  if (!outcome) return 0;
  switch (outcome.kind) {
    case 'validated':
      if (outcome.json) process.stdout.write(JSON.stringify({ valid: true, file: outcome.file, warnings: outcome.warnings }) + '\n');
      else process.stdout.write(`${outcome.file}: valid${outcome.warnings.map((line) => `\n${line}`).join('')}\n`);
      return 0;
    case 'build':
      if (outcome.json) process.stdout.write(JSON.stringify(outcome.record, null, 2) + '\n');
      return buildExitCode(outcome.record.buildStatus);
    case 'output':
      process.stdout.write(outcome.json ? JSON.stringify(outcome.value, null, 2) + '\n' : outcome.text);
      return outcome.buildStatus === undefined ? 0 : buildExitCode(outcome.buildStatus);
    case 'deployment':
      if (outcome.json) process.stdout.write(JSON.stringify(outcome.record, null, 2) + '\n');
      return deploymentExitCode(outcome.record.status);
    case 'detached':
      process.stderr.write(outcome.text);
      return DETACHED_EXIT_CODE;
    case 'stopped':
      return 0;
  }
}

/**
 * What escapes every command (a listener throwing, a promise nobody awaited) is said in one line
 * like any other internal error, not as Node's raw stack, and ends the process: its state is unknown.
 */
function failed(error: unknown): void {
  process.stderr.write(formatError(error, debugEnabled()));
  process.exit(3);
}
process.on('uncaughtException', failed);
process.on('unhandledRejection', failed);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(formatError(error, debugEnabled()));
    process.exitCode = 3;
  },
);
