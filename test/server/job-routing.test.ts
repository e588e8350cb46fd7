/**
 * Issue 8, "Fleets and labels", through a real server and real agents on both databases: a build
 * needing Docker is not leased by a shell-only agent and runs on a Docker-capable one; a project's
 * `environment.fleet` (set through the official CodeBuild SDK) runs its builds only on that
 * fleet's agents; a build no connected agent can take stays QUEUED and says why.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BatchGetBuildsCommand,
  BatchGetFleetsCommand,
  BatchGetProjectsCommand,
  CreateFleetCommand,
  CreateProjectCommand,
  DeleteFleetCommand,
  ListFleetsCommand,
  StartBuildCommand,
  UpdateFleetCommand,
} from '@aws-sdk/client-codebuild';
import { AgentClient } from '../../src/client/agent-client.js';
import { codeBuildClient, projectInput } from '../api/aws/codebuild-server.js';
import { agentFor, createProject, recordData, startBuild, waitForBuild } from '../agent/agent-harness.js';
import { dockerImageMissing, requirement } from '../support/requirements.js';
import { startTestServer, testDatabases } from '../support/test-server.js';

const BUILDSPEC = ['version: 0.2', 'phases:', '  build:', '    commands:', '      - echo routed', ''].join('\n');

const noDocker = requirement('Docker with nagare/base:latest', await dockerImageMissing('nagare/base:latest'));

for (const [database, skip] of await testDatabases()) {
  test(`${database}: a build needing Docker is not leased by a shell-only agent and runs on a Docker-capable one`, { skip: skip || noDocker }, async () => {
    const server = await startTestServer({ database });
    const shellAgent = await agentFor(server, { name: 'shell-only', executorKind: 'shell' });
    try {
      assert.deepEqual(shellAgent.labels, [], 'an agent forced to the shell executor does not advertise docker');
      const project = await createProject(server, BUILDSPEC, { environment: { image: 'nagare/base:latest' } });
      const id = await startBuild(server, project);
      assert.equal(await server.services.agents.lease(shellAgent.agentId, 0), undefined, 'the shell-only agent is handed nothing');
      const waiting = await server.services.builds.get(id);
      assert.equal(waiting.currentPhase, 'QUEUED');
      const queued = recordData(waiting).phases.find((p) => p.phaseType === 'QUEUED');
      assert.deepEqual(queued?.contexts.map((c) => c.statusCode), ['NO_MATCHING_AGENT']);
      assert.match(queued?.contexts[0]?.message ?? '', /No agent with labels docker outside any fleet/);

      const dockerAgent = await agentFor(server, { name: 'docker-capable' });
      try {
        assert.deepEqual(dockerAgent.labels, ['docker'], 'the Docker engine answered, so the agent says so');
        const build = await waitForBuild(server, id, 120_000);
        assert.equal(build.buildStatus, 'SUCCEEDED');
        assert.equal(recordData(build).agentId, dockerAgent.agentId);
      } finally {
        await dockerAgent.stop();
      }
    } finally {
      await shellAgent.stop();
      await server.stop();
    }
  });

  test(`${database}: a project with a fleet (CreateFleet, CreateProject through the SDK) runs only on that fleet's agents`, { skip }, async () => {
    const server = await startTestServer({ database });
    const client = codeBuildClient(server);
    const outsider = await agentFor(server, { name: 'outside-any-fleet', executorKind: 'shell' });
    try {
      const { fleet } = await client.send(new CreateFleetCommand({ name: 'linux-small', baseCapacity: 1, environmentType: 'LINUX_CONTAINER', computeType: 'BUILD_GENERAL1_SMALL' }));
      assert.ok(fleet?.arn);
      assert.match(fleet.arn, /^arn:aws:codebuild:us-east-1:000000000000:fleet\/linux-small:.+$/);
      assert.equal(fleet.status?.statusCode, 'ACTIVE');
      assert.deepEqual((await client.send(new ListFleetsCommand({}))).fleets, [fleet.arn]);
      const got = await client.send(new BatchGetFleetsCommand({ names: [fleet.arn, 'missing-fleet'] }));
      assert.deepEqual(got.fleets?.map((f) => f.name), ['linux-small']);
      assert.deepEqual(got.fleetsNotFound, ['missing-fleet']);
      const updated = (await client.send(new UpdateFleetCommand({ arn: fleet.arn, baseCapacity: 3 }))).fleet;
      assert.deepEqual([updated?.arn, updated?.baseCapacity, updated?.computeType], [fleet.arn, 3, 'BUILD_GENERAL1_SMALL']);

      await client.send(new CreateProjectCommand(projectInput('fleet-project', {
        source: { type: 'NO_SOURCE', buildspec: BUILDSPEC },
        environment: { type: 'LINUX_CONTAINER', image: 'shell', computeType: 'BUILD_GENERAL1_SMALL', fleet: { fleetArn: fleet.arn } },
      })));
      const [project] = (await client.send(new BatchGetProjectsCommand({ names: ['fleet-project'] }))).projects ?? [];
      assert.equal(project?.environment?.fleet?.fleetArn, fleet.arn);

      const id = (await client.send(new StartBuildCommand({ projectName: 'fleet-project' }))).build?.id ?? '';
      assert.equal(await server.services.agents.lease(outsider.agentId, 0), undefined, 'an agent outside the fleet is handed nothing');
      const [waiting] = (await client.send(new BatchGetBuildsCommand({ ids: [id] }))).builds ?? [];
      assert.equal(waiting?.currentPhase, 'QUEUED');
      const context = waiting?.phases?.find((p) => p.phaseType === 'QUEUED')?.contexts?.[0];
      assert.equal(context?.statusCode, 'NO_MATCHING_AGENT');
      assert.match(context?.message ?? '', /in fleet linux-small/);

      const member = await agentFor(server, { name: 'fleet-member', executorKind: 'shell', fleet: 'linux-small', labels: ['Large', 'large'] });
      try {
        assert.deepEqual(member.labels, ['large'], 'labels are normalised; no docker with --executor shell');
        const build = await waitForBuild(server, id, 60_000);
        assert.equal(build.buildStatus, 'SUCCEEDED');
        assert.equal(recordData(build).agentId, member.agentId);

        // And the other way round: a build outside any fleet is not the fleet member's.
        const plain = await createProject(server, BUILDSPEC);
        const plainId = await startBuild(server, plain);
        assert.equal(await server.services.agents.lease(member.agentId, 0), undefined);
        const plainBuild = await waitForBuild(server, plainId, 60_000);
        assert.equal(recordData(plainBuild).agentId, outsider.agentId);
      } finally {
        await member.stop();
      }
      await client.send(new DeleteFleetCommand({ arn: fleet.arn }));
      assert.deepEqual((await client.send(new ListFleetsCommand({}))).fleets, []);
    } finally {
      await outsider.stop();
      client.destroy();
      await server.stop();
    }
  });

  test(`${database}: StartBuild fleetOverride runs a build of a fleetless project only in that fleet; an unknown fleet is ResourceNotFoundException`, { skip }, async () => {
    const server = await startTestServer({ database });
    const client = codeBuildClient(server);
    const outsider = await agentFor(server, { name: 'outside-any-fleet', executorKind: 'shell' });
    try {
      const { fleet } = await client.send(new CreateFleetCommand({ name: 'override-fleet', baseCapacity: 1, environmentType: 'LINUX_CONTAINER', computeType: 'BUILD_GENERAL1_SMALL' }));
      const project = await createProject(server, BUILDSPEC);
      const id = (await client.send(new StartBuildCommand({ projectName: project, fleetOverride: { fleetArn: fleet?.arn } }))).build?.id ?? '';
      assert.equal(await server.services.agents.lease(outsider.agentId, 0), undefined, 'an agent outside the fleet is handed nothing');
      const member = await agentFor(server, { name: 'override-member', executorKind: 'shell', fleet: 'override-fleet' });
      try {
        assert.equal(recordData(await waitForBuild(server, id, 60_000)).agentId, member.agentId);
      } finally {
        await member.stop();
      }
      await assert.rejects(client.send(new StartBuildCommand({ projectName: project, fleetOverride: { fleetArn: 'no-such-fleet' } })), (error: Error) => error.name === 'ResourceNotFoundException');
    } finally {
      await outsider.stop();
      client.destroy();
      await server.stop();
    }
  });

  test(`${database}: an agent cannot join a fleet that does not exist, and a project cannot name one`, { skip }, async () => {
    const server = await startTestServer({ database });
    const client = codeBuildClient(server);
    try {
      const agent = new AgentClient({ serverUrl: server.url, retry: { maxElapsedMs: 0 } });
      await assert.rejects(agent.register(server.token, { name: 'lost', tags: {}, fleet: 'nowhere' }), (error: unknown) => (error as { code?: string }).code === 'API_NOT_FOUND');
      await assert.rejects(agent.register(server.token, { name: 'bad-label', tags: {}, labels: ['no spaces'] }), (error: unknown) => (error as { code?: string }).code === 'API_INVALID_INPUT');
      await assert.rejects(client.send(new CreateProjectCommand(projectInput('fleetless', { environment: { type: 'LINUX_CONTAINER', image: 'shell', computeType: 'BUILD_GENERAL1_SMALL', fleet: { fleetArn: 'arn:aws:codebuild:us-east-1:000000000000:fleet/nowhere:1' } } }))), /names no fleet/);
      assert.deepEqual((await server.services.agents.list()).map((a) => a.name), []);
    } finally {
      client.destroy();
      await server.stop();
    }
  });
}
