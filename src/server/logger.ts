/** Structured logs (pino) carrying build ids; the one logger type services see. */
import { Writable } from 'node:stream';
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/** `json`: one JSON record a line, for machines; `pretty`: a readable line, for a terminal. */
export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  readonly level: string;
  readonly destination?: NodeJS.WritableStream;
  readonly format?: LogFormat;
  /** Colour the level of pretty lines (a terminal without NO_COLOR). */
  readonly color?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? process.stderr;
  const sink = options.format === 'pretty' ? prettyStream(destination, options.color ?? false) : destination;
  return pino({ level: options.level, base: { service: 'nagare' } }, sink);
}

const LEVELS: Readonly<Record<number, readonly [string, string]>> = {
  10: ['TRACE', '\x1b[90m'],
  20: ['DEBUG', '\x1b[36m'],
  30: ['INFO ', '\x1b[32m'],
  40: ['WARN ', '\x1b[33m'],
  50: ['ERROR', '\x1b[31m'],
  60: ['FATAL', '\x1b[41m'],
};
const HIDDEN = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

/**
 * One line a record: `12:03:04 INFO  message key=value …`, then an error's stack indented. Written
 * here rather than with pino-pretty: a line of time, level, message and fields is all a person
 * reading a terminal needs, and it needs no worker thread in the bundled CLI.
 */
export function formatPretty(line: string, color: boolean): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${line}\n`;
  }
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 19) : '';
  const [name, colour] = LEVELS[typeof record.level === 'number' ? record.level : 30] ?? ['INFO ', ''];
  const level = color ? `${colour}${name}\x1b[0m` : name;
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN.has(key) && key !== 'err')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? (/\s/.test(value) ? JSON.stringify(value) : value) : JSON.stringify(value)}`);
  const err = record.err as { message?: string; stack?: string } | undefined;
  const error = err ? `\n    ${(err.stack ?? err.message ?? '').split('\n').join('\n    ')}` : '';
  return `${time} ${level} ${typeof record.msg === 'string' ? record.msg : ''}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}${error}\n`;
}

function prettyStream(destination: NodeJS.WritableStream, color: boolean): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line !== '') destination.write(formatPretty(line, color));
      done();
    },
  });
}
