/**
 * The one place that formats what the CLI prints: tables for people, JSON for machines, and the
 * colours (only on a terminal, never with NO_COLOR).
 */
import type { LocalBatchRecord } from '../build/local-batch.js';
import type { BuildRecord } from '../build/result.js';
import { isNagareError, SpecErrors } from '../core/errors.js';

export interface Style {
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
  readonly green: (s: string) => string;
  readonly red: (s: string) => string;
  readonly yellow: (s: string) => string;
}

export function style(color: boolean): Style {
  const wrap = (open: number, close: number) => (s: string): string => (color ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return { dim: wrap(2, 22), bold: wrap(1, 22), green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39) };
}

/** Dims the `[Container] <timestamp>` prefix of runner lines so that command output stands out. */
export function colorLogLines(text: string, s: Style): string {
  return text.replace(/^(\[Container\] \S+ \S+) (.*)$/gm, (_all, prefix: string, message: string) => {
    const highlighted = /State: (FAILED|FAULT|TIMED_OUT|STOPPED)|did not exit successfully/.test(message) ? s.red(message)
      : /State: SUCCEEDED/.test(message) ? s.green(message)
      : /^Entering phase/.test(message) ? s.bold(message)
      : message;
    return `${s.dim(prefix)} ${highlighted}`;
  });
}

function statusColor(status: string | undefined, s: Style): string {
  if (status === undefined) return '';
  if (status === 'SUCCEEDED') return s.green(status);
  if (status === 'IN_PROGRESS') return s.yellow(status);
  return s.red(status);
}

/** The closing table of phase, status and duration. */
export function formatBuildSummary(build: BuildRecord, s: Style): string {
  const rows = build.phases
    .filter((p) => p.phaseType !== 'COMPLETED')
    .map((p) => [p.phaseType, p.phaseStatus ?? '', formatDuration(p.startTime, p.endTime)] as const);
  const width = Math.max(...rows.map((r) => r[0].length), 5);
  const statusWidth = Math.max(...rows.map((r) => r[1].length), 6);
  const lines = [s.bold(`${'PHASE'.padEnd(width)}  ${'STATUS'.padEnd(statusWidth)}  DURATION`)];
  for (const [phase, status, duration] of rows) {
    lines.push(`${phase.padEnd(width)}  ${statusColor(status, s)}${' '.repeat(statusWidth - status.length)}  ${duration.padStart(8)}`);
  }
  lines.push('');
  lines.push(`Build ${build.id} (#${build.buildNumber}) ${statusColor(build.buildStatus, s)} in ${formatDuration(build.startTime, build.endTime)}`);
  if (build.artifacts) lines.push(`Artifact: ${build.artifacts.location}`);
  for (const a of build.secondaryArtifacts) lines.push(`Secondary artifact ${a.artifactIdentifier ?? ''}: ${a.location}`);
  for (const r of build.reports) {
    const counts = r.summary ? ` — ${r.summary.total} tests, ${r.summary.statusCounts.SUCCEEDED} passed, ${r.summary.statusCounts.FAILED + r.summary.statusCounts.ERROR} failed, ${r.summary.statusCounts.SKIPPED} skipped`
      : r.codeCoverageSummary ? ` — line coverage ${r.codeCoverageSummary.lineCoveragePercentage}%` : '';
    lines.push(`Report ${r.name}: ${statusColor(r.status, s)}${counts}${r.message ? ` (${r.message})` : ''}`);
  }
  for (const v of build.exportedEnvironmentVariables) lines.push(`Exported ${v.name}=${v.value}`);
  return lines.join('\n') + '\n';
}

/** One table for a batch: a row per build, in the batchspec's order, then the batch's status. */
export function formatBatchSummary(batch: LocalBatchRecord, s: Style): string {
  const rows = batch.builds.map((build) => [
    build.identifier,
    build.status,
    build.record ? formatDuration(build.record.startTime, build.record.endTime) : '',
    build.dependsOn.join(',') + (build.ignoreFailure ? (build.dependsOn.length > 0 ? ' ' : '') + '(ignore-failure)' : ''),
    build.record ? `${build.record.id} (#${build.record.buildNumber})` : '',
  ] as const);
  const width = (index: 0 | 1 | 2 | 3, title: string): number => Math.max(title.length, ...rows.map((row) => row[index].length));
  const [idWidth, statusWidth, durationWidth, dependsWidth] = [width(0, 'IDENTIFIER'), width(1, 'STATUS'), width(2, 'DURATION'), width(3, 'DEPENDS ON')];
  const lines = [s.bold(`${'IDENTIFIER'.padEnd(idWidth)}  ${'STATUS'.padEnd(statusWidth)}  ${'DURATION'.padStart(durationWidth)}  ${'DEPENDS ON'.padEnd(dependsWidth)}  BUILD`)];
  for (const [identifier, status, duration, depends, build] of rows) {
    lines.push(`${identifier.padEnd(idWidth)}  ${statusColor(status, s)}${' '.repeat(statusWidth - status.length)}  ${duration.padStart(durationWidth)}  ${depends.padEnd(dependsWidth)}  ${build}`.trimEnd());
  }
  lines.push('');
  lines.push(`Build batch ${batch.id} ${statusColor(batch.buildBatchStatus, s)} in ${formatDuration(batch.startTime, batch.endTime)}`);
  for (const build of batch.builds) if (build.record?.artifacts) lines.push(`Artifact ${build.identifier}: ${build.record.artifacts.location}`);
  if (batch.combinedArtifact) lines.push(`Combined artifact: ${batch.combinedArtifact}`);
  return lines.join('\n') + '\n';
}

/** One way to write a duration everywhere: `0.42s` under ten seconds, `73s` above. */
export function formatDuration(start: string, end: string | undefined): string {
  if (end === undefined) return '';
  const ms = Date.parse(end) - Date.parse(start);
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)}s` : `${Math.round(ms / 1000)}s`;
}

/**
 * Errors as a person reads them: one line each, with file, line and column for spec errors. An
 * error that is not nagare's own (a system call failing, a bug) is one line too, with its system
 * code when it has one; its stack only when `debug` (NAGARE_DEBUG=1), since a stack is noise to a
 * user and can show paths of the machine.
 */
export function formatError(error: unknown, debug = false): string {
  if (error instanceof SpecErrors) return error.errors.map((e) => `nagare: ${e.describe()}`).join('\n') + '\n';
  if (isNagareError(error)) return `nagare: ${error.describe()}\n`;
  if (!(error instanceof Error)) return `nagare: INTERNAL ${oneLine(String(error))}\n`;
  const systemCode = (error as { code?: unknown }).code;
  const message = oneLine(error.message);
  const prefix = typeof systemCode === 'string' && !message.startsWith(systemCode) ? `${systemCode} ` : '';
  const line = `nagare: INTERNAL ${prefix}${message}`;
  return debug ? `${line}\n${error.stack ?? ''}\n` : `${line} (NAGARE_DEBUG=1 shows the stack)\n`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

export function errorJson(error: unknown): string {
  if (error instanceof SpecErrors) return JSON.stringify({ error: error.toJSON(), errors: error.errors.map((e) => e.toJSON()) }, null, 2) + '\n';
  if (isNagareError(error)) return JSON.stringify({ error: error.toJSON() }, null, 2) + '\n';
  return JSON.stringify({ error: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) } }, null, 2) + '\n';
}
