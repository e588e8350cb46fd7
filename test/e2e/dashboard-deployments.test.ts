/**
 * The dashboard's deployment pages in a real browser (Debian's chromium driven by playwright-core)
 * against a real server and store. Hosts are played through the same service calls the agent
 * protocol routes make (test/server/deployments/deployment-fixture.ts), since the host agents run
 * their lifecycle elsewhere: a deployment created through the API is followed on its page to its
 * end, a failed one shows its failed lifecycle event with the end of scripts.log and both rollback
 * links, the fleet page shows application → deployment group → instance → the revision it serves
 * with the agent's health, Stop deployment works from the page, a build of a batch links to its
 * batch, the deployments list works by keyboard, and a pipeline execution's CodeDeploy action
 * links to its deployment's page; the builds page filters by status and initiator through its URL.
 * axe-core checks each new page at
 * 1280×800 and at phone width, light and dark; screenshots go to docs/images/.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { NagareClient } from '../../src/client/nagare-client.js';
import { waitFor } from '../agent/agent-harness.js';
import { authedUrl, commitFiles, gitOk, tempDir } from '../git/git-client.js';
import { playAgents, registerHost, setUpGroup } from '../server/deployments/deployment-fixture.js';
import { parsePipeline } from '../../src/spec/pipeline.js';
import { tellDeploymentStory, type DeploymentStory } from '../support/deployment-story.js';
import { requirement } from '../support/requirements.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const CHROMIUM = '/usr/bin/chromium';
const IMAGES = fileURLToPath(new URL('../../docs/images/', import.meta.url));
const WEB = fileURLToPath(new URL('../../dist/web/index.html', import.meta.url));
const skip = requirement('Debian chromium at /usr/bin/chromium (apt-get install chromium)', existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is absent`)
  || requirement('the built dashboard (npm run build)', existsSync(WEB) ? undefined : 'dist/web is missing: run npm run build');
const BATCH_BUILDSPEC = 'version: 0.2\nbatch:\n  build-graph:\n    - identifier: linux\n    - identifier: docs\n      depend-on: [linux]\nphases:\n  build:\n    commands: [echo batch]\n';

let server: TestServer;
let client: NagareClient;
let story: DeploymentStory;
let batchId = '';
let context: BrowserContext;
let page: Page;

before(async () => {
  if (skip) return;
  // No periodic sweep during the test: the test plays the agents itself.
  server = await startTestServer({ schedulerIntervalMs: 60_000 });
  client = new NagareClient({ server: server.url, token: server.token });
  story = await tellDeploymentStory(server);
  await server.services.projects.create({ name: 'batched', source: { type: 'NO_SOURCE', buildspec: BATCH_BUILDSPEC }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
  batchId = (await server.services.buildBatches.start({ projectName: 'batched', initiator: 'test' })).id;
  context = await chromium.launchPersistentContext(await tempDir('chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60_000);
  await page.goto(`${server.url}/deployments`);
  await page.waitForURL(/\/sign-in\?next=%2Fdeployments/);
  await page.getByLabel('API token').fill(server.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/deployments$/);
});

after(async () => {
  if (skip) return;
  await context?.close();
  await server?.stop();
});

/** No serious or critical accessibility violation on the page as it is now. */
async function checkAccessibility(what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), [], `${what}: accessibility`);
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(IMAGES, `${name}.png`), fullPage: true });
}

async function loaded(): Promise<void> {
  await page.locator('main .muted', { hasText: 'Loading…' }).first().waitFor({ state: 'detached' });
}

