import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { isNagareError } from '../../src/core/errors.js';
import { lookUpUser } from '../../src/executors/host-users.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const asRoot = process.getuid?.() === 0 ? undefined : 'needs root to create and change a user';

void test('a user is looked up again once /etc/passwd changes: a uid changed by usermod is seen by the next build', { skip: asRoot }, async () => {
  const user = `nagare-ids-${process.pid}`;
  execFileSync('useradd', ['--no-create-home', '--shell', '/bin/sh', user], { stdio: 'ignore' });
  try {
    const first = await lookUpUser(user, env);
    assert.equal(first.uid, Number(execFileSync('id', ['-u', user]).toString()));
    assert.deepEqual(await lookUpUser(user, env), first, 'the same answer while nothing changed');
    const changed = first.uid + 1000;
    execFileSync('usermod', ['-u', String(changed), user], { stdio: 'ignore' });
    assert.equal((await lookUpUser(user, env)).uid, changed);
  } finally {
    execFileSync('userdel', [user], { stdio: 'ignore' });
  }
  await assert.rejects(lookUpUser(user, env), (error: unknown) => isNagareError(error) && error.code === 'EXEC_USER_UNKNOWN', 'a deleted user is unknown at once');
});

void test('an unknown user is EXEC_USER_UNKNOWN naming it, and is not remembered as known', async () => {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    await assert.rejects(lookUpUser('nagare-no-such-user', env), (error: unknown) => isNagareError(error) && error.code === 'EXEC_USER_UNKNOWN' && error.message.includes('nagare-no-such-user'));
  }
});
