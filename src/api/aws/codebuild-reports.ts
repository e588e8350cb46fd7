/**
 * The CodeBuild report API (ListReportGroups, BatchGetReportGroups, ListReports,
 * ListReportsForReportGroup, BatchGetReports, DescribeTestCases, GetReportGroupTrend) over the
 * reports builds keep in their records. Report groups are not stored apart: a group exists once a
 * build wrote a report to it, named as CodeBuild names it (`<project>-<name>`, or the group an ARN
 * in the buildspec names), with `NO_EXPORT`. A report's id is its build's id after the `:`, so the
 * report ARN `…:report/<group>:<uuid>` leads back to the build `<project>:<uuid>`.
 *
 * The list operations read the builds' records page by page: fine for the thousands of builds
 * retention keeps; a table of reports is the next step if that stops being so.
 */
import { z } from 'zod';
import { NagareError } from '../../core/errors.js';
import type { StoredBuild } from '../../core/store.js';

import type { Services } from '../../server/services.js';
import type { AwsOperation } from './codebuild-operations.js';

type Json = Record<string, unknown>;

const DAY_MS = 24 * 60 * 60 * 1000;
/** AWS JSON 1.1 timestamps are epoch seconds. */
const epochSeconds = (ms: number): number => ms / 1000;
const STATUSES = ['SUCCEEDED', 'FAILED', 'ERROR', 'SKIPPED', 'UNKNOWN'] as const;

const testCase = z.object({
  testRawDataPath: z.string().optional(),
  prefix: z.string(),
  name: z.string(),
  status: z.string(),
  durationInNanoSeconds: z.number(),
  message: z.string().optional(),
  testSuiteName: z.string().optional(),
});
/** A report as the agent stored it in the build record (src/build/reports.ts ReportResult, less its log). */
const storedReport = z.object({
  name: z.string(),
  type: z.enum(['TEST', 'CODE_COVERAGE']),
  status: z.string(),
  summary: z.object({ total: z.number(), statusCounts: z.record(z.string(), z.number()), durationInNanoSeconds: z.number() }).optional(),
  testCases: z.array(testCase).default([]),
  codeCoverageSummary: z.record(z.string(), z.number()).optional(),
});
type StoredReport = z.infer<typeof storedReport>;

/** One report of one build, with its names. */
export interface ReportEntry {
  readonly build: StoredBuild;
  readonly report: StoredReport;
  readonly groupName: string;
  readonly groupArn: string;
  readonly arn: string;
  readonly created: number;
}

const page = { nextToken: z.string().optional(), maxResults: z.number().int().min(1).max(100).optional(), sortOrder: z.enum(['ASCENDING', 'DESCENDING']).optional() };
const listReportGroupsInput = z.object({ ...page, sortBy: z.enum(['NAME', 'CREATED_TIME', 'LAST_MODIFIED_TIME']).optional() });
const listReportsInput = z.object({ ...page, filter: z.object({ status: z.string().optional() }).optional() });
const listForGroupInput = listReportsInput.extend({ reportGroupArn: z.string().min(1) });
const arnsInput = (field: string) => z.object({ [field]: z.array(z.string().min(1)).min(1).max(100) });
const describeTestCasesInput = z.object({ ...page, reportArn: z.string().min(1), filter: z.object({ status: z.enum(STATUSES).optional(), keyword: z.string().optional() }).optional() });
const TREND_FIELDS = ['PASS_RATE', 'DURATION', 'TOTAL', 'LINE_COVERAGE', 'LINES_COVERED', 'LINES_MISSED', 'BRANCH_COVERAGE', 'BRANCHES_COVERED', 'BRANCHES_MISSED'] as const;
const trendInput = z.object({ reportGroupArn: z.string().min(1), numOfReports: z.number().int().min(1).max(100).optional(), trendField: z.enum(TREND_FIELDS) });

/** A build's reports with their ARNs: what `Build.reportArns` and every operation here read. */
export function reportEntries(build: StoredBuild, region: string, accountId: string): ReportEntry[] {
  const uuid = build.id.slice(build.id.indexOf(':') + 1);
  return build.record.reports.flatMap((raw) => {
    const parsed = storedReport.safeParse(raw);
    if (!parsed.success) return [];
    const report = parsed.data;
    const groupName = report.name.startsWith('arn:') ? report.name.slice(report.name.lastIndexOf('/') + 1) : `${build.projectName}-${report.name}`;
    const prefix = `arn:aws:codebuild:${region}:${accountId}`;
    return [{ build, report, groupName, groupArn: `${prefix}:report-group/${groupName}`, arn: `${prefix}:report/${groupName}:${uuid}`, created: build.endTime ?? build.startTime }];
  });
}

