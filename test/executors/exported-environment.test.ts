import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { parseExportedEnvironment } from '../../src/executors/exported-environment.js';

const tricky = {
  SPACES: 'a  b',
  QUOTES: `it's "double" and 'single'`,
  DOLLAR: '$HOME ${x} `cmd` \\ back',
  NEWLINE: 'one\ntwo\n',
  CONTROL: 'tab\there\x01\x1b[0m',
  UNICODE: 'é 日本 🙂',
  EMPTY: '',
};

for (const shell of ['/bin/sh', '/bin/bash', '/bin/busybox']) {
  void test(`export -p of ${shell} round-trips values with spaces, quotes, $, newlines and control characters`, (t) => {
    const args = shell === '/bin/busybox' ? ['sh', '-c', 'export -p'] : ['-c', 'export -p'];
    let output: string;
    try {
      output = execFileSync(shell, args, { env: tricky, encoding: 'utf8' });
    } catch {
      t.skip(`${shell} is not installed`);
      return;
    }
    const parsed = parseExportedEnvironment(output);
    for (const [name, value] of Object.entries(tricky)) assert.equal(parsed[name], value, name);
  });
}

void test('names exported without a value and bash arrays are not in the environment', () => {
  const parsed = parseExportedEnvironment('declare -x A="1"\ndeclare -ax ARR=([0]="x" [1]="y)")\ndeclare -x UNSET\nexport B\nexport C=\'3\'\n');
  assert.deepEqual(parsed, { A: '1', C: '3' });
});

void test("bash's $'…' escapes decode octal, hex and unicode to UTF-8", () => {
  assert.deepEqual(parseExportedEnvironment("declare -x V=$'\\303\\251\\x41\\u00e9\\n\\'q\\''\n"), { V: "éAé\n'q'" });
});
