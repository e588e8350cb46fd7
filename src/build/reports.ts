/**
 * Report groups (reference §1.9, decision 5): find a group's files with the artifact glob engine,
 * read them as their `file-format`, and summarise them after the AWS CodeBuild `Report` shape. A
 * report never fails the build: every problem (no files, a malformed file, a format nagare cannot
 * read yet) is a FAILED report with a message saying which and why.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { COVERAGE_REPORT_FORMATS, type ReportFormat, type ReportGroupSpec } from '../core/buildspec.js';
import { openRegularFile } from '../executors/confine.js';
import { selectWithOutside, type OutsideCollector } from './outside-paths.js';
import { parseCloverXml, parseCoberturaXml, parseJacocoXml, parseSimplecovJson } from './report-formats/coverage-formats.js';
import { parseCucumberJson, parseJunitXml, parseNunit3Xml, parseNunitXml, parseTestngXml, parseVisualStudioTrx } from './report-formats/test-formats.js';
import type { CoverageParser, FileCoverage, TestCase, TestCaseParser, TestCaseStatus } from './report-formats/types.js';
import { ReportFormatError } from './report-formats/xml.js';

export type { FileCoverage, TestCase, TestCaseStatus } from './report-formats/types.js';

export type ReportStatus = 'SUCCEEDED' | 'FAILED' | 'INCOMPLETE';

/** AWS `TestReportSummary`. */
export interface TestReportSummary {
  readonly total: number;
  readonly statusCounts: Readonly<Record<TestCaseStatus, number>>;
  readonly durationInNanoSeconds: number;
}

/** AWS `CodeCoverageReportSummary`; percentages are 0–100, rounded to two decimals. */
export interface CodeCoverageReportSummary {
  readonly lineCoveragePercentage: number;
  readonly linesCovered: number;
  readonly linesMissed: number;
  readonly branchCoveragePercentage: number;
  readonly branchesCovered: number;
  readonly branchesMissed: number;
}

/** AWS `CodeCoverage`: one source file. */
export interface CodeCoverage extends FileCoverage {
  readonly lineCoveragePercentage: number;
  readonly branchCoveragePercentage: number;
}

export interface ReportResult {
  /** The report group name (or ARN) as written in the buildspec. */
  readonly name: string;
  readonly type: 'TEST' | 'CODE_COVERAGE';
  readonly fileFormat: ReportFormat;
  /** FAILED when a test failed or errored, or when the report could not be made (see `message`). */
  readonly status: ReportStatus;
  /** Why the report could not be made, or undefined. */
  readonly message: string | undefined;
  /** The raw files read, relative to the source directory. */
  readonly rawDataPaths: readonly string[];
  /** TEST reports. */
  readonly summary: TestReportSummary | undefined;
  readonly testCases: readonly TestCase[];
  /** CODE_COVERAGE reports. */
  readonly codeCoverageSummary: CodeCoverageReportSummary | undefined;
  readonly codeCoverages: readonly CodeCoverage[];
  readonly log: readonly string[];
}

const TEST_PARSERS: Readonly<Partial<Record<ReportFormat, TestCaseParser>>> = {
  JUNITXML: parseJunitXml,
  NUNITXML: parseNunitXml,
  NUNIT3XML: parseNunit3Xml,
  TESTNGXML: parseTestngXml,
  VISUALSTUDIOTRX: parseVisualStudioTrx,
  CUCUMBERJSON: parseCucumberJson,
};

const COVERAGE_PARSERS: Readonly<Partial<Record<ReportFormat, CoverageParser>>> = {
  COBERTURAXML: parseCoberturaXml,
  JACOCOXML: parseJacocoXml,
  CLOVERXML: parseCloverXml,
  SIMPLECOV: parseSimplecovJson,
};

/**
 * Collect one report group. `sourceDir` bounds the files (paths escaping it are refused as for
 * artifacts); when `outDir` is given the raw files are copied to `<outDir>/<group-name>/`, as
 * CodeBuild's local agent does with its `-r` directory. Rejects only when nagare cannot write `outDir`.
 */
