import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ReportFormat, ReportGroupSpec } from '../../src/core/buildspec.js';
import { collectReportGroup, type ReportResult } from '../../src/build/reports.js';
import { makeTree, tempDir } from './temp-tree.js';

const fixtures = fileURLToPath(new URL('../fixtures/reports/', import.meta.url));

/** A source directory holding `files` (path in the source → fixture name). */
async function sourceWith(files: Record<string, string>): Promise<string> {
  const src = await tempDir();
  for (const [rel, fixture] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(src, rel)), { recursive: true });
    await copyFile(path.join(fixtures, fixture), path.join(src, rel));
  }
  return src;
}

function group(fileFormat: ReportFormat, files: string[] = ['**/*'], more: Partial<ReportGroupSpec> = {}): ReportGroupSpec {
  return { files, baseDirectory: 'reports', discardPaths: false, fileFormat, ...more };
}

function byName(report: ReportResult, name: string) {
  const found = report.testCases.find((testCase) => testCase.name === name);
  assert.ok(found, `no test case ${name}`);
  return found;
}

void test('JUNITXML: <testsuites> with failure, error, skipped and nested suites gives a FAILED TEST report', async () => {
  const src = await sourceWith({ 'reports/TEST-all.xml': 'junit-testsuites.xml' });
  const report = await collectReportGroup('unit', group('JUNITXML'), src, undefined);
  assert.equal(report.type, 'TEST');
  assert.equal(report.status, 'FAILED');
  assert.equal(report.message, undefined);
  assert.deepEqual(report.summary, { total: 5, statusCounts: { SUCCEEDED: 2, FAILED: 1, ERROR: 1, SKIPPED: 1, UNKNOWN: 0 }, durationInNanoSeconds: 3_500_000_000 });
  assert.deepEqual(byName(report, 'divides'), {
    prefix: 'com.example.MathTest', name: 'divides', status: 'FAILED', durationInNanoSeconds: 500_000_000,
    message: 'expected 2 but was 3\nat MathTest.divides(MathTest.java:12)', testSuiteName: 'math', testRawDataPath: 'reports/TEST-all.xml',
  });
  assert.equal(byName(report, 'overflows').status, 'ERROR');
  assert.equal(byName(report, 'skips').status, 'SKIPPED');
  assert.equal(byName(report, 'skips').testSuiteName, 'inner');
  assert.equal(byName(report, 'trims & pads').status, 'SUCCEEDED');
});

void test('JUNITXML: a single <testsuite> root is read, and all passing tests make a SUCCEEDED report', async () => {
  const src = await sourceWith({ 'reports/pytest.xml': 'junit-single-suite.xml' });
  const report = await collectReportGroup('py', group('JUNITXML'), src, undefined);
  assert.equal(report.status, 'SUCCEEDED');
  assert.equal(report.summary?.total, 2);
  assert.equal(report.summary?.durationInNanoSeconds, 12_000_000);
  assert.equal(byName(report, 'test_ok').prefix, 'tests.test_app');
  assert.equal(byName(report, 'test_ok').testSuiteName, 'pytest');
});

void test('JUNITXML: test cases of several files are summed into one report', async () => {
  const src = await sourceWith({ 'reports/a.xml': 'junit-testsuites.xml', 'reports/b.xml': 'junit-single-suite.xml' });
  const report = await collectReportGroup('unit', group('JUNITXML', ['*.xml']), src, undefined);
  assert.equal(report.summary?.total, 7);
  assert.deepEqual(report.rawDataPaths, ['reports/a.xml', 'reports/b.xml']);
});

void test('a malformed report file makes the report FAILED with a message naming the file', async () => {
  const src = await sourceWith({ 'reports/good.xml': 'junit-single-suite.xml', 'reports/bad.xml': 'junit-malformed.xml' });
  const report = await collectReportGroup('unit', group('JUNITXML'), src, undefined);
  assert.equal(report.status, 'FAILED');
  assert.match(report.message ?? '', /reports\/bad\.xml is not a valid JUNITXML report/);
  assert.equal(report.summary?.total, 2, 'the good file is still read');
});

void test('a file of another format is a malformed JUNITXML report', async () => {
  const src = await sourceWith({ 'reports/x.xml': 'testng-results.xml' });
  const report = await collectReportGroup('unit', group('JUNITXML'), src, undefined);
  assert.equal(report.status, 'FAILED');
  assert.match(report.message ?? '', /reports\/x\.xml .*root element is <testng-results>/);
});

