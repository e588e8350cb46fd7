/**
 * What the agent says about itself (not the build log): one line per event, on stderr by default.
 * Everything said about one job goes through a child bound to the job's fields (`jobFields`), so
 * that each such line carries the job's trace id beside the server's lines about the same build or
 * deployment; the field names are the server's (`traceId`, `buildId` …), so that one search finds both.
 */
import { traceIdOf } from '../core/trace-parent.js';

export interface AgentLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A logger whose every line also carries `fields` (after the parent's); undefined values are left out. */
  child(fields: Readonly<Record<string, string | undefined>>): AgentLogger;
}

type Fields = readonly (readonly [string, string])[];

/**
 * Lines `2026-12-01T07:00:00.000Z INFO  message  buildId=p:1 traceId=4bf9…`, as the server's
 * readable lines put fields after the message; a value with spaces is quoted.
 */
export function lineLogger(write: (line: string) => void, now: () => Date = () => new Date()): AgentLogger {
  const make = (fields: Fields): AgentLogger => {
    const suffix = fields.length === 0 ? '' : `  ${fields.map(([key, value]) => `${key}=${/[\s"]/.test(value) ? JSON.stringify(value) : value}`).join(' ')}`;
    const line = (level: string, message: string): void => write(`${now().toISOString()} ${level} ${message}${suffix}\n`);
    return {
      info: (m) => line('INFO', m),
      warn: (m) => line('WARN', m),
      error: (m) => line('ERROR', m),
      child: (more) => make([...fields, ...Object.entries(more).filter((e): e is [string, string] => e[1] !== undefined)]),
    };
  };
  return make([]);
}

export function stderrLogger(now: () => Date = () => new Date()): AgentLogger {
  return lineLogger((line) => process.stderr.write(line), now);
}

export const silentLogger: AgentLogger = { info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silentLogger };

/** The fields every line about one job carries: its id, what it runs and its trace. */
export function jobFields(jobId: string, job: { readonly buildId: string; readonly traceParent?: string | undefined } | { readonly deploymentId: string; readonly traceParent?: string | undefined }): Record<string, string | undefined> {
  // A build's job has the build's id; a deploy job has one of its own per instance.
  const subject = 'buildId' in job ? { jobId: jobId === job.buildId ? undefined : jobId, buildId: job.buildId } : { jobId, deploymentId: job.deploymentId };
  return { ...subject, traceId: traceIdOf(job.traceParent) };
}
