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

test('retention is off by default; --retain-builds-days and --retain-executions-days (or their variables) take whole days from 1', () => {
  const none = compileServerConfig({}, base);
  assert.deepEqual([none.retainBuildsDays, none.retainExecutionsDays], [undefined, undefined]);
  const set = compileServerConfig({ retainBuildsDays: '30' }, { ...base, NAGARE_RETAIN_EXECUTIONS_DAYS: '90' });
  assert.deepEqual([set.retainBuildsDays, set.retainExecutionsDays], [30, 90]);
  for (const bad of ['0', '-1', '1.5', 'week']) {
    assert.throws(
      () => compileServerConfig({ retainExecutionsDays: bad }, base),
      (error: unknown) => isNagareError(error) && error.code === 'CONFIG_INVALID' && error.message.includes('--retain-executions-days'),
    );
  }
});

test('--approval-webhook-url is an http(s) URL without credentials, else CONFIG_INVALID that does not echo the credentials', () => {
  assert.equal(compileServerConfig({ approvalWebhookUrl: 'https://hooks.example.com/x' }, base).approvalWebhookUrl, 'https://hooks.example.com/x');
  for (const bad of ['ftp://hooks.example.com/x', 'hooks.example.com', 'https://user:pw@hooks.example.com/x']) {
    assert.throws(
      () => compileServerConfig({ approvalWebhookUrl: bad }, base),
      (error: unknown) => isNagareError(error) && error.code === 'CONFIG_INVALID' && error.message.includes('--approval-webhook-url') && !error.message.includes('pw@'),
    );
  }
});

test('--otlp-endpoint (or NAGARE_OTLP_ENDPOINT) is off by default and must be an http(s) URL, else CONFIG_INVALID', () => {
  assert.equal(compileServerConfig({}, base).otlpEndpoint, undefined);
  assert.equal(compileServerConfig({}, { ...base, NAGARE_OTLP_ENDPOINT: '' }).otlpEndpoint, undefined);
  assert.equal(compileServerConfig({ otlpEndpoint: 'http://collector:4318' }, base).otlpEndpoint, 'http://collector:4318');
  assert.equal(compileServerConfig({}, { ...base, NAGARE_OTLP_ENDPOINT: 'https://otlp.example.com' }).otlpEndpoint, 'https://otlp.example.com');
  for (const bad of ['collector:4318', 'grpc://collector:4317', 'http://', 'not a url', 'http://key:secret@collector:4318']) {
    assert.throws(
      () => compileServerConfig({ otlpEndpoint: bad }, base),
      (error: unknown) => isNagareError(error) && error.code === 'CONFIG_INVALID' && error.message.includes('--otlp-endpoint') && !error.message.includes('secret@'),
      bad,
    );
  }
});