void test('NUNIT3XML: result and label give the status; failure message and stack trace are kept', async () => {
  const src = await sourceWith({ 'reports/TestResult.xml': 'nunit3.xml' });
  const report = await collectReportGroup('nunit', group('NUNIT3XML'), src, undefined);
  assert.deepEqual(report.summary?.statusCounts, { SUCCEEDED: 1, FAILED: 1, ERROR: 0, SKIPPED: 1, UNKNOWN: 0 });
  assert.equal(byName(report, 'Divides').prefix, 'Example.CalculatorTests');
  assert.equal(byName(report, 'Divides').message, 'Expected: 2 But was: 3\nat Divides()');
  assert.equal(byName(report, 'Later').message, 'not yet');
});

void test('NUNITXML: NUnit 2 fully qualified names are split into prefix and name', async () => {
  const src = await sourceWith({ 'reports/TestResult.xml': 'nunit2.xml' });
  const report = await collectReportGroup('nunit', group('NUNITXML'), src, undefined);
  assert.equal(report.summary?.total, 2);
  assert.deepEqual({ ...byName(report, 'Divides') }, {
    prefix: 'Example.CalculatorTests', name: 'Divides', status: 'FAILED', durationInNanoSeconds: 20_000_000,
    message: 'Expected 2\nat Divides()', testSuiteName: 'CalculatorTests', testRawDataPath: 'reports/TestResult.xml',
  });
});

void test('TESTNGXML: configuration methods are not test cases', async () => {
  const src = await sourceWith({ 'reports/testng-results.xml': 'testng-results.xml' });
  const report = await collectReportGroup('testng', group('TESTNGXML'), src, undefined);
  assert.deepEqual(report.summary, { total: 3, statusCounts: { SUCCEEDED: 1, FAILED: 1, ERROR: 0, SKIPPED: 1, UNKNOWN: 0 }, durationInNanoSeconds: 30_000_000 });
  assert.equal(byName(report, 'breaks').message, 'expected [1] but found [2]\nat AppTest.breaks');
  assert.equal(byName(report, 'breaks').prefix, 'com.example.AppTest');
});

void test('VISUALSTUDIOTRX: outcomes, durations and class names from the test definitions', async () => {
  const src = await sourceWith({ 'reports/results.trx': 'results.trx' });
  const report = await collectReportGroup('trx', group('VISUALSTUDIOTRX'), src, undefined);
  assert.deepEqual(report.summary, { total: 3, statusCounts: { SUCCEEDED: 1, FAILED: 1, ERROR: 0, SKIPPED: 1, UNKNOWN: 0 }, durationInNanoSeconds: 1_650_000_000 });
  assert.equal(byName(report, 'Divides').prefix, 'Example.CalculatorTests');
  assert.equal(byName(report, 'Divides').message, 'Assert.AreEqual failed\nat Divides()');
});

void test('CUCUMBERJSON: each scenario is a test case and a background counts toward the next scenario', async () => {
  const src = await sourceWith({ 'reports/cucumber.json': 'cucumber.json' });
  const report = await collectReportGroup('bdd', group('CUCUMBERJSON'), src, undefined);
  assert.equal(report.summary?.total, 2);
  assert.equal(byName(report, 'good password').durationInNanoSeconds, 3_000_000);
  assert.equal(byName(report, 'bad password').status, 'FAILED');
  assert.equal(byName(report, 'bad password').message, 'expected error page');
  assert.equal(byName(report, 'bad password').prefix, 'Login');
});

void test('COBERTURAXML: a CODE_COVERAGE report with line and branch counts per file', async () => {
  const src = await sourceWith({ 'reports/coverage.xml': 'cobertura.xml' });
  const report = await collectReportGroup('cov', group('COBERTURAXML'), src, undefined);
  assert.equal(report.type, 'CODE_COVERAGE');
  assert.equal(report.status, 'SUCCEEDED');
  assert.equal(report.summary, undefined);
  assert.deepEqual(report.codeCoverageSummary, { lineCoveragePercentage: 60, linesCovered: 3, linesMissed: 2, branchCoveragePercentage: 50, branchesCovered: 1, branchesMissed: 1 });
  assert.deepEqual(report.codeCoverages.map((file) => [file.filePath, file.lineCoveragePercentage]), [['app/a.py', 66.67], ['app/b.py', 50]]);
});