export async function collectReportGroup(name: string, spec: ReportGroupSpec, sourceDir: string, outDir: string | undefined, outside?: OutsideCollector): Promise<ReportResult> {
  const type = (COVERAGE_REPORT_FORMATS as readonly string[]).includes(spec.fileFormat) ? 'CODE_COVERAGE' : 'TEST';
  const empty = { name, type, fileFormat: spec.fileFormat, rawDataPaths: [], summary: undefined, testCases: [], codeCoverageSummary: undefined, codeCoverages: [] } as const;
  const selection = await selectWithOutside(
    { files: spec.files, baseDirectory: spec.baseDirectory, excludePaths: [], discardPaths: spec.discardPaths, enableSymlinks: false },
    sourceDir,
    'report',
    outside,
  );
  const log = [...selection.log];
  if (!selection.ok) {
    log.push(`Report ${name}: ${selection.context.statusCode}: ${selection.context.message}`);
    return { ...empty, status: 'FAILED', message: selection.context.message, log };
  }
  const sourceRoot = path.resolve(sourceDir);
  const rawDataPaths = selection.entries.map((entry) => path.relative(sourceRoot, entry.absolutePath));
  if (outDir !== undefined) {
    const groupDir = path.join(outDir, reportDirectoryName(name));
    for (const entry of selection.entries) {
      const target = path.join(groupDir, entry.zipPath);
      await mkdir(path.dirname(target), { recursive: true });
      const content = await readNoFollow(entry.readPath, entry.zipPath).catch((error: unknown) => {
        // Not a regular file, or swapped for a link: the read below reports it in the report.
        if (!isReadError(error)) throw error;
        log.push(`Report ${name}: ${entry.zipPath} not copied: ${error.message}`);
      });
      if (content) await writeFile(target, content);
    }
    log.push(`Copied ${selection.entries.length} report file(s) to ${groupDir}`);
  }

  const testParser = TEST_PARSERS[spec.fileFormat];
  const coverageParser = COVERAGE_PARSERS[spec.fileFormat];
  if (!testParser && !coverageParser) {
    const message = `report file format ${spec.fileFormat} is not supported yet`;
    log.push(`Report ${name}: ${message}`);
    return { ...empty, rawDataPaths, status: 'FAILED', message, log };
  }
  const problems: string[] = [];
  const testCases: TestCase[] = [];
  const coverages: FileCoverage[] = [];
  for (const [index, entry] of selection.entries.entries()) {
    const rawDataPath = rawDataPaths[index] ?? entry.zipPath;
    try {
      const source = (await readNoFollow(entry.readPath, rawDataPath)).toString('utf8');
      if (testParser) testCases.push(...testParser(source).map((testCase) => ({ ...testCase, testRawDataPath: rawDataPath })));
      if (coverageParser) coverages.push(...coverageParser(source));
    } catch (error) {
      if (!(error instanceof ReportFormatError) && !isReadError(error)) throw error;
      problems.push(`${rawDataPath} is not a valid ${spec.fileFormat} report: ${error.message}`);
    }
  }
  for (const problem of problems) log.push(`Report ${name}: ${problem}`);
  const message = problems.length > 0 ? problems.join('; ') : undefined;
  if (testParser) {
    const summary = summariseTests(testCases);
    const failing = summary.statusCounts.FAILED + summary.statusCounts.ERROR > 0;
    log.push(`Report ${name}: ${summary.total} test case(s), ${summary.statusCounts.FAILED} failed, ${summary.statusCounts.ERROR} errored`);
    return { ...empty, rawDataPaths, status: message || failing ? 'FAILED' : 'SUCCEEDED', message, summary, testCases, log };
  }
  const codeCoverages = coverages.map((file) => ({ ...file, ...percentages(file) }));
  const codeCoverageSummary = summariseCoverage(coverages);
  log.push(`Report ${name}: line coverage ${codeCoverageSummary.lineCoveragePercentage}%, branch coverage ${codeCoverageSummary.branchCoveragePercentage}%`);
  return { ...empty, rawDataPaths, status: message ? 'FAILED' : 'SUCCEEDED', message, codeCoverageSummary, codeCoverages, log };
}

/** A selected file by its confined real path; a link swapped in since is refused (ELOOP). */
async function readNoFollow(file: string, shown: string): Promise<Buffer> {
  const handle = await openRegularFile(file, shown);
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function isReadError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}

/** A directory name for the group: the name part of an ARN, with path characters replaced. */
export function reportDirectoryName(name: string): string {
  const base = name.startsWith('arn:') ? name.slice(name.lastIndexOf('/') + 1) : name;
  const safe = base.replace(/[^A-Za-z0-9._-]/g, '_');
  return safe === '' || safe === '.' || safe === '..' ? '_' : safe;
}

function summariseTests(testCases: readonly TestCase[]): TestReportSummary {
  const statusCounts: Record<TestCaseStatus, number> = { SUCCEEDED: 0, FAILED: 0, ERROR: 0, SKIPPED: 0, UNKNOWN: 0 };
  let durationInNanoSeconds = 0;
  for (const testCase of testCases) {
    statusCounts[testCase.status] += 1;
    durationInNanoSeconds += testCase.durationInNanoSeconds;
  }
  return { total: testCases.length, statusCounts, durationInNanoSeconds };
}

function percent(covered: number, missed: number): number {
  const total = covered + missed;
  return total === 0 ? 0 : Math.round((covered / total) * 10000) / 100;
}

function percentages(counts: FileCoverage): { lineCoveragePercentage: number; branchCoveragePercentage: number } {
  return { lineCoveragePercentage: percent(counts.linesCovered, counts.linesMissed), branchCoveragePercentage: percent(counts.branchesCovered, counts.branchesMissed) };
}

function summariseCoverage(files: readonly FileCoverage[]): CodeCoverageReportSummary {
  const sum = (key: 'linesCovered' | 'linesMissed' | 'branchesCovered' | 'branchesMissed'): number => files.reduce((total, file) => total + file[key], 0);
  const totals = { filePath: '', linesCovered: sum('linesCovered'), linesMissed: sum('linesMissed'), branchesCovered: sum('branchesCovered'), branchesMissed: sum('branchesMissed') };
  const { filePath: _filePath, ...counts } = totals;
  return { ...counts, ...percentages(totals) };
}
