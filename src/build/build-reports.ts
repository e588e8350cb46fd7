/**
 * Reports for a build: each buildspec report group is collected after the last buildspec phase
 * that ran, for failed builds too (decision 5). Group names may use environment variables.
 */
import type { ReportGroupSpec } from '../core/buildspec.js';
import type { BuildIdentity } from './environment.js';
import type { BuildLog } from './log.js';
import type { ReportResult } from './reports.js';
import type { BuildShells } from './shells.js';

/** A report group's result as the build record carries it (its log lines went to the build log). */
export type BuildReport = Omit<ReportResult, 'log'>;

export async function collectReports(
  groups: Readonly<Record<string, ReportGroupSpec>>,
  identity: BuildIdentity,
  reportsDir: string | undefined,
  shells: BuildShells | undefined,
  log: BuildLog,
): Promise<BuildReport[]> {
  // Loaded only for builds with reports: the parsers and fast-xml-parser take ~50 ms to load,
  // which every other `nagare build` would pay (bench/build-overhead).
  const { collectReportGroup } = await import('./reports.js');
  const results: BuildReport[] = [];
  for (const [written, spec] of Object.entries(groups)) {
    const name = (shells ? await shells.evaluate(written, undefined) : undefined) ?? written;
    const baseDirectory = spec.baseDirectory === undefined || !shells ? spec.baseDirectory : (await shells.evaluate(spec.baseDirectory, undefined)) ?? spec.baseDirectory;
    log.system(`Preparing to copy ${name} report`);
    const result = await collectReportGroup(name, { ...spec, baseDirectory }, identity.sourceDir, reportsDir);
    for (const line of result.log) log.system(line);
    if (result.message) log.system(`Report ${name}: ${result.status} (${result.message})`);
    const { log: _lines, ...record } = result;
    results.push(record);
  }
  return results;
}
