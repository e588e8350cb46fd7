/**
 * EventBridge event patterns (reference §3.2): `parseEventPattern` checks a pattern once, at
 * PutRule, and `matchesPattern` tests an event against it. Every field a pattern names must match
 * (AND); every leaf is an array of which any element may match (OR); strings compare exactly,
 * numbers by their JSON text unless `numeric` is used. Supported: exact values (string, number,
 * null), `prefix`, `suffix`, `equals-ignore-case`, `wildcard`, `anything-but` (a value, a list,
 * `prefix`, `suffix`, `equals-ignore-case`), `numeric`, `exists`, and `$or`. `cidr` is refused as
 * not supported yet rather than matched wrongly.
 */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

export interface PatternProblem {
  /** Where in the pattern, e.g. `detail.state[0]`. */
  readonly path: string;
  readonly message: string;
  /** An operator EventBridge has that nagare does not match yet. */
  readonly unsupported?: true;
}

const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'wildcard', 'anything-but', 'numeric', 'exists', 'cidr']);
const NUMERIC_OPS = new Set(['=', '<', '<=', '>', '>=']);

/** Every problem of the pattern at once; none means it can be used. */
export function checkEventPattern(pattern: unknown): PatternProblem[] {
  const problems: PatternProblem[] = [];
  if (!isObject(pattern)) return [{ path: '', message: 'An event pattern is a JSON object' }];
  checkObject(pattern, '', problems);
  return problems;
}