test('a deployment created through the API is listed, and its page follows its instances to the end without reloading', { skip }, async () => {
  const { deploymentId } = await client.codeDeploy<{ deploymentId: string }>('CreateDeployment', {
    applicationName: 'shop',
    deploymentGroupName: 'prod',
    revision: { revisionType: 'S3', s3Location: { bucket: 'nagare-revisions', key: 'shop/good.zip', bundleType: 'zip' } },
    description: 'from the browser test',
  });
  await page.goto(`${server.url}/deployments`);
  const row = page.getByRole('row').filter({ hasText: deploymentId });
  await row.getByText('InProgress').waitFor();
  await row.getByRole('link', { name: deploymentId }).click();
  await page.waitForURL(new RegExp(`/deployments/${deploymentId}$`));
  await page.getByRole('heading', { name: new RegExp(`Deployment ${deploymentId} InProgress`) }).waitFor();
  await page.getByRole('region', { name: 'Instance web-1' }).waitFor();
  // A mark on the page's window: a reload would wipe it.
  await page.evaluate('window.notReloaded = true');
  await playAgents(server, deploymentId, ['agent-web-1', 'agent-web-2']);
  await page.getByRole('heading', { name: new RegExp(`Deployment ${deploymentId} Succeeded`) }).waitFor();
  for (const instance of ['web-1', 'web-2']) {
    const events = page.getByRole('region', { name: `Lifecycle events of ${instance}` });
    for (const name of ['ApplicationStop', 'DownloadBundle', 'BeforeInstall', 'Install', 'AfterInstall', 'ApplicationStart', 'ValidateService']) {
      await events.getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) }).getByText('Succeeded').waitFor();
    }
  }
  assert.equal(await page.evaluate('window.notReloaded === true'), true, 'the page was never reloaded');
});

test("a failed deployment's page shows the failed lifecycle event with the end of scripts.log, and both rollback links", { skip }, async () => {
  await page.goto(`${server.url}/deployments/${story.bad}`);
  await page.getByRole('heading', { name: new RegExp(`Deployment ${story.bad} Failed`) }).waitFor();
  const web1 = page.getByRole('region', { name: 'Instance web-1' });
  await web1.getByRole('row').filter({ has: page.getByRole('cell', { name: 'ValidateService', exact: true }) }).getByText('Failed').waitFor();
  await web1.getByText('ScriptFailed').waitFor();
  await web1.getByText('scripts/check.sh').first().waitFor();
  assert.equal((await web1.getByLabel('End of scripts.log of web-1').innerText()).trim(), 'health check failed');
  await page.getByRole('region', { name: 'Instance web-2' }).getByText('Skipped').first().waitFor();
  await checkAccessibility('a failed deployment');
  await screenshot('deployment');
  const rollback = page.getByRole('region', { name: 'Rollback' });
  await rollback.getByRole('link', { name: story.rollback }).click();
  await page.waitForURL(new RegExp(`/deployments/${story.rollback}$`));
  await page.getByRole('heading', { name: new RegExp(`Deployment ${story.rollback} Succeeded`) }).waitFor();
  await page.getByText('by automatic rollback').waitFor();
  await page.getByRole('region', { name: 'Rollback' }).getByRole('link', { name: story.bad }).click();
  await page.waitForURL(new RegExp(`/deployments/${story.bad}$`));
  await page.goBack();
  await page.waitForURL(new RegExp(`/deployments/${story.rollback}$`));
});