/** Every report of every build, newest first. */
async function allReports(services: Services): Promise<ReportEntry[]> {
  const { region, accountId } = services.context.settings;
  const entries: ReportEntry[] = [];
  let token: string | undefined;
  do {
    const ids = await services.builds.list({ limit: 500, nextToken: token, sortOrder: 'DESCENDING' });
    for (let i = 0; i < ids.items.length; i += 100) {
      const { builds } = await services.builds.batchGet(ids.items.slice(i, i + 100));
      for (const build of builds) entries.push(...reportEntries(build, region, accountId));
    }
    token = ids.nextToken;
  } while (token !== undefined);
  return entries.sort((a, b) => b.created - a.created);
}

/** The report an ARN names: the build is `<project>:<uuid>` where the group name starts with `<project>-`. */
async function findReport(services: Services, arn: string): Promise<ReportEntry | undefined> {
  const match = /^arn:[^:]+:codebuild:[^:]*:[^:]*:report\/(.+):([^:/]+)$/.exec(arn);
  if (!match?.[1] || !match[2]) return undefined;
  const [groupName, uuid] = [match[1], match[2]];
  const candidates = [...groupName.matchAll(/-/g)].map((m) => `${groupName.slice(0, m.index)}:${uuid}`);
  if (candidates.length === 0) return undefined;
  const { builds } = await services.builds.batchGet(candidates.slice(0, 100));
  const { region, accountId } = services.context.settings;
  return builds.flatMap((b) => reportEntries(b, region, accountId)).find((e) => e.arn === arn);
}

function offsetOf(nextToken: string | undefined, operation: string): number {
  const offset = nextToken === undefined ? 0 : Number(/^offset-(\d+)$/.exec(nextToken)?.[1] ?? NaN);
  if (!Number.isSafeInteger(offset)) throw new NagareError('API_INVALID_INPUT', `nextToken is not a token returned by ${operation}`);
  return offset;
}

function paged<T>(items: readonly T[], nextToken: string | undefined, maxResults: number | undefined, operation: string): { items: T[]; nextToken: string | undefined } {
  const offset = offsetOf(nextToken, operation);
  const size = maxResults ?? 100;
  return { items: items.slice(offset, offset + size), nextToken: offset + size < items.length ? `offset-${offset + size}` : undefined };
}

function groups(entries: readonly ReportEntry[]): Map<string, { arn: string; name: string; type: string; created: number; lastModified: number }> {
  const byArn = new Map<string, { arn: string; name: string; type: string; created: number; lastModified: number }>();
  for (const e of entries) {
    const known = byArn.get(e.groupArn);
    byArn.set(e.groupArn, { arn: e.groupArn, name: e.groupName, type: e.report.type, created: Math.min(known?.created ?? e.created, e.created), lastModified: Math.max(known?.lastModified ?? e.created, e.created) });
  }
  return byArn;
}

function reportShape(e: ReportEntry, services: Services): Json {
  const { region, accountId } = services.context.settings;
  return {
    arn: e.arn,
    type: e.report.type,
    name: e.groupName,
    reportGroupArn: e.groupArn,
    executionId: `arn:aws:codebuild:${region}:${accountId}:build/${e.build.id}`,
    status: e.report.status,
    created: epochSeconds(e.created),
    expired: epochSeconds(e.created + 30 * DAY_MS),
    exportConfig: { exportConfigType: 'NO_EXPORT' },
    truncated: false,
    ...(e.report.summary ? { testSummary: e.report.summary } : {}),
    ...(e.report.codeCoverageSummary ? { codeCoverageSummary: e.report.codeCoverageSummary } : {}),
  };
}

/** The value of a trend field for one report, or undefined when the report has none. */
function trendValue(report: StoredReport, field: (typeof TREND_FIELDS)[number]): number | undefined {
  const summary = report.summary;
  const coverage = report.codeCoverageSummary;
  switch (field) {
    case 'PASS_RATE':
      return summary && summary.total > 0 ? ((summary.statusCounts.SUCCEEDED ?? 0) / summary.total) * 100 : undefined;
    case 'DURATION':
      return summary?.durationInNanoSeconds;
    case 'TOTAL':
      return summary?.total;
    case 'LINE_COVERAGE':
      return coverage?.lineCoveragePercentage;
    case 'LINES_COVERED':
      return coverage?.linesCovered;
    case 'LINES_MISSED':
      return coverage?.linesMissed;
    case 'BRANCH_COVERAGE':
      return coverage?.branchCoveragePercentage;
    case 'BRANCHES_COVERED':
      return coverage?.branchesCovered;
    case 'BRANCHES_MISSED':
      return coverage?.branchesMissed;
  }
}

const notFound = (arn: string): NagareError => new NagareError('API_NOT_FOUND', `Report group cannot be found: ${arn}`, { details: { awsException: 'ResourceNotFoundException' } });

