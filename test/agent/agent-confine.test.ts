/**
 * Issue 7 on the agent's real path (server, agent, git, pipeline): pushed code cannot make the
 * agent read or write host files with its own rights — a buildspec.yml that links out (finding 3)
 * and a Source artifact whose git tree has a symlink `a` and a directory `a/` (finding 1).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { executionSummaries } from '../../src/core/pipeline-execution.js';
import { parsePipeline } from '../../src/spec/pipeline.js';
import { authedUrl, gitOk, tempDir } from '../git/git-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { agentFor, createProject, phasesOf, startBuild, storedLog, waitFor, waitForBuild } from './agent-harness.js';

let server: TestServer;
let stopAgent: () => Promise<void>;
before(async () => {
  server = await startTestServer({ schedulerIntervalMs: 200 });
  const agent = await agentFor(server);
  stopAgent = () => agent.stop();
});
after(async () => {
  await stopAgent();
  await server.stop();
});

const SECRET = `host-only-line-${randomUUID()}: do-not-show`;

/** A local git repository with `files` and, for each `links` entry, a committed symlink. */
async function repository(files: Record<string, string>, links: Record<string, string>): Promise<string> {
  const repo = await mkdtemp(path.join(os.tmpdir(), 'nagare-confine-repo-'));
  const git = (...args: string[]): string => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' }).trim();
  git('init', '--quiet', '--initial-branch=main');
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(repo, name)), { recursive: true });
    await writeFile(path.join(repo, name), content);
  }
  for (const [name, target] of Object.entries(links)) await symlink(target, path.join(repo, name));
  git('add', '.');
  git('commit', '--quiet', '-m', 'source');
  return repo;
}

async function apiRecord(id: string): Promise<string> {
  const response = await fetch(`${server.url}/api/v1/builds/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${server.token}` } });
  assert.equal(response.status, 200);
  return response.text();
}

test('finding 3: a buildspec.yml linking to a host file fails the build naming the buildspec, and the file never shows', async () => {
  const hostFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'nagare-host-')), 'shadow');
  await writeFile(hostFile, `${SECRET}\nroot:$6$hash:19000:0:99999:7:::\n`);
  const repo = await repository({ 'app.txt': 'x' }, { 'buildspec.yml': hostFile });
  const name = await createProject(server, '', { source: { type: 'GIT', location: repo } });
  const id = await startBuild(server, name);
  const build = await waitForBuild(server, id);
  const log = await storedLog(server, id);
  assert.equal(build.buildStatus, 'FAILED', log);
  const download = phasesOf(build).find((phase) => phase.phaseType === 'DOWNLOAD_SOURCE');
  assert.match(download?.contexts?.[0]?.message ?? '', /BUILD_PATH_ESCAPES The buildspec buildspec.yml is not read/);
  for (const seen of [log, await apiRecord(id), JSON.stringify(build)]) {
    assert.ok(!seen.includes('host-only-line') && !seen.includes('do-not-show') && !seen.includes('$6$hash'), `the host file leaked:\n${seen}`);
  }
});

test('finding 3: a buildspec.yml linking to another file inside the source is still followed, as CodeBuild does', async () => {
  const repo = await repository({ 'ci/real.yml': 'version: 0.2\nphases:\n  build:\n    commands: [echo followed-the-link]\n' }, { 'buildspec.yml': 'ci/real.yml' });
  const name = await createProject(server, '', { source: { type: 'GIT', location: repo } });
  const id = await startBuild(server, name);
  const build = await waitForBuild(server, id);
  const log = await storedLog(server, id);
  assert.equal(build.buildStatus, 'SUCCEEDED', log);
  assert.match(log, /^followed-the-link$/m);
});

/** A commit whose tree holds a symlink `a` to `target` and a directory `a/` with `pwned` in it. */
function attackCommit(work: string, target: string): string {
  const git = (args: string[], input?: string): string => execFileSync('git', args, { cwd: work, input, encoding: 'utf8' }).trim();
  const link = git(['hash-object', '-w', '--stdin'], target);
  const pwned = git(['hash-object', '-w', '--stdin'], 'pwned by the pipeline source');
  const sub = git(['mktree'], `100644 blob ${pwned}\tpwned\n`);
  const spec = git(['hash-object', '-w', '--stdin'], 'version: 0.2\nphases:\n  build:\n    commands: [ls -la]\n');
  const tree = git(['mktree'], `120000 blob ${link}\ta\n040000 tree ${sub}\ta\n100644 blob ${spec}\tbuildspec.yml\n`);
  return git(['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit-tree', '-m', 'attack', tree]);
}

test('finding 1: a pushed tree with a symlink a -> outside and a directory a/ writes nothing outside when the Source artifact is unpacked', async () => {
  const outside = path.join(await mkdtemp(path.join(os.tmpdir(), 'nagare-outside-')), `target-${randomUUID()}`);
  await mkdir(outside);
  const pipeline = 'confine-source';
  await server.services.repositories.create({ repositoryName: pipeline });
  await server.services.projects.create({ name: `${pipeline}-build`, source: { type: 'CODEPIPELINE' }, environment: { image: 'shell' }, artifacts: { type: 'CODEPIPELINE' } });
  await server.services.pipelines.apply(parsePipeline(JSON.stringify({
    pipeline: {
      name: pipeline,
      pipelineType: 'V2',
      roleArn: 'arn:aws:iam::000000000000:role/unused',
      stages: [
        { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: pipeline, BranchName: 'main' }, outputArtifacts: [{ name: 'SourceArtifact' }] }] },
        { name: 'Build', actions: [{ name: 'Build', actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' }, configuration: { ProjectName: `${pipeline}-build` }, inputArtifacts: [{ name: 'SourceArtifact' }] }] },
      ],
    },
  }), 'pipeline.json'));
  const work = await tempDir('confine-push');
  await gitOk(work, ['init', '--quiet', '--initial-branch', 'main']);
  const commit = attackCommit(work, outside);
  await gitOk(work, ['push', '--quiet', authedUrl(server.url, pipeline, server.token), `${commit}:refs/heads/main`]);

  await waitFor('the execution to fail', async () => executionSummaries(await server.services.pipelines.runtime(pipeline))[0]?.status === 'Failed', 60_000);
  assert.deepEqual(await readdir(outside), [], 'nothing may be written through the link');
  const ids = (await server.services.builds.listForProject(`${pipeline}-build`, { limit: 10 })).items;
  assert.equal(ids.length, 1, 'the build fails once; it is not retried in a loop');
  const build = await waitForBuild(server, ids[0] ?? '');
  assert.equal(build.buildStatus, 'FAILED');
  const download = phasesOf(build).find((phase) => phase.phaseType === 'DOWNLOAD_SOURCE');
  assert.equal(download?.contexts?.[0]?.statusCode, 'CLIENT_ERROR');
  assert.match(download?.contexts?.[0]?.message ?? '', /Input artifact SourceArtifact cannot be unpacked: BUILD_PATH_ESCAPES/);
});
