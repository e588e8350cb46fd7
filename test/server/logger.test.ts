/**
 * Issue 13, "logs for people": on a terminal the server writes readable lines (time, level,
 * message, key fields), JSON when not on a terminal or with --log-format json.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { compileServerConfig } from '../../src/config/server-config.js';
import { createLogger } from '../../src/server/logger.js';

function capture(): { stream: Writable; text: () => string } {
  let written = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written += chunk.toString();
      done();
    },
  });
  return { stream, text: () => written };
}

test('a pretty log line has the time, the level, the message and the key fields, not JSON', () => {
  const out = capture();
  const logger = createLogger({ level: 'info', destination: out.stream, format: 'pretty' });
  logger.warn({ buildId: 'app:1234', attempt: 2, reason: 'lease expired' }, 'build queued again');
  logger.error({ err: new Error('disk full') }, 'could not write a log chunk');
  const [warn, error, stack] = out.text().split('\n');
  assert.match(warn ?? '', /^\d\d:\d\d:\d\d WARN {2}build queued again {2}buildId=app:1234 attempt=2 reason="lease expired"$/);
  assert.match(error ?? '', /^\d\d:\d\d:\d\d ERROR could not write a log chunk$/);
  assert.match(stack ?? '', /^ {4}Error: disk full$/);
  assert.doesNotMatch(out.text(), /"level"/);
});

test('the JSON format writes one JSON record a line', () => {
  const out = capture();
  createLogger({ level: 'info', destination: out.stream, format: 'json' }).info({ buildId: 'app:1' }, 'started');
  assert.deepEqual({ ...(JSON.parse(out.text()) as Record<string, unknown>), time: 0 }, { level: 30, time: 0, service: 'nagare', buildId: 'app:1', msg: 'started' });
});

test('logs are pretty on a terminal and JSON otherwise; --log-format and NAGARE_LOG_FORMAT choose', () => {
  assert.equal(compileServerConfig({}, {}, true).logFormat, 'pretty');
  assert.equal(compileServerConfig({}, {}, false).logFormat, 'json');
  assert.equal(compileServerConfig({ logFormat: 'json' }, {}, true).logFormat, 'json');
  assert.equal(compileServerConfig({}, { NAGARE_LOG_FORMAT: 'pretty' }, false).logFormat, 'pretty');
  assert.equal(compileServerConfig({}, { NO_COLOR: '1' }, true).logColor, false);
  assert.throws(() => compileServerConfig({ logFormat: 'xml' }, {}, false), /--log-format must be json or pretty, not 'xml'/);
});
