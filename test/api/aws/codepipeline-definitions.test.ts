/**
 * CodePipeline pipeline definitions through the official @aws-sdk/client-codepipeline against a
 * real server: create, get (with metadata), update (version bump), list with pages, delete, and
 * the typed exceptions for names taken or missing and for invalid or unsupported definitions.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CreatePipelineCommand,
  DeletePipelineCommand,
  GetPipelineCommand,
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  InvalidActionDeclarationException,
  InvalidStructureException,
  ListPipelinesCommand,
  PipelineExecutionNotFoundException,
  PipelineNameInUseException,
  PipelineNotFoundException,
  PipelineVersionNotFoundException,
  UpdatePipelineCommand,
  ValidationException,
  type CodePipelineClient,
  DisableStageTransitionCommand,
} from '@aws-sdk/client-codepipeline';
import { parsePipeline } from '../../../src/spec/pipeline.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { rejection } from './codebuild-server.js';
import { codePipelineClient, declaration } from './codepipeline-setup.js';

let server: TestServer;
let client: CodePipelineClient;
before(async () => {
  server = await startTestServer();
  client = codePipelineClient(server);
});
after(async () => {
  client.destroy();
  await server.stop();
});

test('CreatePipeline answers the declaration at version 1; GetPipeline gives it back with its ARN and dates', async () => {
  const input = declaration({ name: 'defs-create', repository: 'app', builds: ['app-build'], approval: true });
  const created = await client.send(new CreatePipelineCommand({ pipeline: input }));
  assert.equal(created.pipeline?.version, 1);
  assert.equal(created.pipeline?.stages?.[1]?.actions?.[0]?.runOrder, 1, 'defaults written out');
  const got = await client.send(new GetPipelineCommand({ name: 'defs-create' }));
  assert.equal(got.metadata?.pipelineArn, `arn:aws:codepipeline:${server.services.context.settings.region}:${server.services.context.settings.accountId}:defs-create`);
  assert.ok(got.metadata?.created instanceof Date && Math.abs(got.metadata.created.getTime() - Date.now()) < 60_000);
  assert.deepEqual(got.pipeline?.stages?.map((s) => s.name), ['Source', 'Build', 'Approval']);
  assert.equal(got.pipeline?.stages?.[2]?.actions?.[0]?.configuration?.CustomData, 'Release #{SourceVariables.CommitId}?');
  // What GetPipeline answers is a definition nagare reads back into the same thing.
  const reparsed = parsePipeline(JSON.stringify({ pipeline: got.pipeline }), 'get-pipeline.json');
  const stored = (await server.services.pipelines.get('defs-create')).definition;
  assert.deepEqual(JSON.parse(JSON.stringify(reparsed)), JSON.parse(JSON.stringify(stored)));
});

test('CreatePipeline with a taken name is PipelineNameInUseException', async () => {
  await client.send(new CreatePipelineCommand({ pipeline: declaration({ name: 'defs-taken', repository: 'app', builds: ['b'] }) }));
  const error = await rejection(client.send(new CreatePipelineCommand({ pipeline: declaration({ name: 'defs-taken', repository: 'app', builds: ['b'] }) })));
  assert.ok(error instanceof PipelineNameInUseException, error.name);
});

test('UpdatePipeline bumps the version; GetPipeline of a version no one holds is PipelineVersionNotFoundException', async () => {
  await client.send(new CreatePipelineCommand({ pipeline: declaration({ name: 'defs-update', repository: 'app', builds: ['one'] }) }));
  const updated = await client.send(new UpdatePipelineCommand({ pipeline: declaration({ name: 'defs-update', repository: 'app', builds: ['one', 'two'] }) }));
  assert.equal(updated.pipeline?.version, 2);
  const got = await client.send(new GetPipelineCommand({ name: 'defs-update', version: 2 }));
  assert.equal(got.pipeline?.stages?.length, 3);
  const error = await rejection(client.send(new GetPipelineCommand({ name: 'defs-update', version: 1 })));
  assert.ok(error instanceof PipelineVersionNotFoundException, error.name);
  const missing = await rejection(client.send(new UpdatePipelineCommand({ pipeline: declaration({ name: 'defs-never-created', repository: 'app', builds: ['one'] }) })));
  assert.ok(missing instanceof PipelineNotFoundException, missing.name);
});

test('ListPipelines pages with maxResults and nextToken', async () => {
  for (const name of ['defs-list-a', 'defs-list-b', 'defs-list-c']) await client.send(new CreatePipelineCommand({ pipeline: declaration({ name, repository: 'app', builds: ['b'] }) }));
  const names: string[] = [];
  let nextToken: string | undefined;
  do {
    const listed = await client.send(new ListPipelinesCommand({ maxResults: 2, nextToken }));
    assert.ok((listed.pipelines?.length ?? 0) <= 2);
    names.push(...(listed.pipelines ?? []).map((p) => p.name ?? ''));
    const first = listed.pipelines?.[0];
    assert.ok(first?.created instanceof Date && first.version !== undefined && first.pipelineType === 'V2');
    nextToken = listed.nextToken;
  } while (nextToken);
  for (const name of ['defs-list-a', 'defs-list-b', 'defs-list-c']) assert.ok(names.includes(name), name);
});

test('ListPipelines pages by name: a pipeline created between two pages is neither repeated nor skipped; a foreign nextToken is InvalidNextTokenException', async () => {
  for (const name of ['defs-keyset-b', 'defs-keyset-d']) await client.send(new CreatePipelineCommand({ pipeline: declaration({ name, repository: 'app', builds: ['b'] }) }));
  const seen: string[] = [];
  let nextToken: string | undefined;
  let created = false;
  do {
    const listed = await client.send(new ListPipelinesCommand({ maxResults: 1, nextToken }));
    seen.push(...(listed.pipelines ?? []).map((p) => p.name ?? ''));
    if (!created && seen.includes('defs-keyset-b')) {
      await client.send(new CreatePipelineCommand({ pipeline: declaration({ name: 'defs-keyset-c', repository: 'app', builds: ['b'] }) }));
      created = true;
    }
    nextToken = listed.nextToken;
  } while (nextToken);
  const keyset = seen.filter((n) => n.startsWith('defs-keyset-'));
  assert.deepEqual(keyset, ['defs-keyset-b', 'defs-keyset-c', 'defs-keyset-d']);
  assert.equal(new Set(seen).size, seen.length, 'no pipeline is listed twice');
  const error = await rejection(client.send(new ListPipelinesCommand({ nextToken: 'offset-2' })));
  assert.equal(error.name, 'InvalidNextTokenException');
});

test('a definition whose action reads an artifact nobody writes is InvalidStructureException naming it', async () => {
  const pipeline = declaration({ name: 'defs-invalid', repository: 'app', builds: ['b'] });
  const build = pipeline.stages?.[1]?.actions?.[0];
  if (build) build.inputArtifacts = [{ name: 'NoSuchArtifact' }];
  const error = await rejection(client.send(new CreatePipelineCommand({ pipeline })));
  assert.ok(error instanceof InvalidStructureException, error.name);
  assert.match(error.message, /NoSuchArtifact/);
  const absent = await rejection(client.send(new GetPipelineCommand({ name: 'defs-invalid' })));
  assert.ok(absent instanceof PipelineNotFoundException, 'nothing was created');
});

test('an action nagare cannot run is InvalidActionDeclarationException', async () => {
  const pipeline = declaration({ name: 'defs-unsupported', repository: 'app', builds: ['b'] });
  pipeline.stages?.push({ name: 'Deploy', actions: [{ name: 'Deploy', actionTypeId: { category: 'Invoke', owner: 'AWS', provider: 'Lambda', version: '1' }, configuration: { FunctionName: 'f' } }] });
  const error = await rejection(client.send(new CreatePipelineCommand({ pipeline })));
  assert.ok(error instanceof InvalidActionDeclarationException, `${error.name}: ${error.message}`);
  assert.match(error.message, /Lambda/);
});

test('DeletePipeline removes it; unknown pipelines and executions have their own exceptions', async () => {
  await client.send(new CreatePipelineCommand({ pipeline: declaration({ name: 'defs-delete', repository: 'app', builds: ['b'] }) }));
  const unknownExecution = await rejection(client.send(new GetPipelineExecutionCommand({ pipelineName: 'defs-delete', pipelineExecutionId: 'no-such-execution' })));
  assert.ok(unknownExecution instanceof PipelineExecutionNotFoundException, unknownExecution.name);
  const outbound = await rejection(client.send(new DisableStageTransitionCommand({ pipelineName: 'defs-delete', stageName: 'Build', transitionType: 'Outbound', reason: 'x' })));
  assert.ok(outbound instanceof ValidationException, outbound.name);
  assert.match(outbound.message, /Outbound .* not supported/);
  await client.send(new DeletePipelineCommand({ name: 'defs-delete' }));
  for (const call of [client.send(new GetPipelineCommand({ name: 'defs-delete' })), client.send(new GetPipelineStateCommand({ name: 'defs-delete' })), client.send(new DeletePipelineCommand({ name: 'defs-delete' }))]) {
    const error = await rejection(call);
    assert.ok(error instanceof PipelineNotFoundException, error.name);
  }
});