test('the fleet page shows application → deployment group → instance → the revision it serves, with its agent health', { skip }, async () => {
  await page.goto(`${server.url}/fleet`);
  await loaded();
  const shop = page.locator('li.application', { has: page.getByRole('heading', { name: 'Application shop' }) });
  const prod = shop.locator('li.group', { has: page.getByRole('heading', { name: 'Deployment group prod' }) });
  const instances = prod.getByRole('region', { name: 'Instances of shop / prod' });
  for (const name of ['web-1', 'web-2']) {
    const row = instances.getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${name}`) }) });
    await row.getByText('s3://nagare-revisions/shop/good.zip').waitFor();
    await row.getByText('CONNECTED').waitFor();
    await row.getByText('idle').waitFor();
  }
  await page.getByRole('region', { name: 'Instances in no deployment group' }).getByText('beta-1').waitFor();
  await checkAccessibility('fleet with deployments');
  await screenshot('fleet-deployed');
});

test("Stop deployment on a running deployment's page stops it (a change the page sends with the session's CSRF token)", { skip }, async () => {
  const { deploymentId } = await client.codeDeploy<{ deploymentId: string }>('CreateDeployment', {
    applicationName: 'shop',
    deploymentGroupName: 'prod',
    revision: { revisionType: 'S3', s3Location: { bucket: 'nagare-revisions', key: 'shop/good.zip', bundleType: 'zip' } },
  });
  await page.goto(`${server.url}/deployments/${deploymentId}`);
  await page.getByRole('heading', { name: new RegExp(`Deployment ${deploymentId} InProgress`) }).waitFor();
  await page.getByRole('button', { name: 'Stop deployment' }).click();
  await page.getByRole('heading', { name: new RegExp(`Deployment ${deploymentId} Stopped`) }).waitFor();
  await page.getByText('MANUAL_STOP', { exact: false }).first().waitFor();
  assert.equal((await client.getDeployment(deploymentId)).deployment.status, 'Stopped');
});

test('a build of a batch links to its batch, whose page lists its build groups with their status', { skip }, async () => {
  const { batch } = await client.getBuildBatch(batchId);
  const first = batch.groups[0]?.builds[0]?.id ?? '';
  await page.goto(`${server.url}/builds/${encodeURIComponent(first)}`);
  await page.getByRole('link', { name: 'its build batch' }).click();
  await page.waitForURL(/\/builds\/batches\//);
  const groups = page.getByRole('region', { name: 'Build groups' });
  await groups.getByRole('row').filter({ hasText: 'linux' }).getByRole('link', { name: /^#/ }).waitFor();
  await groups.getByRole('row').filter({ hasText: 'docs' }).getByText('not started').waitFor();
  await checkAccessibility('build batch');
});

test('the deployments list can be used by keyboard alone: Tab reaches a deployment link and Enter opens it', { skip }, async () => {
  await page.goto(`${server.url}/deployments`);
  await loaded();
  let reached = false;
  for (let presses = 0; presses < 40 && !reached; presses++) {
    await page.keyboard.press('Tab');
    reached = String(await page.evaluate('document.activeElement && document.activeElement.textContent')) === story.good;
  }
  assert.ok(reached, 'Tab reaches the link of a deployment');
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/deployments/${story.good}$`));
  await page.getByRole('heading', { name: new RegExp(`Deployment ${story.good} Succeeded`) }).waitFor();
});