function checkObject(pattern: { readonly [key: string]: unknown }, path: string, problems: PatternProblem[]): void {
  for (const [key, value] of Object.entries(pattern)) {
    const at = path ? `${path}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) problems.push({ path: at, message: '$or takes an array of at least two pattern objects' });
      else value.forEach((branch, i) => checkObject(branch, `${at}[${i}]`, problems));
    } else if (Array.isArray(value)) {
      if (value.length === 0) problems.push({ path: at, message: 'A pattern leaf is a non-empty array of values' });
      value.forEach((item, i) => checkMatcher(item, `${at}[${i}]`, problems));
    } else if (isObject(value)) {
      checkObject(value, at, problems);
    } else {
      problems.push({ path: at, message: `A pattern leaf must be an array, e.g. "${key}": [${JSON.stringify(value)}]` });
    }
  }
}

function checkMatcher(item: unknown, path: string, problems: PatternProblem[]): void {
  if (item === null || typeof item === 'string' || typeof item === 'number') return;
  if (!isObject(item)) return void problems.push({ path, message: 'A pattern value is a string, a number, null, or an operator object' });
  const keys = Object.keys(item);
  const [operator] = keys;
  if (keys.length !== 1 || operator === undefined || !OPERATORS.has(operator)) return void problems.push({ path, message: `Unknown operator ${keys.join(', ') || '{}'}; EventBridge has ${[...OPERATORS].join(', ')}` });
  const value = item[operator];
  switch (operator) {
    case 'prefix':
    case 'suffix':
      if (typeof value !== 'string' && !(isObject(value) && typeof value['equals-ignore-case'] === 'string')) problems.push({ path, message: `${operator} takes a string (or {"equals-ignore-case": string})` });
      return;
    case 'equals-ignore-case':
      if (typeof value !== 'string') problems.push({ path, message: 'equals-ignore-case takes a string' });
      return;
    case 'wildcard':
      if (typeof value !== 'string') problems.push({ path, message: 'wildcard takes a string' });
      else if (/\*\*/.test(value.replace(/\\./g, ''))) problems.push({ path, message: 'wildcard may not have consecutive *' });
      else if (/\\[^*\\]/.test(value)) problems.push({ path, message: 'wildcard escapes only \\* and \\\\' });
      return;
    case 'exists':
      if (typeof value !== 'boolean') problems.push({ path, message: 'exists takes true or false' });
      return;
    case 'cidr':
      problems.push({ path, message: 'The cidr operator is not supported yet', unsupported: true });
      return;
    case 'numeric':
      checkNumeric(value, path, problems);
      return;
    default:
      checkAnythingBut(value, path, problems);
  }
}

function checkNumeric(value: unknown, path: string, problems: PatternProblem[]): void {
  if (!Array.isArray(value) || (value.length !== 2 && value.length !== 4)) return void problems.push({ path, message: 'numeric takes [op, number] or [lower-op, number, upper-op, number]' });
  for (let i = 0; i < value.length; i += 2) {
    if (typeof value[i] !== 'string' || !NUMERIC_OPS.has(value[i] as string) || typeof value[i + 1] !== 'number') return void problems.push({ path, message: `numeric operators are = < <= > >=, each followed by a number` });
  }
  if (value.length === 4 && !(['>', '>='].includes(value[0] as string) && ['<', '<='].includes(value[2] as string))) problems.push({ path, message: 'a numeric range is a lower bound (> or >=) then an upper bound (< or <=)' });
}

function checkAnythingBut(value: unknown, path: string, problems: PatternProblem[]): void {
  if (typeof value === 'string' || typeof value === 'number') return;
  if (Array.isArray(value)) {
    if (!(value.every((v) => typeof v === 'string') || value.every((v) => typeof v === 'number'))) problems.push({ path, message: 'anything-but takes a list of all strings or all numbers' });
    return;
  }
  if (isObject(value)) {
    const [key, ...rest] = Object.keys(value);
    const inner = key === undefined ? undefined : value[key];
    const ok = rest.length === 0 && ((key === 'prefix' || key === 'suffix') ? typeof inner === 'string' || (Array.isArray(inner) && inner.every((v) => typeof v === 'string')) : key === 'equals-ignore-case' ? typeof inner === 'string' || (Array.isArray(inner) && inner.every((v) => typeof v === 'string')) : key === 'wildcard' && typeof inner === 'string');
    if (!ok) problems.push({ path, message: 'anything-but takes a value, a list, or {prefix|suffix|equals-ignore-case|wildcard: …}' });
    return;
  }
  problems.push({ path, message: 'anything-but takes a value, a list, or an object' });
}

/** Whether the event matches a pattern that checkEventPattern accepted. */
export function matchesPattern(pattern: { readonly [key: string]: Json }, event: Json): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    if (key === '$or') return Array.isArray(expected) && expected.some((branch) => isObject(branch) && matchesPattern(branch, event));
    const value = isObject(event) ? event[key] : undefined;
    if (Array.isArray(expected)) return matchesLeaf(expected, value);
    if (!isObject(expected)) return false;
    // An array of objects in the event: the array level is flattened away.
    if (isArray(value)) return value.some((element) => matchesPattern(expected, element));
    return matchesPattern(expected, value ?? null);
  });
}

function matchesLeaf(matchers: readonly Json[], value: Json | undefined): boolean {
  const present = value !== undefined && !isObject(value);
  return matchers.some((matcher) => {
    if (isObject(matcher) && 'exists' in matcher) return matcher.exists === present;
    if (value === undefined) return false;
    const values: readonly Json[] = isArray(value) ? value : [value];
    return values.some((v) => matchesValue(matcher, v));
  });
}

function matchesValue(matcher: Json, value: Json): boolean {
  if (matcher === null || typeof matcher === 'string') return value === matcher;
  if (typeof matcher === 'number') return typeof value === 'number' && JSON.stringify(value) === JSON.stringify(matcher);
  if (!isObject(matcher)) return false;
  const [operator] = Object.keys(matcher);
  const argument = operator === undefined ? undefined : (matcher)[operator];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && (typeof argument === 'string' ? value.startsWith(argument) : value.toLowerCase().startsWith(ignoreCase(argument)));
    case 'suffix':
      return typeof value === 'string' && (typeof argument === 'string' ? value.endsWith(argument) : value.toLowerCase().endsWith(ignoreCase(argument)));
    case 'equals-ignore-case':
      return typeof value === 'string' && typeof argument === 'string' && value.toLowerCase() === argument.toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && typeof argument === 'string' && wildcard(argument).test(value);
    case 'numeric':
      return typeof value === 'number' && Array.isArray(argument) && numeric(argument, value);
    case 'anything-but':
      return anythingBut(argument, value);
    default:
      return false;
  }
}

function ignoreCase(argument: Json | undefined): string {
  return isObject(argument) && typeof argument['equals-ignore-case'] === 'string' ? argument['equals-ignore-case'].toLowerCase() : '\u0000';
}

function anythingBut(argument: Json | undefined, value: Json): boolean {
  if (typeof argument === 'string' || typeof argument === 'number') return !matchesValue(argument, value);
  if (isArray(argument)) return !argument.some((a) => matchesValue(a, value));
  if (!isObject(argument) || typeof value !== 'string') return false;
  const [key] = Object.keys(argument);
  const inner = key === undefined ? undefined : argument[key];
  const list = (Array.isArray(inner) ? inner : [inner]).filter((v): v is string => typeof v === 'string');
  if (key === 'prefix') return !list.some((p) => value.startsWith(p));
  if (key === 'suffix') return !list.some((s) => value.endsWith(s));
  if (key === 'equals-ignore-case') return !list.some((s) => s.toLowerCase() === value.toLowerCase());
  if (key === 'wildcard') return !list.some((w) => wildcard(w).test(value));
  return false;
}

function numeric(conditions: readonly Json[], value: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const op = conditions[i];
    const bound = conditions[i + 1];
    if (typeof bound !== 'number') return false;
    const ok = op === '=' ? value === bound : op === '<' ? value < bound : op === '<=' ? value <= bound : op === '>' ? value > bound : op === '>=' ? value >= bound : false;
    if (!ok) return false;
  }
  return true;
}

function wildcard(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern.charAt(i);
    if (c === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern.charAt((i += 1)));
    else source += c === '*' ? '.*' : escapeRegExp(c);
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Array.isArray narrows a readonly Json[] to any[]; this keeps the element type. */
function isArray(value: Json | undefined): value is readonly Json[] {
  return Array.isArray(value);
}

function isObject(value: unknown): value is { readonly [key: string]: Json } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