export const CODEBUILD_REPORT_OPERATIONS: Readonly<Record<string, AwsOperation>> = {
  async ListReportGroups(services, input) {
    const { sortBy, sortOrder, nextToken, maxResults } = listReportGroupsInput.parse(input);
    const sorted = [...groups(await allReports(services)).values()].sort((a, b) =>
      sortBy === 'CREATED_TIME' ? a.created - b.created : sortBy === 'LAST_MODIFIED_TIME' ? a.lastModified - b.lastModified : a.name.localeCompare(b.name),
    );
    if (sortOrder === 'DESCENDING') sorted.reverse();
    const result = paged(sorted.map((g) => g.arn), nextToken, maxResults, 'ListReportGroups');
    return { reportGroups: result.items, nextToken: result.nextToken };
  },

  async BatchGetReportGroups(services, input) {
    const { reportGroupArns } = arnsInput('reportGroupArns').parse(input) as { reportGroupArns: string[] };
    const known = groups(await allReports(services));
    return {
      reportGroups: reportGroupArns.flatMap((arn) => {
        const g = known.get(arn);
        return g ? [{ arn: g.arn, name: g.name, type: g.type, exportConfig: { exportConfigType: 'NO_EXPORT' }, created: epochSeconds(g.created), lastModified: epochSeconds(g.lastModified), status: 'ACTIVE' }] : [];
      }),
      reportGroupsNotFound: reportGroupArns.filter((arn) => !known.has(arn)),
    };
  },

  async ListReports(services, input) {
    const { sortOrder, nextToken, maxResults, filter } = listReportsInput.parse(input);
    const entries = (await allReports(services)).filter((e) => filter?.status === undefined || e.report.status === filter.status);
    if (sortOrder === 'ASCENDING') entries.reverse();
    const result = paged(entries.map((e) => e.arn), nextToken, maxResults, 'ListReports');
    return { reports: result.items, nextToken: result.nextToken };
  },

  async ListReportsForReportGroup(services, input) {
    const { reportGroupArn, sortOrder, nextToken, maxResults, filter } = listForGroupInput.parse(input);
    const all = await allReports(services);
    if (!all.some((e) => e.groupArn === reportGroupArn)) throw notFound(reportGroupArn);
    const entries = all.filter((e) => e.groupArn === reportGroupArn && (filter?.status === undefined || e.report.status === filter.status));
    if (sortOrder === 'ASCENDING') entries.reverse();
    const result = paged(entries.map((e) => e.arn), nextToken, maxResults, 'ListReportsForReportGroup');
    return { reports: result.items, nextToken: result.nextToken };
  },

  async BatchGetReports(services, input) {
    const { reportArns } = arnsInput('reportArns').parse(input) as { reportArns: string[] };
    const found = await Promise.all([...new Set(reportArns)].map((arn) => findReport(services, arn)));
    const byArn = new Map(found.flatMap((e) => (e ? [[e.arn, e] as const] : [])));
    return { reports: [...byArn.values()].map((e) => reportShape(e, services)), reportsNotFound: reportArns.filter((arn) => !byArn.has(arn)) };
  },

  async DescribeTestCases(services, input) {
    const { reportArn, filter, nextToken, maxResults } = describeTestCasesInput.parse(input);
    const entry = await findReport(services, reportArn);
    if (!entry) throw new NagareError('API_NOT_FOUND', `Report cannot be found: ${reportArn}`, { details: { awsException: 'ResourceNotFoundException' } });
    const keyword = filter?.keyword;
    const cases = entry.report.testCases.filter((c) => (filter?.status === undefined || c.status === filter.status) && (keyword === undefined || c.name.includes(keyword) || c.prefix.includes(keyword)));
    const result = paged(cases, nextToken, maxResults, 'DescribeTestCases');
    const expired = epochSeconds(entry.created + 30 * DAY_MS);
    return { testCases: result.items.map((c) => ({ reportArn, ...c, expired })), nextToken: result.nextToken };
  },

  async GetReportGroupTrend(services, input) {
    const { reportGroupArn, numOfReports, trendField } = trendInput.parse(input);
    const entries = (await allReports(services)).filter((e) => e.groupArn === reportGroupArn);
    if (entries.length === 0) throw notFound(reportGroupArn);
    const rawData = entries.slice(0, numOfReports ?? 100).flatMap((e) => {
      const value = trendValue(e.report, trendField);
      return value === undefined ? [] : [{ reportArn: e.arn, data: String(value) }];
    });
    const values = rawData.map((d) => Number(d.data));
    const stats = values.length === 0 ? {} : { average: String(values.reduce((a, b) => a + b, 0) / values.length), max: String(Math.max(...values)), min: String(Math.min(...values)) };
    return { stats, rawData };
  },
};
