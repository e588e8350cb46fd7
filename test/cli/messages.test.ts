/**
 * Issue 13, messages: errors name the flag the user typed, a typo of a subcommand gets the nearest
 * one suggested, a missing source directory says so, and every command group says what it is for.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCliFromSources } from '../support/cli-server.js';

const OFFLINE = { NAGARE_SERVER: 'http://127.0.0.1:9', NAGARE_TOKEN: 'ngu_unused' };

test('nagare build strat suggests start (exit 2), instead of "too many arguments"', async () => {
  const run = await runCliFromSources(['build', 'strat', 'hello']);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /no command 'strat'; did you mean 'start'\?/);
  assert.doesNotMatch(run.stderr, /too many arguments/);
});

test('nagare build -s /nonexistent says the directory does not exist, not that the buildspec is missing', async () => {
  const run = await runCliFromSources(['build', '-s', '/nonexistent-nagare-source']);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /BUILD_SOURCE_NOT_FOUND -s\/--source: the directory \/nonexistent-nagare-source does not exist/);
});

test('bad numbers name the flag typed: -n/--limit and --timeout, never limit NaN or timeoutInMinutesOverride', async () => {
  const list = await runCliFromSources(['build', 'list', '-n', 'abc'], OFFLINE);
  assert.equal(list.status, 2);
  assert.match(list.stderr, /-n\/--limit must be a whole number of builds from 1 to 100, not 'abc'/);
  const start = await runCliFromSources(['build', 'start', 'app', '--timeout', '3'], OFFLINE);
  assert.equal(start.status, 2);
  assert.match(start.stderr, /--timeout must be a whole number of minutes from 5 to 2160, not '3'/);
  assert.doesNotMatch(start.stderr, /timeoutInMinutesOverride/);
});

test('every command and command group has a description in nagare --help', async () => {
  const run = await runCliFromSources(['--help']);
  const commands = run.stdout.slice(run.stdout.indexOf('Commands:')).split('\n').slice(1).filter((line) => /^ {2}\S/.test(line));
  assert.ok(commands.length > 10);
  for (const line of commands) assert.match(line, /^ {2}\S.*\S {2,}\S/, `no description: ${line}`);
  // --help names what is built: deployments (a deploy command, and agents that deploy) are CodeDeploy's.
  assert.ok(commands.some((line) => /^ {2}deploy/.test(line)), 'a deploy command');
  assert.match(run.stdout, /CodeDeploy appspecs/);
  assert.match(commands.find((line) => /^ {2}agent \[/.test(line)) ?? '', /deployments/);
});
