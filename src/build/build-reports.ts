/**
 * Reports for a build: each buildspec report group is collected after the last buildspec phase
 * that ran, for failed builds too (decision 5). Group names may use environment variables.
 * What a report says leaves the build, so it is masked like the log.
 */
import type { ReportGroupSpec } from '../core/buildspec.js';
import type { BuildIdentity } from './environment.js';
import type { BuildLog } from '../executors/command-log.js';
import type { ReportResult } from './reports.js';
import type { BuildShells } from '../executors/shells.js';
import { evaluateEach } from './upload.js';
import type { OutsideCollector } from './outside-paths.js';

/** A report group's result as the build record carries it (its log lines went to the build log). */
export type BuildReport = Omit<ReportResult, 'log'>;

export async function collectReports(
  groups: Readonly<Record<string, ReportGroupSpec>>,
  identity: BuildIdentity,
  reportsDir: string | undefined,
  shells: BuildShells | undefined,
  log: BuildLog,
  outside?: OutsideCollector,
): Promise<BuildReport[]> {
  // Loaded only for builds with reports: the parsers and fast-xml-parser take ~50 ms to load,
  // which every other `nagare build` would pay (bench/build-overhead).
  const { collectReportGroup } = await import('./reports.js');
  const results: BuildReport[] = [];
  for (const [written, spec] of Object.entries(groups)) {
    const evaluate = async (text: string): Promise<string> => (shells ? ((await shells.evaluate(text, undefined)) ?? text) : text);
    const name = await evaluate(written);
    const baseDirectory = spec.baseDirectory === undefined ? undefined : await evaluate(spec.baseDirectory);
    log.system(`Preparing to copy ${name} report`);
    const result = await collectReportGroup(name, { ...spec, baseDirectory, files: await evaluateEach(spec.files, evaluate) }, identity.sourceDir, reportsDir, outside);
    for (const line of result.log) log.system(line);
    if (result.message) log.system(`Report ${name}: ${result.status} (${result.message})`);
    const { log: _lines, ...record } = result;
    results.push(maskReport(record, (text) => log.mask(text)));
  }
  return results;
}

/**
 * Every string a report carries leaves the build (the API, the dashboard), so each is masked
 * (finding 9): a test named after a secret or failing with it in its message shows `***`.
 */
export function maskReport(report: BuildReport, mask: (text: string) => string): BuildReport {
  const optional = (text: string | undefined): string | undefined => (text === undefined ? undefined : mask(text));
  return {
    ...report,
    name: mask(report.name),
    message: optional(report.message),
    rawDataPaths: report.rawDataPaths.map(mask),
    testCases: report.testCases.map((testCase) => ({
      ...testCase,
      ...(testCase.testRawDataPath === undefined ? {} : { testRawDataPath: mask(testCase.testRawDataPath) }),
      prefix: mask(testCase.prefix),
      name: mask(testCase.name),
      message: optional(testCase.message),
      testSuiteName: optional(testCase.testSuiteName),
    })),
    codeCoverages: report.codeCoverages.map((file) => ({ ...file, filePath: mask(file.filePath) })),
  };
}
