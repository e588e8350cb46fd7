/**
 * Issue 13: the CodeBuild report API through the official CodeBuildClient. Builds complete through
 * the agent protocol's service with the reports an agent sends; the report groups are named as
 * CodeBuild names them (`<project>-<name>`), and `Build.reportArns` lists each build's reports.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BatchGetBuildsCommand,
  BatchGetReportGroupsCommand,
  BatchGetReportsCommand,
  CreateProjectCommand,
  DescribeTestCasesCommand,
  GetReportGroupTrendCommand,
  ListReportGroupsCommand,
  ListReportsCommand,
  ListReportsForReportGroupCommand,
  StartBuildCommand,
} from '@aws-sdk/client-codebuild';
import { projectInput, rejection, useCodeBuildServer } from './codebuild-server.js';

const api = useCodeBuildServer();

function testReport(name: string, passed: number, failed: number): Record<string, unknown> {
  const cases = [
    ...Array.from({ length: passed }, (_, i) => ({ prefix: 'math', name: `adds ${i}`, status: 'SUCCEEDED', durationInNanoSeconds: 1_000_000, message: undefined, testSuiteName: 'math', testRawDataPath: 'reports/junit.xml' })),
    ...Array.from({ length: failed }, (_, i) => ({ prefix: 'math', name: `divides ${i}`, status: 'FAILED', durationInNanoSeconds: 2_000_000, message: 'expected 2, got 3', testSuiteName: 'math', testRawDataPath: 'reports/junit.xml' })),
  ];
  return {
    name,
    type: 'TEST',
    fileFormat: 'JUNITXML',
    status: failed > 0 ? 'FAILED' : 'SUCCEEDED',
    message: undefined,
    rawDataPaths: ['reports/junit.xml'],
    summary: { total: passed + failed, statusCounts: { SUCCEEDED: passed, FAILED: failed, ERROR: 0, SKIPPED: 0, UNKNOWN: 0 }, durationInNanoSeconds: passed * 1_000_000 + failed * 2_000_000 },
    testCases: cases,
    codeCoverageSummary: undefined,
    codeCoverages: [],
  };
}

/** Starts a build of `project` and completes it as an agent would, with `reports`. */
async function buildWithReports(project: string, reports: Record<string, unknown>[]): Promise<string> {
  const { client, server } = api();
  const id = (await client.send(new StartBuildCommand({ projectName: project }))).build?.id ?? '';
  const { agentId } = await server.services.auth.registerAgent(server.token, `agent-${id}`, {});
  assert.equal((await server.services.agents.lease(agentId, 0))?.job.id, id);
  await server.services.agents.complete(agentId, id, { buildStatus: 'FAILED', phases: [], exportedEnvironmentVariables: [], reports, resolvedSourceVersion: undefined });
  return id;
}

test('Build.reportArns lists the build\'s reports; BatchGetReports and DescribeTestCases show them with the failing cases', async () => {
  const { client } = api();
  await client.send(new CreateProjectCommand(projectInput('reported')));
  const id = await buildWithReports('reported', [testReport('unit', 3, 1)]);
  const build = (await client.send(new BatchGetBuildsCommand({ ids: [id] }))).builds?.[0];
  const uuid = id.split(':')[1] ?? '';
  const reportArn = `arn:aws:codebuild:us-east-1:000000000000:report/reported-unit:${uuid}`;
  assert.deepEqual(build?.reportArns, [reportArn]);
  assert.equal(build?.logs?.groupName, '/aws/codebuild/reported');
  assert.equal(build?.logs?.streamName, uuid);

  const { reports, reportsNotFound } = await client.send(new BatchGetReportsCommand({ reportArns: [reportArn, `${reportArn}0`] }));
  assert.deepEqual(reportsNotFound, [`${reportArn}0`]);
  assert.equal(reports?.[0]?.name, 'reported-unit');
  assert.equal(reports?.[0]?.reportGroupArn, 'arn:aws:codebuild:us-east-1:000000000000:report-group/reported-unit');
  assert.equal(reports?.[0]?.executionId, build?.arn);
  assert.equal(reports?.[0]?.status, 'FAILED');
  assert.equal(reports?.[0]?.testSummary?.total, 4);
  assert.equal(reports?.[0]?.testSummary?.statusCounts?.FAILED, 1);

  const failing = await client.send(new DescribeTestCasesCommand({ reportArn, filter: { status: 'FAILED' } }));
  assert.deepEqual(failing.testCases?.map((c) => [c.name, c.message]), [['divides 0', 'expected 2, got 3']]);
  const all = await client.send(new DescribeTestCasesCommand({ reportArn, maxResults: 3 }));
  assert.equal(all.testCases?.length, 3);
  const rest = await client.send(new DescribeTestCasesCommand({ reportArn, maxResults: 3, nextToken: all.nextToken }));
  assert.equal(rest.testCases?.length, 1);
  assert.equal(rest.nextToken, undefined);
});

