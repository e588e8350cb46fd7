/**
 * Test report formats (reference §1.9): JUnit XML, NUnit 2 and 3 XML, TestNG XML, Visual Studio TRX
 * and Cucumber JSON, each read into AWS `TestCase`s.
 */
import { attribute, children, descendants, joinMessage, numberAttribute, parseXmlRoot, ReportFormatError, secondsToNanoseconds, text, type XmlElement } from './xml.js';
import type { TestCase, TestCaseParser, TestCaseStatus } from './types.js';

/** `<testsuites>` or a single `<testsuite>` root; suites may nest. */
export const parseJunitXml: TestCaseParser = (source) => {
  const root = parseXmlRoot(source, ['testsuites', 'testsuite']);
  const cases: TestCase[] = [];
  const visit = (suite: XmlElement, suiteName: string | undefined): void => {
    for (const testCase of children(suite, 'testcase')) cases.push(junitCase(testCase, suiteName));
    for (const nested of children(suite, 'testsuite')) visit(nested, attribute(nested, 'name') ?? suiteName);
  };
  visit(root.element, root.name === 'testsuite' ? attribute(root.element, 'name') : undefined);
  return cases;
};

function junitCase(testCase: XmlElement, suiteName: string | undefined): TestCase {
  const outcome = (['failure', 'error', 'skipped'] as const).find((tag) => children(testCase, tag).length > 0);
  const status: TestCaseStatus = outcome === 'failure' ? 'FAILED' : outcome === 'error' ? 'ERROR' : outcome === 'skipped' ? 'SKIPPED' : 'SUCCEEDED';
  const detail = outcome ? children(testCase, outcome)[0] : undefined;
  return {
    prefix: attribute(testCase, 'classname') ?? suiteName ?? '',
    name: attribute(testCase, 'name') ?? '',
    status,
    durationInNanoSeconds: secondsToNanoseconds(numberAttribute(testCase, 'time')),
    message: detail ? joinMessage(attribute(detail, 'message'), text(detail)) : undefined,
    testSuiteName: suiteName,
  };
}

/** NUnit 3: `<test-run>` with nested `<test-suite>`s of `<test-case result=… label=…>`. */
export const parseNunit3Xml: TestCaseParser = (source) => {
  const root = parseXmlRoot(source, ['test-run']);
  return nunitCases(root.element, undefined, (testCase) => {
    const result = attribute(testCase, 'result') ?? '';
    const label = attribute(testCase, 'label') ?? '';
    const status: TestCaseStatus =
      result === 'Passed' ? 'SUCCEEDED'
      : result === 'Failed' ? (['Error', 'Invalid', 'Cancelled'].includes(label) ? 'ERROR' : 'FAILED')
      : result === 'Skipped' ? 'SKIPPED'
      : 'UNKNOWN';
    const name = attribute(testCase, 'methodname') ?? attribute(testCase, 'name') ?? '';
    return { status, name, prefix: attribute(testCase, 'classname') ?? '', seconds: numberAttribute(testCase, 'duration') };
  });
};

/** NUnit 2.x: `<test-results>`; a case's `name` is fully qualified, `result` Success/Failure/Error/…. */
export const parseNunitXml: TestCaseParser = (source) => {
  const root = parseXmlRoot(source, ['test-results']);
  return nunitCases(root.element, undefined, (testCase) => {
    const result = attribute(testCase, 'result') ?? '';
    const executed = attribute(testCase, 'executed') !== 'False';
    const status: TestCaseStatus =
      result === 'Success' ? 'SUCCEEDED'
      : result === 'Failure' ? 'FAILED'
      : result === 'Error' ? 'ERROR'
      : ['Ignored', 'Skipped', 'NotRunnable'].includes(result) || !executed ? 'SKIPPED'
      : 'UNKNOWN';
    const full = attribute(testCase, 'name') ?? '';
    const dot = full.lastIndexOf('.', full.includes('(') ? full.indexOf('(') : full.length);
    return { status, name: full.slice(dot + 1), prefix: dot > 0 ? full.slice(0, dot) : '', seconds: numberAttribute(testCase, 'time') };
  });
};

type NunitCase = { status: TestCaseStatus; name: string; prefix: string; seconds: number };

function nunitCases(element: XmlElement, suiteName: string | undefined, read: (testCase: XmlElement) => NunitCase): TestCase[] {
  const cases: TestCase[] = [];
  for (const testCase of children(element, 'test-case')) {
    const { status, name, prefix, seconds } = read(testCase);
    const detail = children(testCase, 'failure')[0] ?? children(testCase, 'reason')[0];
    const message = detail ? joinMessage(text(children(detail, 'message')[0]), text(children(detail, 'stack-trace')[0])) : undefined;
    cases.push({ prefix, name, status, durationInNanoSeconds: secondsToNanoseconds(seconds), message, testSuiteName: suiteName });
  }
  for (const suite of children(element, 'test-suite')) cases.push(...nunitCases(suite, attribute(suite, 'name') ?? suiteName, read));
  for (const results of children(element, 'results')) cases.push(...nunitCases(results, suiteName, read));
  return cases;
}

