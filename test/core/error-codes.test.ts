/**
 * Every error code is documented, raised somewhere, and mapped: to an HTTP status, an AWS error and
 * a CLI exit status (the mappings are exhaustive switches; this checks what they answer).
 */
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { awsErrorOf } from '../../src/api/aws/aws-routes.js';
import { httpStatusOf } from '../../src/api/http-errors.js';
import { errorExitCode } from '../../src/cli/outcome.js';
import { ERROR_CODES, unhandledCode } from '../../src/core/errors.js';

test('docs/errors.md lists exactly the codes of ERROR_CODES', async () => {
  const documented = [...(await readFile('docs/errors.md', 'utf8')).matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
  assert.deepEqual([...documented].sort(), [...ERROR_CODES].sort());
});

test('every code is raised by some part of nagare, not only listed and mapped', async () => {
  const entries = await readdir('src', { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => path.join(e.parentPath, e.name)).filter((f) => f !== path.join('src', 'core', 'errors.ts'));
  // The mappings' `case 'CODE':` lines name every code; they are not what raises one.
  const text = (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('\n').replace(/^\s*case '[A-Z_]+':$/gm, '');
  assert.deepEqual(ERROR_CODES.filter((code) => !text.includes(`'${code}'`)), []);
});

test('every code maps to an HTTP status, an AWS error of the same class and an exit status', () => {
  for (const code of ERROR_CODES) {
    const status = httpStatusOf(code);
    const aws = awsErrorOf(code);
    assert.ok(status >= 400 && status < 600, code);
    assert.equal(aws.status >= 500, status >= 500, `${code}: nagare's own faults are 5xx in both APIs`);
    if (status >= 500) assert.equal(errorExitCode(code), 3, `${code}: nagare's own fault`);
    assert.ok([2, 3].includes(errorExitCode(code)), code);
  }
  assert.equal(errorExitCode('STORE_UNAVAILABLE'), 3);
  assert.equal(errorExitCode('SPEC_YAML_SYNTAX'), 2);
});

test('an unknown code reaching an exhaustive mapping is reported by name', () => {
  assert.throws(() => unhandledCode('NO_SUCH_CODE' as never), { name: 'TypeError', message: 'Unhandled error code: NO_SUCH_CODE' });
  assert.throws(() => httpStatusOf('NO_SUCH_CODE' as never), /NO_SUCH_CODE/);
});