test('the deployment pages pass the accessibility check at 1280x800 and at phone width, in light and dark', { skip }, async () => {
  const pages = [['/deployments', 'Deployments'], [`/deployments/${story.bad}`, `Deployment ${story.bad} Failed`], ['/fleet', 'Fleet'], [`/builds/batches/${encodeURIComponent(batchId)}`, /batched batch #1/]] as const;
  try {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
        await page.setViewportSize(viewport);
        for (const [where, heading] of pages) {
          await page.goto(`${server.url}${where}`);
          await page.getByRole('heading', { name: heading, exact: typeof heading === 'string' && !heading.startsWith('Deployment ') }).first().waitFor();
          await loaded();
          await checkAccessibility(`${where} at ${viewport.width}px, ${colorScheme}`);
          const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
          assert.ok(overflow <= 0, `${where} at ${viewport.width}px, ${colorScheme}: no sideways scrolling of the page (${overflow}px)`);
        }
        if (viewport.width === 390 && colorScheme === 'dark') {
          await page.goto(`${server.url}/deployments/${story.bad}`);
          await page.getByRole('region', { name: 'Instance web-1' }).waitFor();
          await screenshot('deployment-phone-dark');
        }
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${server.url}/deployments`);
    await loaded();
    await screenshot('deployments');
  } finally {
    await page.emulateMedia({ colorScheme: null });
    await page.setViewportSize({ width: 1280, height: 800 });
  }
});

test("a pipeline execution's CodeDeploy action links to its deployment's page, and back", { skip }, async () => {
  // Its own application, group and host (env=stage), so that the pages checked above keep theirs.
  const agent = await registerHost(server, 'stage-1', { env: 'stage' });
  await setUpGroup(server, 'site', { onPremisesInstanceTagFilters: [{ Key: 'env', Value: 'stage', Type: 'KEY_AND_VALUE' }] });
  await server.services.repositories.create({ repositoryName: 'site' });
  await server.services.pipelines.apply(parsePipeline(JSON.stringify({
    pipeline: {
      name: 'site',
      roleArn: 'arn:aws:iam::000000000000:role/unused',
      stages: [
        { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: 'site', BranchName: 'main' }, outputArtifacts: [{ name: 'SourceArtifact' }] }] },
        { name: 'Stage', actions: [{ name: 'DeployToStage', actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'CodeDeploy', version: '1' }, configuration: { ApplicationName: 'site', DeploymentGroupName: 'prod' }, inputArtifacts: [{ name: 'SourceArtifact' }] }] },
      ],
    },
  }), 'pipeline.json'));
  const work = await tempDir('site');
  await gitOk(work, ['init', '--quiet', '--initial-branch', 'main']);
  await gitOk(work, ['remote', 'add', 'origin', authedUrl(server.url, 'site', server.token)]);
  await commitFiles(work, { 'appspec.yml': 'version: 0.0\nos: linux\n', 'index.html': 'v1' }, 'v1');
  await gitOk(work, ['push', '--quiet', 'origin', 'main']);
  let deploymentId = '';
  await waitFor('the deploy action to create its deployment', async () => {
    deploymentId = (await server.services.deployments.list({ applicationName: 'site' }, { limit: 1 })).items[0] ?? '';
    return deploymentId !== '';
  }, 30_000);
  await playAgents(server, deploymentId, [agent]);
  // No periodic sweep in this file: the reconciler that sees the deployment end runs by hand.
  let executionId = '';
  await waitFor('the deploy action to end with its deployment', async () => {
    await server.pipelineDriver.reconcile();
    const execution = (await server.services.pipelines.runtime('site')).executions.at(-1);
    executionId = execution?.pipelineExecutionId ?? '';
    return execution?.actions.find((a) => a.action === 'DeployToStage')?.externalExecutionId === deploymentId;
  }, 30_000);

  await page.goto(`${server.url}/pipelines/site/executions/${executionId}`);
  const action = page.getByRole('row').filter({ has: page.getByRole('cell', { name: /^DeployToStage/ }) });
  await action.getByText('Succeeded', { exact: true }).waitFor();
  await action.getByRole('link', { name: `Deployment ${deploymentId}` }).click();
  await page.waitForURL(new RegExp(`/deployments/${deploymentId}$`));
  await page.getByRole('heading', { name: new RegExp(`Deployment ${deploymentId} Succeeded`) }).waitFor();
  await page.getByRole('region', { name: 'Instance stage-1' }).waitFor();
  await page.goBack();
  await page.waitForURL(new RegExp(`/pipelines/site/executions/${executionId}$`));
  await action.getByRole('link', { name: `Deployment ${deploymentId}` }).waitFor();
});

test('the builds page filters by status and initiator on the server, in the URL: deep links and the back button work', { skip }, async () => {
  const stopped = await server.services.builds.stopBuild((await server.services.builds.startBuild({ projectName: 'batched', initiator: 'alice' })).id);
  const row = (id: string) => page.getByRole('row').filter({ has: page.locator(`a[href="/builds/${encodeURIComponent(id)}"]`) });
  await page.goto(`${server.url}/builds?initiator=alice`);
  await row(stopped.id).getByText('STOPPED').waitFor();
  assert.equal(await page.locator('main tbody tr').count(), 1, 'only the build alice started');
  await page.goto(`${server.url}/builds`);
  await loaded();
  await page.getByLabel('Status').selectOption('STOPPED');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/\/builds\?status=STOPPED$/);
  await row(stopped.id).waitFor();
  assert.equal(await page.locator('main tbody tr').count(), 1, 'only the stopped build');
  await page.getByLabel('Initiator').fill('test');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/\/builds\?status=STOPPED&initiator=test$/);
  await page.getByText('No builds here').waitFor();
  await page.goBack();
  await page.waitForURL(/\/builds\?status=STOPPED$/);
  await row(stopped.id).waitFor();
  assert.equal(await page.getByLabel('Status').inputValue(), 'STOPPED');
});
