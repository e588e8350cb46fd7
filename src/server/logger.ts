/** Structured JSON logs (pino) carrying build ids; the one logger type services see. */
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export function createLogger(options: { level: string; destination?: NodeJS.WritableStream }): Logger {
  return pino({ level: options.level, base: { service: 'nagare' } }, options.destination ?? process.stderr);
}
