/**
 * What a server build produced, from the CLI: `nagare build show ID` (source, times, phases with
 * their contexts, artifacts with sizes, report totals with failing cases, exported variables),
 * `nagare build artifacts ID [-o DIR]` (downloads the zips) and `nagare build reports ID`.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import type { Json } from '../../client/nagare-client.js';
import type { ClientFlags } from '../../config/client-config.js';
import { NagareError } from '../../core/errors.js';
import { clientFrom, table, text, withClientOptions } from '../client-options.js';
import type { CommandOutcome } from '../outcome.js';
import { formatDuration } from '../output.js';

const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const object = (value: unknown): Json | undefined => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined);

/** Bytes as people read them: 512 B, 3.4 KiB, 12.0 MiB. */
export function size(bytes: unknown): string {
  if (typeof bytes !== 'number') return '';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function artifactsOf(build: Json): Json[] {
  return [...(object(build.artifacts) ? [object(build.artifacts) as Json] : []), ...list(build.secondaryArtifacts)].filter((a) => typeof a.name === 'string');
}

export function registerBuildResultCommands(build: Command, done: (outcome: CommandOutcome) => void): void {
  withClientOptions(build.command('artifacts <id>'))
    .description('Download a build\'s artifact zips')
    .option('-o, --output <dir>', 'directory to write them to (created if missing)', '.')
    .action(async (id: string, flags: ClientFlags & { output: string }) => {
      const { client, config } = clientFrom(flags);
      const { build: found } = await client.getBuild(id);
      const artifacts = artifactsOf(found);
      await mkdir(flags.output, { recursive: true });
      const written: Json[] = [];
      for (const artifact of artifacts) {
        const name = text(artifact.name);
        const file = path.join(flags.output, artifactFileName(name));
        const body = await client.buildArtifact(id, name);
        await pipeline(Readable.fromWeb(body), createWriteStream(file));
        written.push({ name, file, bytes: artifact.bytes, sha256sum: artifact.sha256sum });
      }
      const textOut = written.length === 0 ? `Build ${id} has no artifacts\n` : table(['FILE', 'SIZE', 'SHA256'], written.map((w) => [text(w.file), size(w.bytes), text(w.sha256sum)]));
      done({ kind: 'output', json: config.json, value: written, text: textOut });
    });

  withClientOptions(build.command('reports <id>'))
    .description('Print the test cases of a build\'s reports')
    .option('--status <status>', 'only cases of this status (SUCCEEDED, FAILED, ERROR, SKIPPED, UNKNOWN)')
    .action(async (id: string, flags: ClientFlags & { status?: string }) => {
      const { client, config } = clientFrom(flags);
      const { build: found } = await client.getBuild(id);
      const reports = list(found.reports);
      const status = flags.status?.toUpperCase();
      const rows = reports.flatMap((r) => list(r.testCases).filter((c) => status === undefined || c.status === status).map((c) => [text(r.name), text(c.status), `${text(c.prefix)} ${text(c.name)}`.trim(), seconds(c.durationInNanoSeconds), firstLine(c.message)]));
      const textOut = reports.length === 0 ? `Build ${id} has no reports\n` : table(['REPORT', 'STATUS', 'TEST', 'DURATION', 'MESSAGE'], rows);
      done({ kind: 'output', json: config.json, value: reports, text: textOut });
    });
}

/**
 * The file an artifact is written to: its name, which comes from the build's buildspec (untrusted),
 * as a plain file name in the directory asked for — never a path that leaves it.
 */
export function artifactFileName(name: string): string {
  if (name === '' || name === '.' || name === '..' || name !== path.basename(name) || name.includes('\\') || name.includes('\0')) {
    throw new NagareError('API_INVALID_INPUT', `Artifact name '${name}' is not a plain file name; not written`);
  }
  return name;
}

/** `nagare build show` as text. */
export function describeBuild(build: Json): string {
  const lines: string[] = [`Build ${text(build.id)} (#${text(build.buildNumber)}) ${text(build.buildStatus)}`, ''];
  const source = object(build.source);
  const version = [text(build.sourceVersion), text(build.resolvedSourceVersion)].filter((v) => v !== '').join(' → ');
  const facts: [string, string][] = [
    ['Project', text(build.projectName)],
    ['Source', `${text(source?.type)}${source?.location ? ` ${text(source.location)}` : ''}${version ? `  ${version}` : ''}`],
    ['Started', text(build.startTime)],
    ['Ended', text(build.endTime)],
    ['Initiator', text(build.initiator)],
  ];
  for (const [name, value] of facts) if (value !== '') lines.push(`${name.padEnd(10)} ${value}`);

  const phases = list(build.phases).filter((p) => p.phaseType !== 'COMPLETED');
  const rows = phases.map((p) => {
    const context = list(p.contexts).map((c) => [text(c.statusCode), text(c.message)].filter((t) => t !== '').join(': ')).filter((t) => t !== '').join('; ');
    return [text(p.phaseType), text(p.phaseStatus ?? 'IN_PROGRESS'), typeof p.startTime === 'string' && typeof p.endTime === 'string' ? formatDuration(p.startTime, p.endTime) : '', context];
  });
  lines.push('', table(['PHASE', 'STATUS', 'DURATION', 'CONTEXT'], rows).trimEnd());

  const artifacts = artifactsOf(build);
  if (artifacts.length > 0) lines.push('', table(['ARTIFACT', 'SIZE', 'SHA256'], artifacts.map((a) => [text(a.name), size(a.bytes), text(a.sha256sum)])).trimEnd());

  const reports = list(build.reports);
  if (reports.length > 0) {
    lines.push('', table(['REPORT', 'TYPE', 'STATUS', 'SUMMARY'], reports.map((r) => [text(r.name), text(r.type), text(r.status), reportSummary(r)])).trimEnd());
    const failing = reports.flatMap((r) => list(r.testCases).filter((c) => c.status === 'FAILED' || c.status === 'ERROR').map((c) => `  ✗ ${text(r.name)}: ${`${text(c.prefix)} ${text(c.name)}`.trim()}${c.message ? ` — ${firstLine(c.message)}` : ''}`));
    if (failing.length > 0) lines.push('Failing cases:', ...failing.slice(0, 20), ...(failing.length > 20 ? [`  … ${failing.length - 20} more: nagare build reports ${text(build.id)} --status FAILED`] : []));
  }

  const exported = list(build.exportedEnvironmentVariables);
  if (exported.length > 0) lines.push('', 'Exported variables:', ...exported.map((v) => `  ${text(v.name)}=${text(v.value)}`));
  return `${lines.join('\n')}\n`;
}

function reportSummary(report: Json): string {
  const summary = object(report.summary);
  if (summary) {
    const counts = object(summary.statusCounts) ?? {};
    const parts = Object.entries(counts).filter(([, n]) => typeof n === 'number' && n > 0).map(([status, n]) => `${text(n)} ${status.toLowerCase()}`);
    return `${text(summary.total)} tests${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
  }
  const coverage = object(report.codeCoverageSummary);
  if (coverage) return `lines ${text(coverage.lineCoveragePercentage)}%, branches ${text(coverage.branchCoveragePercentage)}%`;
  return text(report.message);
}

function seconds(nanoseconds: unknown): string {
  return typeof nanoseconds === 'number' ? `${(nanoseconds / 1e9).toFixed(2)}s` : '';
}

function firstLine(message: unknown): string {
  return text(message).split('\n')[0] ?? '';
}