test('report groups are named <project>-<name>; ListReportGroups, BatchGetReportGroups, ListReportsForReportGroup and GetReportGroupTrend read them', async () => {
  const { client } = api();
  await client.send(new CreateProjectCommand(projectInput('trend-app')));
  const first = await buildWithReports('trend-app', [testReport('unit', 1, 1)]);
  await new Promise((resolve) => setTimeout(resolve, 5));
  const second = await buildWithReports('trend-app', [testReport('unit', 4, 0)]);
  const groupArn = 'arn:aws:codebuild:us-east-1:000000000000:report-group/trend-app-unit';

  assert.ok((await client.send(new ListReportGroupsCommand({}))).reportGroups?.includes(groupArn));
  const groups = await client.send(new BatchGetReportGroupsCommand({ reportGroupArns: [groupArn, `${groupArn}-missing`] }));
  assert.equal(groups.reportGroups?.[0]?.name, 'trend-app-unit');
  assert.equal(groups.reportGroups?.[0]?.type, 'TEST');
  assert.equal(groups.reportGroups?.[0]?.exportConfig?.exportConfigType, 'NO_EXPORT');
  assert.deepEqual(groups.reportGroupsNotFound, [`${groupArn}-missing`]);

  const reportOf = (id: string): string => `arn:aws:codebuild:us-east-1:000000000000:report/trend-app-unit:${id.split(':')[1] ?? ''}`;
  const listed = await client.send(new ListReportsForReportGroupCommand({ reportGroupArn: groupArn }));
  assert.deepEqual(listed.reports, [reportOf(second), reportOf(first)], 'newest first');
  const failed = await client.send(new ListReportsCommand({ filter: { status: 'FAILED' } }));
  assert.ok(failed.reports?.includes(reportOf(first)));
  assert.ok(!failed.reports?.includes(reportOf(second)));

  const trend = await client.send(new GetReportGroupTrendCommand({ reportGroupArn: groupArn, trendField: 'PASS_RATE' }));
  assert.deepEqual(trend.rawData, [{ reportArn: reportOf(second), data: '100' }, { reportArn: reportOf(first), data: '50' }]);
  assert.deepEqual(trend.stats, { average: '75', max: '100', min: '50' });

  const missing = await rejection(client.send(new GetReportGroupTrendCommand({ reportGroupArn: `${groupArn}-missing`, trendField: 'TOTAL' })));
  assert.equal(missing.name, 'ResourceNotFoundException');
});

test('attack: report ARNs that are not ours, or that try to name another build, are not found; more than 100 are refused', async () => {
  const { client } = api();
  const { reports, reportsNotFound } = await client.send(new BatchGetReportsCommand({ reportArns: ['arn:aws:codebuild:us-east-1:000000000000:report/../../etc:passwd', 'not-an-arn', 'arn:aws:codebuild:us-east-1:000000000000:report/nodash:uuid'] }));
  assert.deepEqual(reports, []);
  assert.equal(reportsNotFound?.length, 3);
  const many = Array.from({ length: 101 }, (_, i) => `arn:aws:codebuild:us-east-1:000000000000:report/a-b:${i}`);
  const refused = await rejection(client.send(new BatchGetReportsCommand({ reportArns: many })));
  assert.equal(refused.$metadata?.httpStatusCode, 400);
});
