/**
 * EventBridge schedule expressions (reference §3.3): `rate(value unit)` and the six-field
 * `cron(Minutes Hours Day-of-month Month Day-of-week Year)`, in UTC, one-minute granularity.
 * `parseSchedule` checks an expression once; `nextRun` says when it fires next after a moment.
 * The cron forms supported are `,` `-` `*` `/` and `?`; `L`, `W` and `#` are refused as not
 * supported yet (never silently read as something else).
 */
export type Schedule =
  | { readonly kind: 'rate'; readonly everyMs: number }
  | { readonly kind: 'cron'; readonly minutes: ReadonlySet<number>; readonly hours: ReadonlySet<number>; readonly daysOfMonth: ReadonlySet<number> | 'any'; readonly months: ReadonlySet<number>; readonly daysOfWeek: ReadonlySet<number> | 'any'; readonly years: ReadonlySet<number> };

export type ScheduleResult = { readonly schedule: Schedule } | { readonly error: string; readonly unsupported?: true };

const UNIT_MS: Readonly<Record<string, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export function parseSchedule(expression: string): ScheduleResult {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] ?? '';
    const singular = unit.replace(/s$/, '');
    if (value <= 0) return { error: 'A rate is a positive whole number' };
    if ((value === 1) !== (unit === singular)) return { error: `Write rate(1 ${singular}) for one, rate(${value === 1 ? 2 : value} ${singular}s) for more` };
    return { schedule: { kind: 'rate', everyMs: value * (UNIT_MS[singular] ?? 0) } };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) return { error: `A schedule is rate(value unit) or cron(minutes hours day-of-month month day-of-week year); got '${expression}'` };
  const fields = (cron[1] ?? '').trim().split(/\s+/);
  if (fields.length !== 6) return { error: `cron() takes six fields (minutes hours day-of-month month day-of-week year); got ${fields.length}` };
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if (/[LW#]/.test(dom + dow)) return { error: 'The L, W and # forms of cron() are not supported yet', unsupported: true };
  if ((dom === '?') === (dow === '?')) return { error: 'One of day-of-month and day-of-week must be ? (and only one)' };
  try {
    return {
      schedule: {
        kind: 'cron',
        minutes: field(min, 0, 59, []),
        hours: field(hour, 0, 23, []),
        daysOfMonth: dom === '?' ? 'any' : field(dom, 1, 31, []),
        months: field(month, 1, 12, MONTHS),
        daysOfWeek: dow === '?' ? 'any' : field(dow, 1, 7, DAYS),
        years: field(year, 1970, 2199, []),
      },
    };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** The values one cron field allows; names (JAN, MON) count from the field's minimum. */
function field(text: string, low: number, high: number, names: readonly string[]): Set<number> {
  const values = new Set<number>();
  const value = (token: string): number => {
    const named = names.indexOf(token.toUpperCase());
    const n = named >= 0 ? named + low : /^\d+$/.test(token) ? Number(token) : NaN;
    if (!(n >= low && n <= high)) throw new Error(`'${token}' is not in ${low}–${high}${names.length > 0 ? ` or ${names[0]}–${names.at(-1)}` : ''}`);
    return n;
  };
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`'${part}' has a bad increment`);
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [low, high];
    else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      [from, to] = [value(a), value(b)];
    } else [from, to] = [value(range), stepText === undefined ? value(range) : high];
    // A range may wrap (hours 20-2): from 20 to the top, then from the bottom to 2.
    const span = to >= from ? to - from : to + (high - low + 1) - from;
    for (let i = 0; i <= span; i += step) values.add(((from - low + i) % (high - low + 1)) + low);
  }
  return values;
}

/** The first run strictly after `afterMs` (rates count from `originMs`, the rule's creation); undefined when none is left. */
export function nextRun(schedule: Schedule, afterMs: number, originMs: number): number | undefined {
  if (schedule.kind === 'rate') return originMs + (Math.floor((afterMs - originMs) / schedule.everyMs) + 1) * schedule.everyMs;
  const t = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
  // Minute by minute would be slow over years; skip whole days and hours that cannot match.
  for (let guard = 0; guard < 400_000; guard += 1) {
    const year = t.getUTCFullYear();
    if (year > 2199) return undefined;
    if (!schedule.years.has(year) || !schedule.months.has(t.getUTCMonth() + 1) || !dayMatches(schedule, t)) {
      t.setUTCHours(0, 0, 0, 0);
      t.setUTCDate(t.getUTCDate() + 1);
      continue;
    }
    if (!schedule.hours.has(t.getUTCHours())) {
      t.setUTCMinutes(0, 0, 0);
      t.setUTCHours(t.getUTCHours() + 1);
      continue;
    }
    if (schedule.minutes.has(t.getUTCMinutes())) return t.getTime();
    t.setUTCMinutes(t.getUTCMinutes() + 1);
  }
  return undefined;
}

function dayMatches(schedule: Extract<Schedule, { kind: 'cron' }>, t: Date): boolean {
  const dom = schedule.daysOfMonth === 'any' || schedule.daysOfMonth.has(t.getUTCDate());
  const dow = schedule.daysOfWeek === 'any' || schedule.daysOfWeek.has(t.getUTCDay() + 1);
  return dom && dow;
}
