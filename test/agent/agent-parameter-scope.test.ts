/**
 * Finding 5 of issue 7 ("secrets by name"): an agent session reads only the parameters and secrets
 * of the build it holds. Driven with the real agent client over HTTP against a real server, as a
 * leaked session token (or a build that found one) would be used.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AgentApiError, AgentClient } from '../../src/client/agent-client.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createProject, startBuild } from './agent-harness.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
  await server.services.parameters.put('parameter', '/scope/referenced', 'referenced-value');
  await server.services.parameters.put('secret', 'scope-referenced-secret', '{"k":"referenced-secret-value"}');
  await server.services.parameters.put('secret', 'scope-production-db', 'production-db-password');
  await server.services.parameters.put('parameter', '/scope/other', 'other-value');
});
after(async () => {
  await server.stop();
});

/** Registers a fresh agent session and leases the one queued build. */
async function leasedSession(): Promise<{ client: AgentClient; buildId: string }> {
  const client = new AgentClient({ serverUrl: server.url });
  await client.register(server.token, { name: 'scope-test', tags: {} });
  const lease = await client.lease(5);
  assert.ok(lease, 'a build was leased');
  return { client, buildId: lease.job.id };
}

async function refusal(call: Promise<unknown>): Promise<AgentApiError> {
  const error = await call.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof AgentApiError, `refused, got ${String(error)}`);
  return error;
}

test('finding 5: an agent session asking for a secret its build does not reference is refused, and the referenced ones still work', async () => {
  const buildspec = 'version: 0.2\nenv:\n  parameter-store:\n    P: /scope/referenced\nphases:\n  build:\n    commands: ["true"]\n';
  const project = await createProject(server, buildspec, {
    environment: { image: 'shell', environmentVariables: [{ name: 'S', value: 'scope-referenced-secret:k', type: 'SECRETS_MANAGER' }] },
  });
  await startBuild(server, project);
  const { client, buildId } = await leasedSession();

  const error = await refusal(client.parameters(buildId, { parameters: [], secrets: ['scope-production-db'] }));
  assert.equal(error.code, 'AGENT_PARAMETER_NOT_REFERENCED');
  assert.ok(!error.message.includes('production-db-password'), 'the value is absent from the refusal');
  // One referenced name beside an unreferenced one still gets nothing.
  await refusal(client.parameters(buildId, { parameters: ['/scope/referenced', '/scope/other'], secrets: [] }));

  const values = await client.parameters(buildId, { parameters: ['/scope/referenced'], secrets: ['scope-referenced-secret'] });
  assert.deepEqual(values, { '/scope/referenced': 'referenced-value', 'scope-referenced-secret': '{"k":"referenced-secret-value"}' });
});

test('finding 5: for a buildspec in the source, the first call of the lease declares its names and later calls outside them are refused', async () => {
  const project = await createProject(server, 'buildspec.yml', {
    source: { type: 'NO_SOURCE', buildspec: 'ci/buildspec.yml' },
    environment: { image: 'shell', environmentVariables: [] },
  });
  await startBuild(server, project);
  const { client, buildId } = await leasedSession();

  // The agent's own first call (what src/agent/job-parameters.ts sends after reading the buildspec).
  assert.deepEqual(await client.parameters(buildId, { parameters: ['/scope/referenced'], secrets: [] }), { '/scope/referenced': 'referenced-value' });
  const declared = (await server.services.builds.get(buildId)).record.declaredParameterNames;
  assert.deepEqual(declared?.parameters, ['/scope/referenced']);

  const error = await refusal(client.parameters(buildId, { parameters: [], secrets: ['scope-production-db'] }));
  assert.equal(error.code, 'AGENT_PARAMETER_NOT_REFERENCED');
  assert.deepEqual(await client.parameters(buildId, { parameters: ['/scope/referenced'], secrets: [] }), { '/scope/referenced': 'referenced-value' });
});

test('finding 5: when the buildspec in the source references nothing, the agent declares the empty set and a later call gets nothing', async () => {
  const project = await createProject(server, 'buildspec.yml', { source: { type: 'NO_SOURCE', buildspec: 'buildspec.yml' } });
  await startBuild(server, project);
  const { client, buildId } = await leasedSession();
  assert.deepEqual(await client.parameters(buildId, { parameters: [], secrets: [] }), {});
  const error = await refusal(client.parameters(buildId, { parameters: ['/scope/other'], secrets: [] }));
  assert.equal(error.code, 'AGENT_PARAMETER_NOT_REFERENCED');
});
