/**
 * Several servers on one PostgreSQL: two `nagare server` processes (compiled CLI) on one fresh
 * schema and one shared data directory, two `nagare agent` processes each (own server first, the
 * other second), 200 builds and 20 pipeline executions (Source → Build, PARALLEL) started through
 * both servers; one server is killed with SIGKILL midway. Every build ends SUCCEEDED and ran once
 * (each appends its id to a file shared by all agents), every pipeline execution succeeds with
 * each action run once.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { NagareClient } from '../../src/client/nagare-client.js';
import { authedUrl, commitFiles, gitOk, tempDir } from '../git/git-client.js';
import { childEnvironment, CLI, initialCredentials, startCliServer, stopCliServer, type CliServer } from '../support/cli-server.js';
import { freshPostgresUrl, postgresMissing } from '../support/postgres.js';
import { requirement } from '../support/requirements.js';

const BUILDS = 200;
const EXECUTIONS = 20;

const skip = requirement('PostgreSQL', await postgresMissing());

async function until(what: string, check: () => Promise<boolean> | boolean, explain: () => string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function startAgentProcess(name: string, servers: readonly string[], token: string, workDir: string): { child: ChildProcess; stderr: () => string } {
  const args = [CLI, 'agent', '--server', servers.join(','), '--token', token, '--name', name, '--work-dir', workDir, '--poll-seconds', '20', '--executor', 'shell'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: childEnvironment() });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return { child, stderr: () => stderr };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function pipelineDefinition(repository: string, project: string): string {
  return JSON.stringify({
    pipeline: {
      name: 'cluster',
      pipelineType: 'V2',
      executionMode: 'PARALLEL',
      roleArn: 'arn:aws:iam::000000000000:role/unused',
      stages: [
        { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: repository, BranchName: 'main' }, outputArtifacts: [{ name: 'SourceArtifact' }] }] },
        { name: 'Build', actions: [{ name: 'Build', actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' }, configuration: { ProjectName: project }, inputArtifacts: [{ name: 'SourceArtifact' }] }] },
      ],
    },
  });
}

test(`two servers on one PostgreSQL, two agents each: ${BUILDS} builds and ${EXECUTIONS} pipeline executions run exactly once although one server is killed with SIGKILL midway`, { skip, timeout: 900_000 }, async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'nagare-cluster-'));
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'nagare-cluster-runs-'));
  // Builds may run as an unprivileged build user: the shared record of runs is writable by all.
  chmodSync(scratch, 0o777);
  const runs = path.join(scratch, 'runs');
  writeFileSync(runs, '');
  chmodSync(runs, 0o666);
  const databaseUrl = await freshPostgresUrl('cluster');
  const serverArgs = ['--database-url', databaseUrl, '--log-level', 'warn'];
  const first: CliServer = await startCliServer('server', dataDir, serverArgs);
  const second: CliServer = await startCliServer('server', dataDir, serverArgs);
  const { token } = initialCredentials(dataDir);
  const viaFirst = new NagareClient({ server: first.url, token });
  const viaSecond = new NagareClient({ server: second.url, token });
  const agents = await Promise.all(['a1', 'a2', 'b1', 'b2'].map(async (name) => {
    const own = name.startsWith('a') ? [first.url, second.url] : [second.url, first.url];
    return startAgentProcess(name, own, token, await mkdtemp(path.join(os.tmpdir(), `nagare-cluster-agent-${name}-`)));
  }));
  try {
    const record = `echo "$CODEBUILD_BUILD_ID" >> ${runs}`;
    await viaFirst.createProject({ name: 'cluster-build', source: { type: 'NO_SOURCE', buildspec: `version: 0.2\nphases:\n  build:\n    commands:\n      - ${record}\n` }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
    await viaSecond.createProject({ name: 'cluster-pipeline-build', source: { type: 'CODEPIPELINE', buildspec: `version: 0.2\nphases:\n  build:\n    commands:\n      - test -f app.txt\n      - ${record}\n` }, environment: { image: 'shell' }, artifacts: { type: 'CODEPIPELINE' } });
    await viaFirst.createRepository('cluster-source');
    const work = await tempDir('cluster-work');
    await gitOk(work, ['init', '--quiet', '--initial-branch', 'main']);
    await gitOk(work, ['remote', 'add', 'origin', authedUrl(first.url, 'cluster-source', token)]);
    await commitFiles(work, { 'app.txt': 'one\n' }, 'one');
    await gitOk(work, ['push', '--quiet', 'origin', 'main']);
    await viaSecond.applyPipeline(pipelineDefinition('cluster-source', 'cluster-pipeline-build'), 'cluster.json');

    // Started through both servers, interleaved: a build queued on one is leased by agents of either.
    const executionIds: string[] = [];
    const buildIds: string[] = [];
    for (let i = 0; i < BUILDS; i += 1) {
      const client = i % 2 === 0 ? viaFirst : viaSecond;
      buildIds.push(String((await client.startBuild('cluster-build')).build.id));
      if (i % (BUILDS / EXECUTIONS) === 0) executionIds.push((await client.startPipeline('cluster')).pipelineExecutionId);
    }
    const linesOf = (): string[] => readFileSync(runs, 'utf8').split('\n').filter((line) => line !== '');
    let pending: string[] = [];
    const explain = (): string => [`${linesOf().length} runs recorded; not completed: ${pending.slice(0, 10).join(' ')}`, ...agents.map((agent, i) => `agent ${i}: ${agent.stderr().slice(-1500)}`), `second server: ${second.stderr().slice(-1500)}`].join('\n');
    await until('a third of the builds to have run', () => linesOf().length >= (BUILDS + EXECUTIONS) / 3, explain);
    await stopCliServer(first, 'SIGKILL');

    // The shared record first (cheap), then the build records one by one: polling 200 builds at
    // once would load the one server left more than the agents do.
    await until('every build and pipeline build to have run', () => linesOf().length >= BUILDS + EXECUTIONS, explain);
    await until('every build to complete', async () => {
      for (const id of buildIds) {
        const { build } = await viaSecond.getBuild(id);
        pending = [`${id}@${String(build.currentPhase)}`];
        if (build.currentPhase !== 'COMPLETED') return false;
      }
      return true;
    }, explain);
    for (const id of buildIds) assert.equal((await viaSecond.getBuild(id)).build.buildStatus, 'SUCCEEDED', id);
    await until('every pipeline execution to end', async () => {
      const { executions } = await viaSecond.listPipelineExecutions('cluster');
      pending = executions.filter((e) => e.status === 'InProgress').map((e) => String(e.pipelineExecutionId));
      return executionIds.every((id) => executions.some((e) => e.pipelineExecutionId === id && e.status !== 'InProgress'));
    }, explain);
    const { executions } = await viaSecond.listPipelineExecutions('cluster');
    const pipelineBuilds: string[] = [];
    for (const id of executionIds) {
      assert.equal(executions.find((e) => e.pipelineExecutionId === id)?.status, 'Succeeded', id);
      const { actions } = await viaSecond.getPipelineExecution('cluster', id);
      assert.deepEqual(actions.map((a) => `${String(a.actionName)} ${String(a.status)}`).sort(), ['Build Succeeded', 'Source Succeeded'], `each action of ${id} ran once`);
      const output = actions.find((a) => a.actionName === 'Build')?.output as { executionResult?: { externalExecutionId?: string } } | undefined;
      pipelineBuilds.push(output?.executionResult?.externalExecutionId ?? '');
    }

    const lines = linesOf();
    const counts = new Map<string, number>();
    for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
    assert.deepEqual([...counts].filter(([, count]) => count !== 1), [], 'no build ran twice');
    assert.deepEqual([...counts.keys()].filter((id) => id.startsWith('cluster-build:')).sort(), [...buildIds].sort(), 'every build ran');
    assert.deepEqual([...counts.keys()].filter((id) => id.startsWith('cluster-pipeline-build:')).sort(), [...pipelineBuilds].sort(), 'one build per pipeline Build action, and no other');
    assert.equal(lines.length, buildIds.length + executions.length, 'and nothing else ran');
  } finally {
    await Promise.all(agents.map((agent) => stopProcess(agent.child)));
    // stopCliServer waits for an exit that already happened if the process was killed by a signal.
    if (first.child.exitCode === null && first.child.signalCode === null) await stopCliServer(first, 'SIGKILL');
    await stopCliServer(second);
    await rm(scratch, { recursive: true, force: true });
  }
});
