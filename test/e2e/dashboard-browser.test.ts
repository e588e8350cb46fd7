/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against a real
 * `nagare up` with its embedded agent: sign in, watch a pushed commit's execution progress without
 * reloading, open its build's live log, download its artifact, approve and see the next stage run,
 * reject another, its test report's totals and failing case, CSRF refusal, sign-out, and a page visited without a session going to sign-in.
 * axe-core checks every page (no serious or critical violations); screenshots go to docs/images/.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { NagareClient } from '../../src/client/nagare-client.js';
import { authedUrl, commitFiles, gitOk, tempDir } from '../git/git-client.js';
import { CLI, initialCredentials, startCliServer, stopCliServer, type CliServer } from '../support/cli-server.js';
import { requirement } from '../support/requirements.js';

const CHROMIUM = '/usr/bin/chromium';
const IMAGES = fileURLToPath(new URL('../../docs/images/', import.meta.url));
const skip = requirement('Debian chromium at /usr/bin/chromium (apt-get install chromium)', existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is absent`)
  || requirement('the built CLI and dashboard (npm run build)', existsSync(CLI) && existsSync(path.join(path.dirname(CLI), '../web/index.html')) ? undefined : 'dist/cli or dist/web is missing: run npm run build');

const BUILDSPEC = `version: 0.2
phases:
  build:
    commands:
      - printf '\\033[32mdashboard build ok\\033[0m\\n'
      - mkdir -p out && echo "built from $CODEBUILD_RESOLVED_SOURCE_VERSION" > out/result.txt
      - cp junit.xml out/junit.xml
reports:
  unit-tests:
    files: [junit.xml]
    file-format: JUNITXML
artifacts:
  base-directory: out
  files: ['**/*']
`;
const JUNIT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="greeter" tests="2" failures="1">
  <testcase classname="greeter" name="says hello" time="0.01"/>
  <testcase classname="greeter" name="says goodbye" time="0.02"><failure message="expected goodbye, got hello">AssertionError</failure></testcase>
</testsuite></testsuites>
`;
const PIPELINE = `name: web-demo
pipelineType: V2
executionMode: QUEUED
roleArn: arn:aws:iam::000000000000:role/not-used-by-nagare
stages:
  - name: Source
    actions:
      - name: Source
        actionTypeId: { category: Source, owner: AWS, provider: CodeCommit, version: "1" }
        configuration: { RepositoryName: web-demo, BranchName: main }
        outputArtifacts: [{ name: SourceArtifact }]
  - name: Build
    actions:
      - name: Build
        actionTypeId: { category: Build, owner: AWS, provider: CodeBuild, version: "1" }
        configuration: { ProjectName: web-demo-build }
        inputArtifacts: [{ name: SourceArtifact }]
        outputArtifacts: [{ name: BuildArtifact }]
  - name: Approval
    actions:
      - name: Release
        actionTypeId: { category: Approval, owner: AWS, provider: Manual, version: "1" }
        configuration: { CustomData: "Ship web-demo to production?" }
  - name: Release
    actions:
      - name: Announce
        actionTypeId: { category: Compute, owner: AWS, provider: Commands, version: "1" }
        commands: ["cat result.txt"]
        inputArtifacts: [{ name: BuildArtifact }]
`;

let up: CliServer;
let token = '';
let work = '';
let context: BrowserContext;
let page: Page;

before(async () => {
  if (skip) return;
  const dataDir = await tempDir('dashboard-data');
  up = await startCliServer('up', dataDir, ['--log-level', 'warn']);
  token = initialCredentials(dataDir).token;
  const client = new NagareClient({ server: up.url, token });
  await client.createRepository('web-demo');
  await client.createProject({ name: 'web-demo-build', source: { type: 'CODEPIPELINE', buildspec: 'buildspec.yml' }, environment: { type: 'LINUX_CONTAINER', image: 'shell', computeType: 'BUILD_GENERAL1_SMALL' }, artifacts: { type: 'CODEPIPELINE' } });
  await client.applyPipeline(PIPELINE, 'pipeline.yml');
  work = await tempDir('dashboard-work');
  await gitOk(work, ['init', '--quiet', '--initial-branch', 'main']);
  await gitOk(work, ['remote', 'add', 'origin', authedUrl(up.url, 'web-demo', token)]);
  context = await chromium.launchPersistentContext(await tempDir('chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60_000);
});

after(async () => {
  if (skip) return;
  await context?.close();
  await stopCliServer(up);
});

async function push(message: string): Promise<string> {
  const commit = await commitFiles(work, { 'buildspec.yml': BUILDSPEC, 'junit.xml': JUNIT, 'CHANGES.md': `${message}\n` }, message);
  await gitOk(work, ['push', '--quiet', 'origin', 'main']);
  return commit;
}

/** No serious or critical accessibility violation on the page as it is now. */
async function checkAccessibility(what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), [], `${what}: accessibility`);
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(IMAGES, `${name}.png`) });
}

test('a page visited without a session goes to sign-in, and comes back after signing in', { skip }, async () => {
  await page.goto(`${up.url}/pipelines/web-demo`);
  await page.waitForURL(/\/sign-in\?next=%2Fpipelines%2Fweb-demo/);
  await checkAccessibility('sign-in');
  await screenshot('sign-in');
  await page.getByLabel('API token').fill('ngu_not-a-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'AUTH_INVALID_TOKEN' }).waitFor();
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/pipelines\/web-demo$/);
  await page.getByRole('heading', { name: 'web-demo' }).waitFor();
  // Evaluated in the page (the test's own TypeScript has no DOM types).
  const stored = String(await page.evaluate('JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie })'));
  assert.ok(!stored.includes(token), 'the token is kept nowhere the page can read');
  assert.ok(!stored.includes('nagare_session'), 'the session cookie is HttpOnly');
});

