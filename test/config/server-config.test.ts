/** Local mirrors are off unless the flag or NAGARE_ALLOW_LOCAL_MIRRORS says otherwise (issue 7). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileServerConfig } from '../../src/config/server-config.js';
import { isNagareError } from '../../src/core/errors.js';

const base = { HOME: '/home/someone' };

test('local mirrors are refused by default, allowed by --allow-local-mirrors or NAGARE_ALLOW_LOCAL_MIRRORS=1', () => {
  assert.equal(compileServerConfig({}, base).allowLocalMirrors, false);
  assert.equal(compileServerConfig({ allowLocalMirrors: true }, base).allowLocalMirrors, true);
  assert.equal(compileServerConfig({}, { ...base, NAGARE_ALLOW_LOCAL_MIRRORS: '1' }).allowLocalMirrors, true);
  assert.equal(compileServerConfig({}, { ...base, NAGARE_ALLOW_LOCAL_MIRRORS: 'true' }).allowLocalMirrors, true);
  assert.equal(compileServerConfig({}, { ...base, NAGARE_ALLOW_LOCAL_MIRRORS: '0' }).allowLocalMirrors, false);
});

test('NAGARE_ALLOW_LOCAL_MIRRORS with another value is CONFIG_INVALID, not silently off', () => {
  assert.throws(
    () => compileServerConfig({}, { ...base, NAGARE_ALLOW_LOCAL_MIRRORS: 'yes please' }),
    (error: unknown) => isNagareError(error) && error.code === 'CONFIG_INVALID' && /NAGARE_ALLOW_LOCAL_MIRRORS/.test(error.message),
  );
});
