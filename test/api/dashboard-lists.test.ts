/**
 * The lists behind the dashboard's pages page in the store (issue 11: pagination and indexes, no
 * whole-table reads), on SQLite and PostgreSQL: `GET /api/v1/pipelines` by name with each stage's
 * latest status, `GET /api/v1/builds` filtered by status and initiator on the server, `GET
 * /api/v1/deploy/deployments` of every application, and `GET /api/v1/deploy/fleet` a page of
 * registered instances at a time. Paging returns every item exactly once; a bad limit, filter or
 * nextToken is a 400 naming what was wrong, never a stack trace.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { StatusType } from '../../src/core/build-phases.js';
import { parsePipeline } from '../../src/spec/pipeline.js';
import { sampleBuild, sampleBuildJob, sampleRecord, T0 } from '../store/fixtures.js';
import { startTestServer, testDatabases, type TestServer } from '../support/test-server.js';

const PIPELINES = 7;
const INSTANCES = 205;
const STATUSES: readonly StatusType[] = ['SUCCEEDED', 'FAILED', 'STOPPED'];
const INITIATORS = ['alice', 'codepipeline/deliver', 'alice-bot'];

interface Answer {
  readonly status: number;
  readonly body: {
    nextToken?: string;
    instancesNextToken?: string;
    pipelines?: { name: string; stageSummaries: { stageName: string }[] }[];
    builds?: { id: string; buildStatus: string; initiator: string }[];
    deployments?: { deploymentId: string }[];
    applications?: { applicationName: string; deploymentGroups: { instances: { instanceName: string }[] }[] }[];
    instancesInNoGroup?: { instanceName: string }[];
    error?: { code: string; message: string };
  };
  readonly text: string;
}

/** Follows nextToken (or `tokenOf`) from `first` until the list ends, collecting `itemsOf` each page. */
async function everyPage(get: (path: string) => Promise<Answer>, first: string, itemsOf: (body: Answer['body']) => string[], tokenOf: (body: Answer['body']) => string | undefined = (b) => b.nextToken, tokenName = 'nextToken'): Promise<{ items: string[]; pages: number }> {
  const items: string[] = [];
  let pages = 0;
  let token: string | undefined;
  do {
    const answer = await get(token === undefined ? first : `${first}${first.includes('?') ? '&' : '?'}${tokenName}=${encodeURIComponent(token)}`);
    assert.equal(answer.status, 200, answer.text);
    items.push(...itemsOf(answer.body));
    pages++;
    token = tokenOf(answer.body);
  } while (token !== undefined);
  return { items, pages };
}