test("a pushed commit's execution progresses on the page without reloading, up to the waiting approval", { skip }, async () => {
  // A mark on the page's window: a reload would wipe it.
  await page.evaluate('window.notReloaded = true');
  await page.getByText('No executions yet').waitFor();
  const commit = await push('first change');
  const row = page.getByRole('row').filter({ hasText: commit.slice(0, 10) });
  await row.waitFor();
  await row.getByRole('link').click();
  await page.waitForURL(/\/pipelines\/web-demo\/executions\//);
  await page.getByRole('region', { name: 'Approval Release waits' }).waitFor({ timeout: 120_000 });
  await page.getByText('Ship web-demo to production?').waitFor();
  assert.equal(await page.evaluate('window.notReloaded === true'), true, 'the page was never reloaded');
  await checkAccessibility('execution');
  await screenshot('execution');
});

test("the execution's build: its live log with colours, phases, test report, and its artifact downloaded", { skip }, async () => {
  const executionUrl = page.url();
  await page.getByRole('link', { name: /^Build / }).click();
  await page.waitForURL(/\/builds\//);
  const log = page.getByTestId('log');
  // ANSI green shows as green: the escape codes become a styled span, never raw text.
  await log.locator('span.fg-green', { hasText: 'dashboard build ok' }).waitFor();
  assert.ok(!(await log.innerText()).includes('\u001b['), 'no raw escape codes in the log');
  await page.getByRole('region', { name: 'Phases' }).getByText('BUILD', { exact: true }).waitFor();
  const reports = page.getByRole('region', { name: 'Reports' });
  await reports.getByText('2 tests: 1 succeeded, 1 failed').waitFor();
  await reports.getByText('says goodbye').waitFor();
  await reports.getByText('expected goodbye, got hello').waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /artifact \(zip\)/i }).first().click()]);
  const saved = await download.path();
  assert.equal(readFileSync(saved).subarray(0, 2).toString('latin1'), 'PK', 'the artifact is a zip');
  await checkAccessibility('build');
  await screenshot('build');
  await page.goBack();
  await page.waitForURL(executionUrl);
});

test('approving from the page runs the next stage', { skip }, async () => {
  const approval = page.getByRole('region', { name: 'Approval Release waits' });
  await approval.getByLabel('Summary').fill('looks good');
  await approval.getByRole('button', { name: 'Approve' }).click();
  await page.locator('.stage-card', { has: page.getByRole('heading', { name: 'Release', exact: true }) }).getByText('Succeeded').first().waitFor({ timeout: 120_000 });
  await page.getByRole('heading', { name: /Execution .* Succeeded/ }).waitFor();
});

test('rejecting another execution from the page fails it at the approval', { skip }, async () => {
  await page.goto(`${up.url}/pipelines/web-demo`);
  const commit = await push('second change');
  const row = page.getByRole('row').filter({ hasText: commit.slice(0, 10) });
  await row.waitFor();
  await row.getByRole('link').click();
  const approval = page.getByRole('region', { name: 'Approval Release waits' });
  await approval.waitFor({ timeout: 120_000 });
  await approval.getByLabel('Summary').fill('not today');
  await approval.getByRole('button', { name: 'Reject' }).click();
  await page.getByRole('heading', { name: /Execution .* Failed/ }).waitFor();
  await page.goto(`${up.url}/pipelines`);
  await page.locator('.stage-box', { hasText: 'Approval' }).getByText('Failed').waitFor();
  await checkAccessibility('pipelines');
  await screenshot('pipelines');
});

test('every other page passes the accessibility check, at 1280x800 and at phone width', { skip }, async () => {
  for (const [where, heading] of [['/pipelines/web-demo', 'web-demo'], ['/builds', 'Builds'], ['/repositories', 'Repositories'], ['/repositories/web-demo', 'web-demo'], ['/fleet', 'Fleet']] as const) {
    await page.goto(`${up.url}${where}`);
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
    // A page may load several sections at once (the fleet: deployed where, and agents): wait for all.
    // (A locator, not waitForFunction: the page's CSP forbids evaluating strings.)
    const loading = page.locator('main .muted', { hasText: 'Loading…' });
    while ((await loading.count()) > 0) await loading.first().waitFor({ state: 'detached' });
    await checkAccessibility(where);
    if (where === '/fleet' || where === '/repositories/web-demo' || where === '/builds') await screenshot(where.slice(1).replace('/', '-'));
  }
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${up.url}/pipelines`);
  await page.getByRole('heading', { name: 'Pipelines' }).waitFor();
  await checkAccessibility('pipelines at phone width');
  await screenshot('pipelines-phone');
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('CSRF: a change sent with the session cookie but without the CSRF token is refused', { skip }, async () => {
  const answer = await page.evaluate(async () => {
    const response = await fetch('/api/v1/pipelines/web-demo/executions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    return { status: response.status, body: await response.text() };
  });
  assert.equal(answer.status, 403);
  assert.match(answer.body, /AUTH_FORBIDDEN/);
});

test('sign-out ends the session: pages go to sign-in again', { skip }, async () => {
  await page.goto(`${up.url}/builds`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/sign-in/);
  await page.goto(`${up.url}/fleet`);
  await page.waitForURL(/\/sign-in\?next=%2Ffleet/);
  const status = await page.evaluate(async () => (await fetch('/api/v1/projects')).status);
  assert.equal(status, 401);
});