/** TestNG: `<testng-results>` → suite → test → class → `<test-method status=PASS|FAIL|SKIP>`; configuration methods are not tests. */
export const parseTestngXml: TestCaseParser = (source) => {
  const root = parseXmlRoot(source, ['testng-results']);
  const cases: TestCase[] = [];
  for (const suite of children(root.element, 'suite')) {
    for (const testClass of descendants(suite, ['test', 'class'])) {
      for (const method of children(testClass, 'test-method')) {
        if (attribute(method, 'is-config') === 'true') continue;
        const result = attribute(method, 'status');
        const exception = children(method, 'exception')[0];
        cases.push({
          prefix: attribute(testClass, 'name') ?? '',
          name: attribute(method, 'name') ?? '',
          status: result === 'PASS' ? 'SUCCEEDED' : result === 'FAIL' ? 'FAILED' : result === 'SKIP' ? 'SKIPPED' : 'UNKNOWN',
          durationInNanoSeconds: numberAttribute(method, 'duration-ms') * 1e6,
          message: exception ? joinMessage(text(children(exception, 'message')[0]), text(children(exception, 'full-stacktrace')[0])) : undefined,
          testSuiteName: attribute(suite, 'name'),
        });
      }
    }
  }
  return cases;
};

const TRX_STATUS: Readonly<Record<string, TestCaseStatus>> = {
  Passed: 'SUCCEEDED', PassedButRunAborted: 'SUCCEEDED', Failed: 'FAILED', Error: 'ERROR', Timeout: 'ERROR', Aborted: 'ERROR', NotExecuted: 'SKIPPED', NotRunnable: 'SKIPPED',
};

/** Visual Studio TRX: `<TestRun>` results joined to their definitions for the class name. */
export const parseVisualStudioTrx: TestCaseParser = (source) => {
  const root = parseXmlRoot(source, ['TestRun']);
  const classOf = new Map<string, string>();
  for (const unitTest of descendants(root.element, ['TestDefinitions', 'UnitTest'])) {
    const method = children(unitTest, 'TestMethod')[0];
    if (method) classOf.set(attribute(unitTest, 'id') ?? '', attribute(method, 'className') ?? '');
  }
  return descendants(root.element, ['Results', 'UnitTestResult']).map((result) => {
    const error = descendants(result, ['Output', 'ErrorInfo'])[0];
    return {
      prefix: classOf.get(attribute(result, 'testId') ?? '') ?? '',
      name: attribute(result, 'testName') ?? '',
      status: TRX_STATUS[attribute(result, 'outcome') ?? ''] ?? 'UNKNOWN',
      durationInNanoSeconds: timeSpanToNanoseconds(attribute(result, 'duration')),
      message: error ? joinMessage(text(children(error, 'Message')[0]), text(children(error, 'StackTrace')[0])) : undefined,
      testSuiteName: attribute(root.element, 'name'),
    };
  });
};

/** .NET TimeSpan `[d.]hh:mm:ss[.fffffff]`. */
function timeSpanToNanoseconds(value: string | undefined): number {
  const match = /^(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)$/.exec(value ?? '');
  if (!match) return 0;
  const [, days = '0', hours = '0', minutes = '0', seconds = '0'] = match;
  return secondsToNanoseconds(Number(days) * 86400 + Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds));
}

interface CucumberStep { readonly result?: { readonly status?: string; readonly duration?: number; readonly error_message?: string } }
interface CucumberElement { readonly name?: string; readonly type?: string; readonly steps?: readonly CucumberStep[] }
interface CucumberFeature { readonly name?: string; readonly uri?: string; readonly elements?: readonly CucumberElement[] }

/** Cucumber JSON: an array of features; each scenario is a test case, a background's steps count toward the next scenario. */
export const parseCucumberJson: TestCaseParser = (source) => {
  let features: unknown;
  try {
    features = JSON.parse(source);
  } catch (error) {
    throw new ReportFormatError(`not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(features)) throw new ReportFormatError('expected a JSON array of features');
  const cases: TestCase[] = [];
  for (const feature of features as CucumberFeature[]) {
    let background: readonly CucumberStep[] = [];
    for (const element of feature.elements ?? []) {
      if (element.type === 'background') {
        background = element.steps ?? [];
        continue;
      }
      const steps = [...background, ...(element.steps ?? [])];
      background = [];
      const statuses = steps.map((step) => step.result?.status ?? 'undefined');
      const status: TestCaseStatus =
        statuses.includes('failed') ? 'FAILED'
        : statuses.some((s) => ['undefined', 'pending', 'ambiguous'].includes(s)) ? 'UNKNOWN'
        : statuses.length > 0 && statuses.every((s) => s === 'skipped') ? 'SKIPPED'
        : 'SUCCEEDED';
      cases.push({
        prefix: feature.name ?? feature.uri ?? '',
        name: element.name ?? '',
        status,
        durationInNanoSeconds: steps.reduce((sum, step) => sum + (step.result?.duration ?? 0), 0),
        message: joinMessage(...steps.map((step) => step.result?.error_message)),
        testSuiteName: feature.name,
      });
    }
  }
  return cases;
};
