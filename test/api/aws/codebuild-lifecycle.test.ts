/**
 * A whole build through the AWS API: StartBuild, then BatchGetBuilds polled until buildComplete,
 * with an agent running the build on the host shell — the phases read as `nagare build` reports
 * them, exported variables come back, and the artifact location downloads the zip.
 *
 * The agent runs in-process (test/agent/agent-harness.ts), as `nagare up` embeds one.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BatchGetBuildsCommand, CreateProjectCommand, StartBuildCommand, StopBuildCommand, type Build } from '@aws-sdk/client-codebuild';
import { testDatabases, type TestServer } from '../../support/test-server.js';
import { agentFor } from '../../agent/agent-harness.js';
import { projectInput, useCodeBuildServer } from './codebuild-server.js';


const BUILDSPEC = [
  'version: 0.2',
  'env:',
  '  exported-variables: [GREETING]',
  'phases:',
  '  build:',
  '    commands:',
  '      - export GREETING=hello-from-aws-api',
  '      - echo built > out.txt',
  'artifacts:',
  '  files: [out.txt]',
  '',
].join('\n');

for (const [database, skip] of await testDatabases()) {
  void describe(database, { skip }, () => {
    const api = useCodeBuildServer(database);

    async function untilComplete(server: TestServer, id: string): Promise<Build> {
      const { client } = api();
      const deadline = Date.now() + 60_000;
      for (;;) {
        const build = (await client.send(new BatchGetBuildsCommand({ ids: [id] }))).builds?.[0];
        if (build?.buildComplete) return build;
        if (Date.now() > deadline) assert.fail(`build ${id} did not complete within a minute; last phase ${build?.currentPhase ?? '?'}; server log:\n${server.logs().slice(-4000)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }

    test('a build started with StartBuild runs to SUCCEEDED with every phase, exported variables and a downloadable artifact', async () => {
      const { client, server } = api();
      const agent = await agentFor(server);
      try {
        await client.send(
          new CreateProjectCommand(
            projectInput('lifecycle', {
              source: { type: 'NO_SOURCE', buildspec: BUILDSPEC },
              artifacts: { type: 'S3', location: 'nagare', name: 'lifecycle.zip', packaging: 'ZIP' },
            }),
          ),
        );
        const started = (await client.send(new StartBuildCommand({ projectName: 'lifecycle' }))).build;
        assert.equal(started?.currentPhase, 'QUEUED');
        const build = await untilComplete(server, started?.id ?? '');

        assert.equal(build.buildStatus, 'SUCCEEDED', JSON.stringify(build.phases));
        assert.equal(build.currentPhase, 'COMPLETED');
        assert.ok(build.endTime instanceof Date && build.startTime instanceof Date && build.endTime >= build.startTime);
        assert.deepEqual(build.phases?.map((p) => p.phaseType), [
          'SUBMITTED', 'QUEUED', 'PROVISIONING', 'DOWNLOAD_SOURCE', 'INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD', 'UPLOAD_ARTIFACTS', 'FINALIZING', 'COMPLETED',
        ]);
        for (const phase of build.phases?.slice(0, -1) ?? []) {
          assert.equal(phase.phaseStatus, 'SUCCEEDED', phase.phaseType);
          assert.equal(typeof phase.durationInSeconds, 'number', phase.phaseType);
          assert.ok(phase.startTime instanceof Date && phase.endTime instanceof Date, phase.phaseType);
        }
        assert.equal(build.phases?.at(-1)?.phaseStatus, undefined);
        assert.deepEqual(build.exportedEnvironmentVariables, [{ name: 'GREETING', value: 'hello-from-aws-api' }]);

        const location = build.artifacts?.location ?? '';
        assert.ok(location.startsWith(`${server.url}/api/v1/builds/${encodeURIComponent(build.id ?? '')}/artifacts/`), location);
        const download = await fetch(location, { headers: { authorization: `Bearer ${server.token}` } });
        assert.equal(download.status, 200);
        const zip = new Uint8Array(await download.arrayBuffer());
        assert.deepEqual([...zip.slice(0, 2)], [0x50, 0x4b], 'a zip file starts with PK');
        assert.ok(build.artifacts?.sha256sum);

        const log = await fetch(build.logs?.deepLink ?? '', { headers: { authorization: `Bearer ${server.token}` } });
        assert.equal(log.status, 200);
        assert.match(await log.text(), /export GREETING/);
      } finally {
        await agent.stop();
      }
    });

    test('a failing command ends the build FAILED with the BUILD phase FAILED and COMMAND_EXECUTION_ERROR', async () => {
      const { client, server } = api();
      const agent = await agentFor(server);
      try {
        const buildspec = 'version: 0.2\nphases:\n  build:\n    commands:\n      - exit 3\n  post_build:\n    commands:\n      - echo "succeeding=$CODEBUILD_BUILD_SUCCEEDING"\n';
        await client.send(new CreateProjectCommand(projectInput('lifecycle-fails', { source: { type: 'NO_SOURCE', buildspec } })));
        const started = (await client.send(new StartBuildCommand({ projectName: 'lifecycle-fails' }))).build;
        const build = await untilComplete(server, started?.id ?? '');
        assert.equal(build.buildStatus, 'FAILED');
        const phase = (type: string) => build.phases?.find((p) => p.phaseType === type);
        assert.equal(phase('BUILD')?.phaseStatus, 'FAILED');
        assert.equal(phase('BUILD')?.contexts?.[0]?.statusCode, 'COMMAND_EXECUTION_ERROR');
        assert.equal(phase('POST_BUILD')?.phaseStatus, 'SUCCEEDED', 'post_build runs after a failed build phase');
      } finally {
        await agent.stop();
      }
    });

    test('StopBuild of a running build ends it STOPPED', async () => {
      const { client, server } = api();
      const agent = await agentFor(server);
      try {
        const buildspec = 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo started\n      - sleep 30\n';
        await client.send(new CreateProjectCommand(projectInput('lifecycle-stopped', { source: { type: 'NO_SOURCE', buildspec } })));
        const id = (await client.send(new StartBuildCommand({ projectName: 'lifecycle-stopped' }))).build?.id ?? '';
        for (let phase = ''; phase !== 'BUILD'; ) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          phase = (await client.send(new BatchGetBuildsCommand({ ids: [id] }))).builds?.[0]?.currentPhase ?? '';
          assert.notEqual(phase, 'COMPLETED', 'the build ended before it could be stopped');
        }
        await client.send(new StopBuildCommand({ id }));
        const build = await untilComplete(server, id);
        assert.equal(build.buildStatus, 'STOPPED');
      } finally {
        await agent.stop();
      }
    });

    test('BatchGetBuilds shows a PARAMETER_STORE variable by its parameter name, never its value', async () => {
      const { client, server } = api();
      await server.services.parameters.put('parameter', '/aws-api-test/db-password', 'hunter2-never-shown', { type: 'SecureString' });
      const agent = await agentFor(server);
      try {
        const buildspec = 'version: 0.2\nphases:\n  build:\n    commands:\n      - test "$(echo "$DB_PASSWORD" | tr a-z A-Z)" = HUNTER2-NEVER-SHOWN\n';
        await client.send(new CreateProjectCommand(projectInput('lifecycle-secret', { source: { type: 'NO_SOURCE', buildspec } })));
        const started = await client.send(
          new StartBuildCommand({ projectName: 'lifecycle-secret', environmentVariablesOverride: [{ name: 'DB_PASSWORD', value: '/aws-api-test/db-password', type: 'PARAMETER_STORE' }] }),
        );
        const build = await untilComplete(server, started.build?.id ?? '');
        assert.equal(build.buildStatus, 'SUCCEEDED', 'the agent resolved the parameter');
        assert.deepEqual(build.environment?.environmentVariables, [{ name: 'DB_PASSWORD', value: '/aws-api-test/db-password', type: 'PARAMETER_STORE' }]);
        assert.ok(!JSON.stringify(build).includes('hunter2-never-shown'));
      } finally {
        await agent.stop();
      }
    });

  });
}
