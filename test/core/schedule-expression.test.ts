/** EventBridge schedule expressions (reference §3.3), rule by rule. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextRun, parseSchedule, type Schedule } from '../../src/core/schedule-expression.js';

function schedule(expression: string): Schedule {
  const result = parseSchedule(expression);
  assert.ok('schedule' in result, `${expression}: ${'error' in result ? result.error : ''}`);
  return result.schedule;
}
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

test('rate(value unit): singular for 1, plural otherwise; counted from the rule\'s creation', () => {
  const created = at('2026-01-01T00:00:30Z');
  assert.equal(iso(nextRun(schedule('rate(5 minutes)'), created, created)), '2026-01-01T00:05:30.000Z');
  assert.equal(iso(nextRun(schedule('rate(1 hour)'), at('2026-01-01T03:10:00Z'), created)), '2026-01-01T04:00:30.000Z');
  assert.match(String((parseSchedule('rate(1 hours)') as { error: string }).error), /rate\(1 hour\)/);
  assert.ok('error' in parseSchedule('rate(5 hour)'));
  assert.ok('error' in parseSchedule('rate(0 minutes)'));
});

test('cron(0 12 * * ? *) runs at noon UTC every day', () => {
  assert.equal(iso(nextRun(schedule('cron(0 12 * * ? *)'), at('2026-03-01T12:00:00Z'), 0)), '2026-03-02T12:00:00.000Z');
});

test('cron(0/5 8-17 ? * MON-FRI *) runs every five minutes in working hours on weekdays', () => {
  const s = schedule('cron(0/5 8-17 ? * MON-FRI *)');
  assert.equal(iso(nextRun(s, at('2026-12-04T17:56:00Z'), 0)), '2026-12-07T08:00:00.000Z', 'Friday evening → Monday 08:00');
  assert.equal(iso(nextRun(s, at('2026-12-07T08:00:00Z'), 0)), '2026-12-07T08:05:00.000Z');
});

test('cron lists, names and wrapping hour ranges (20-2)', () => {
  assert.equal(iso(nextRun(schedule('cron(5,35 14 * * ? *)'), at('2026-01-01T14:05:00Z'), 0)), '2026-01-01T14:35:00.000Z');
  assert.equal(iso(nextRun(schedule('cron(0 20-2 * * ? *)'), at('2026-01-01T23:30:00Z'), 0)), '2026-01-02T00:00:00.000Z');
  assert.equal(iso(nextRun(schedule('cron(0 0 1 JAN,JUL ? *)'), at('2026-02-01T00:00:00Z'), 0)), '2026-07-01T00:00:00.000Z');
});

test('a cron year range that has passed never runs again', () => {
  assert.equal(nextRun(schedule('cron(0 0 * * ? 2019-2022)'), at('2026-01-01T00:00:00Z'), 0), undefined);
});

test('day-of-month and day-of-week cannot both be given: one must be ?', () => {
  assert.match(String((parseSchedule('cron(0 12 * * MON *)') as { error: string }).error), /\?/);
  assert.ok('error' in parseSchedule('cron(0 12 ? * ? *)'));
});

test('bad cron fields are refused; L, W and # are named as not supported yet', () => {
  assert.ok('error' in parseSchedule('cron(0 12 * *)'));
  assert.ok('error' in parseSchedule('cron(60 12 * * ? *)'));
  assert.ok('error' in parseSchedule('every day'));
  const last = parseSchedule('cron(15 10 ? * 6L 2019-2022)');
  assert.deepEqual('unsupported' in last && last.unsupported, true);
});