for (const [database, skip] of await testDatabases()) {
  void describe(`the dashboard's lists on ${database}`, { skip }, () => {
    let server: TestServer;
    const get = async (path: string): Promise<Answer> => {
      const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.token}` } });
      const text = await response.text();
      return { status: response.status, body: JSON.parse(text) as Answer['body'], text };
    };
    // Newest first as the list orders them: by start time, then by id, both descending.
    const builds: { id: string; status: StatusType; initiator: string; project: string; startTime: number }[] = [];

    before(async () => {
      server = await startTestServer({ database, schedulerIntervalMs: 60_000 });
      const { services } = server;
      const { store } = services.context;
      await services.repositories.create({ repositoryName: 'app' });
      for (let p = 0; p < PIPELINES; p++) {
        const definition = { pipeline: { name: `pipe-${p}`, pipelineType: 'V2', roleArn: 'arn:aws:iam::000000000000:role/unused', stages: [
          { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: 'app', BranchName: 'main' }, outputArtifacts: [{ name: 'SourceArtifact' }] }] },
          { name: 'Approval', actions: [{ name: 'Approve', actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' } }] },
        ] } };
        await services.pipelines.apply(parsePipeline(JSON.stringify(definition), 'pipeline.json'));
      }
      for (const project of ['alpha', 'beta']) {
        await services.projects.create({ name: project, source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo]\n' }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
      }
      // Ended builds as the server stores them, four to a start time (the keyset's tie on id).
      for (let i = 0; i < 48; i++) {
        const project = i % 4 === 0 ? 'beta' : 'alpha';
        const id = `${project}:${String(i).padStart(4, '0')}`;
        const [status, initiator] = [STATUSES[i % 3] ?? 'SUCCEEDED', INITIATORS[i % 4 === 3 ? 2 : i % 2] ?? 'alice'];
        const startTime = T0 + Math.floor(i / 4);
        await store.builds.insert(sampleBuild(id, { startTime, buildStatus: status, currentPhase: 'COMPLETED', endTime: T0 + 100, record: sampleRecord(id, { job: { ...sampleBuildJob(id), initiator } }) }));
        builds.push({ id, status, initiator, project, startTime });
      }
      builds.sort((a, b) => b.startTime - a.startTime || (a.id < b.id ? 1 : -1));
      await services.deployments.applications.createApplication('shop');
      await services.deployments.applications.createGroup({ applicationName: 'shop', deploymentGroupName: 'prod', onPremisesInstanceTagFilters: [{ Key: 'env', Value: 'prod', Type: 'KEY_AND_VALUE' }] });
      for (let i = 0; i < INSTANCES; i++) {
        await services.deployments.instances.register(`host-${String(i).padStart(3, '0')}`, {}, [{ Key: 'env', Value: i % 5 === 0 ? 'test' : 'prod' }]);
      }
    });
    after(async () => {
      await server.stop();
    });

    test('the pipelines list pages by name: every pipeline exactly once, each with its stages’ latest status', async () => {
      const pages = await everyPage(get, '/api/v1/pipelines?limit=3', (body) => {
        for (const pipeline of body.pipelines ?? []) assert.deepEqual(pipeline.stageSummaries.map((s) => s.stageName), ['Source', 'Approval']);
        return (body.pipelines ?? []).map((p) => p.name);
      });
      assert.deepEqual(pages.items, Array.from({ length: PIPELINES }, (_, p) => `pipe-${p}`));
      assert.equal(pages.pages, 3);
    });

    test('a status filter returns only the builds of that status, across pages, newest first', async () => {
      for (const status of STATUSES) {
        const pages = await everyPage(get, `/api/v1/builds?limit=5&status=${status}`, (body) => {
          for (const build of body.builds ?? []) assert.equal(build.buildStatus, status);
          return (body.builds ?? []).map((b) => b.id);
        });
        assert.deepEqual(pages.items, builds.filter((b) => b.status === status).map((b) => b.id));
      }
      const failedOfBeta = await everyPage(get, '/api/v1/builds?limit=2&status=FAILED&project=beta', (body) => (body.builds ?? []).map((b) => b.id));
      assert.deepEqual(failedOfBeta.items, builds.filter((b) => b.status === 'FAILED' && b.project === 'beta').map((b) => b.id));
      assert.deepEqual((await get('/api/v1/builds?status=TIMED_OUT')).body.builds, []);
    });

    test('an initiator filter returns only the builds that initiator started (exactly), across pages', async () => {
      const alice = await everyPage(get, '/api/v1/builds?limit=4&initiator=alice', (body) => (body.builds ?? []).map((b) => b.id));
      assert.deepEqual(alice.items, builds.filter((b) => b.initiator === 'alice').map((b) => b.id));
      const pipelineFailed = await everyPage(get, `/api/v1/builds?limit=3&status=FAILED&initiator=${encodeURIComponent('codepipeline/deliver')}`, (body) => (body.builds ?? []).map((b) => b.id));
      assert.deepEqual(pipelineFailed.items, builds.filter((b) => b.initiator === 'codepipeline/deliver' && b.status === 'FAILED').map((b) => b.id));
      assert.deepEqual((await get('/api/v1/builds?initiator=ali')).body.builds, []);
    });

    test('the fleet pages the registered instances: each once across pages, under the same applications', async () => {
      const seen = await everyPage(get, '/api/v1/deploy/fleet', (body) => {
        assert.deepEqual(body.applications?.map((a) => a.applicationName), ['shop']);
        const inGroup = body.applications?.flatMap((a) => a.deploymentGroups.flatMap((g) => g.instances.map((i) => i.instanceName))) ?? [];
        for (const name of inGroup) assert.notEqual(Number(name.slice(5)) % 5, 0, `${name} is not tagged env=prod`);
        return [...inGroup, ...(body.instancesInNoGroup ?? []).map((i) => i.instanceName)];
      }, (body) => body.instancesNextToken, 'instancesNextToken');
      assert.equal(seen.pages, 2);
      assert.deepEqual([...seen.items].sort(), Array.from({ length: INSTANCES }, (_, i) => `host-${String(i).padStart(3, '0')}`));
    });

    test('a bad limit, status or nextToken is a 400 saying what is wrong, with no stack trace', async () => {
      const token = (key: unknown[]): string => encodeURIComponent(Buffer.from(JSON.stringify(key)).toString('base64url'));
      const cases: [string, RegExp][] = [
        ['/api/v1/pipelines?limit=0', /limit/],
        ['/api/v1/pipelines?limit=many', /limit/],
        [`/api/v1/pipelines?nextToken=${token([1])}`, /nextToken/],
        ['/api/v1/builds?limit=1000', /limit/],
        ['/api/v1/builds?status=BROKEN', /status/],
        ['/api/v1/builds?nextToken=not-a-token', /nextToken/],
        [`/api/v1/builds?status=FAILED&nextToken=${token(['x'])}`, /nextToken/],
        ['/api/v1/deploy/deployments?limit=-1', /limit/],
        [`/api/v1/deploy/deployments?nextToken=${token([1, 2])}`, /nextToken/],
        ['/api/v1/deploy/fleet?instancesNextToken=not-a-token', /nextToken/],
        ['/api/v1/deploy/fleet?nextToken=not-a-token', /nextToken/],
      ];
      for (const [path, names] of cases) {
        const answer = await get(path);
        assert.equal(answer.status, 400, `${path}: ${answer.text}`);
        assert.equal(answer.body.error?.code, 'API_INVALID_INPUT', path);
        assert.match(answer.body.error?.message ?? '', names, path);
        assert.doesNotMatch(answer.text, /\n\s+at |\.ts:\d+/, `${path} leaks a stack trace`);
      }
    });
  });
}
