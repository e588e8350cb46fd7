/**
 * The command table (src/cli/command-table.ts): each module registers exactly the top-level
 * commands the table names for it, so a command line loading only its module finds its command,
 * and `nagare --help` (every module) lists them all.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { COMMAND_MODULES, modulesFor, registerCommands } from '../../src/cli/command-table.js';

const run = promisify(execFile);
const cli = path.resolve('dist/cli/main.js');

void test('each module registers exactly the top-level commands the table names for it', async () => {
  for (const module of COMMAND_MODULES) {
    const program = new Command();
    (await module.load())(program, () => undefined);
    assert.deepEqual(program.commands.map((command) => command.name()).sort(), [...module.names].sort(), `the module of ${module.names.join(', ')}`);
  }
});

void test('a command line loads the module of its first word only; help, an unknown word and none load every module', async () => {
  assert.deepEqual(modulesFor(['build', '--source', '.']).map((module) => module.names), [['build']]);
  assert.deepEqual(modulesFor(['deploy', 'local']).map((module) => module.names), [['app', 'deployment-group', 'deploy', 'instance']]);
  assert.deepEqual(modulesFor(['--version']), []);
  for (const argv of [[], ['--help'], ['help', 'build'], ['biuld']]) assert.equal(modulesFor(argv).length, COMMAND_MODULES.length, argv.join(' '));
  const all = new Command();
  await registerCommands(all, ['--help'], () => undefined);
  assert.deepEqual(all.commands.map((command) => command.name()), COMMAND_MODULES.flatMap((module) => module.names));
});

void test('the built CLI lists every command in --help, runs one named alone, and suggests the nearest for a typo', async () => {
  const help = (await run(process.execPath, [cli, '--help'])).stdout;
  for (const name of COMMAND_MODULES.flatMap((module) => module.names)) assert.match(help, new RegExp(`^  ${name}\\b`, 'm'), `--help lists ${name}`);
  assert.match((await run(process.execPath, [cli, 'rule', '--help'])).stdout, /Usage: nagare rule/);
  assert.equal((await run(process.execPath, [cli, '--version'])).stdout.trim(), '0.1.0');
  const typo = await run(process.execPath, [cli, 'piepline']).then(() => assert.fail('a typo must fail'), (error: { code: number; stderr: string }) => error);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /Did you mean pipeline\?/);
});