void test('JACOCOXML: LINE and BRANCH counters per source file', async () => {
  const src = await sourceWith({ 'reports/jacoco.xml': 'jacoco.xml' });
  const report = await collectReportGroup('cov', group('JACOCOXML'), src, undefined);
  assert.deepEqual(report.codeCoverageSummary, { lineCoveragePercentage: 80, linesCovered: 8, linesMissed: 2, branchCoveragePercentage: 75, branchesCovered: 3, branchesMissed: 1 });
  assert.equal(report.codeCoverages[0]?.filePath, 'com/example/App.java');
});

void test('CLOVERXML: statements as lines and conditionals as branches, files in and out of packages', async () => {
  const src = await sourceWith({ 'reports/clover.xml': 'clover.xml' });
  const report = await collectReportGroup('cov', group('CLOVERXML'), src, undefined);
  assert.deepEqual(report.codeCoverageSummary, { lineCoveragePercentage: 70, linesCovered: 7, linesMissed: 3, branchCoveragePercentage: 25, branchesCovered: 1, branchesMissed: 3 });
  assert.deepEqual(report.codeCoverages.map((file) => file.filePath), ['/src/a.js', '/src/lib/b.js']);
});

void test('SIMPLECOV: .resultset.json runs are merged, a line covered by any run is covered', async () => {
  const src = await sourceWith({ 'reports/.resultset.json': 'simplecov-resultset.json' });
  const report = await collectReportGroup('cov', group('SIMPLECOV'), src, undefined);
  assert.deepEqual(report.codeCoverageSummary, { lineCoveragePercentage: 100, linesCovered: 3, linesMissed: 0, branchCoveragePercentage: 50, branchesCovered: 1, branchesMissed: 1 });
});

void test('a coverage file that is not valid JSON fails the report naming the file', async () => {
  const src = await makeTree({ 'reports/coverage.json': '{ not json' });
  const report = await collectReportGroup('cov', group('SIMPLECOV'), src, undefined);
  assert.equal(report.status, 'FAILED');
  assert.match(report.message ?? '', /reports\/coverage\.json is not a valid SIMPLECOV report: not valid JSON/);
});

void test('a format nagare cannot read yet is a FAILED report saying so, never silent', async () => {
  const src = await sourceWith({ 'reports/a.xml': 'junit-single-suite.xml' });
  const report = await collectReportGroup('x', group('LCOV' as ReportFormat), src, undefined);
  assert.equal(report.status, 'FAILED');
  assert.equal(report.message, 'report file format LCOV is not supported yet');
});

void test('no report file found is a FAILED report: no matching report paths found', async () => {
  const src = await makeTree({ 'reports/readme.txt': 'x' });
  const report = await collectReportGroup('unit', group('JUNITXML', ['*.xml']), src, undefined);
  assert.equal(report.status, 'FAILED');
  assert.equal(report.message, 'no matching report paths found');
});

void test('a report path leaving the source directory is refused as for artifacts', async () => {
  const src = await sourceWith({ 'reports/a.xml': 'junit-single-suite.xml' });
  const report = await collectReportGroup('unit', group('JUNITXML', ['../../etc/passwd']), src, undefined);
  assert.equal(report.status, 'FAILED');
  assert.match(report.message ?? '', /resolves outside/);
  const absolute = await collectReportGroup('unit', group('JUNITXML', ['/etc/passwd']), src, undefined);
  assert.match(absolute.message ?? '', /is absolute/);
});

void test('with an output directory the raw files are copied to <outDir>/<group-name>/', async () => {
  const src = await sourceWith({ 'reports/sub/a.xml': 'junit-single-suite.xml', 'reports/b.xml': 'junit-testsuites.xml' });
  const out = await tempDir();
  await collectReportGroup('unit', group('JUNITXML'), src, out);
  assert.equal(await readFile(path.join(out, 'unit/sub/a.xml'), 'utf8'), await readFile(path.join(fixtures, 'junit-single-suite.xml'), 'utf8'));
  await readFile(path.join(out, 'unit/b.xml'));
});

void test('discard-paths: yes flattens the copied report files', async () => {
  const src = await sourceWith({ 'reports/sub/a.xml': 'junit-single-suite.xml' });
  const out = await tempDir();
  await collectReportGroup('unit', group('JUNITXML', ['**/*'], { discardPaths: true }), src, out);
  await readFile(path.join(out, 'unit/a.xml'));
});

void test('a report group ARN is copied under its group name', async () => {
  const src = await sourceWith({ 'reports/a.xml': 'junit-single-suite.xml' });
  const out = await tempDir();
  await collectReportGroup('arn:aws:codebuild:eu-west-1:123456789012:report-group/my-tests', group('JUNITXML'), src, out);
  await readFile(path.join(out, 'my-tests/a.xml'));
});
