/** What the report-format parsers produce, after the AWS CodeBuild `TestCase` and `CodeCoverage` API shapes. */

export type TestCaseStatus = 'SUCCEEDED' | 'FAILED' | 'ERROR' | 'SKIPPED' | 'UNKNOWN';

export interface TestCase {
  /** The raw report file the case came from, relative to the source directory. */
  readonly testRawDataPath?: string;
  /** The class (or feature) the test belongs to. */
  readonly prefix: string;
  readonly name: string;
  readonly status: TestCaseStatus;
  readonly durationInNanoSeconds: number;
  /** Failure or skip message and stack trace, when the report has one. */
  readonly message: string | undefined;
  readonly testSuiteName: string | undefined;
}

/** Coverage of one source file. */
export interface FileCoverage {
  readonly filePath: string;
  readonly linesCovered: number;
  readonly linesMissed: number;
  readonly branchesCovered: number;
  readonly branchesMissed: number;
}

/** Reads one report file's text; throws ReportFormatError when the file is not of its format. */
export type TestCaseParser = (text: string) => TestCase[];
export type CoverageParser = (text: string) => FileCoverage[];
