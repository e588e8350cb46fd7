/**
 * Finding 8 of issue 7: a SigV4 signature that left `x-amz-target` out of SignedHeaders let a
 * captured read be replayed as another operation. The attack is replayed here against a real server,
 * signed by the SDK's own signer with the header made unsignable, then sent with another target.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CodeBuildClient} from '@aws-sdk/client-codebuild';
import { CreateProjectCommand, ListBuildsForProjectCommand } from '@aws-sdk/client-codebuild';
import { CodeCommitClient, CreateRepositoryCommand, GetRepositoryCommand } from '@aws-sdk/client-codecommit';
import type { HttpRequest } from '@smithy/types';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { codeBuildClient, projectInput } from '../aws/codebuild-server.js';
import { signer } from './sdk-signer.js';

let server: TestServer;
let codeBuild: CodeBuildClient;
let codeCommit: CodeCommitClient;

before(async () => {
  server = await startTestServer();
  codeBuild = codeBuildClient(server);
  codeCommit = new CodeCommitClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    maxAttempts: 1,
  });
});
after(async () => {
  codeBuild.destroy();
  codeCommit.destroy();
  await server.stop();
});

interface Replay {
  readonly signedTarget: string;
  readonly sentTarget: string;
  readonly body: string;
  /** Headers the signer leaves out of SignedHeaders. */
  readonly unsigned: readonly string[];
  readonly service: string;
}

/** Signs a call for `signedTarget`, then sends it with `sentTarget` in its place. */
async function replay(call: Replay): Promise<{ status: number; errorType: string | null; message: string }> {
  const url = new URL(server.url);
  const headers: Record<string, string> = { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': call.signedTarget };
  const request: HttpRequest = { method: 'POST', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: '/', query: {}, headers, body: call.body };
  const signed = await signer({ accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey, service: call.service }).sign(request, {
    signingDate: new Date(),
    unsignableHeaders: new Set(call.unsigned),
  });
  for (const name of call.unsigned) assert.doesNotMatch(signed.headers.authorization ?? '', new RegExp(`SignedHeaders=[^,]*${name}`));
  const { host: _host, ...sent } = signed.headers;
  const response = await fetch(`${server.url}/`, { method: 'POST', headers: { ...sent, 'x-amz-target': call.sentTarget }, body: call.body });
  const body = (await response.json()) as { message?: string };
  return { status: response.status, errorType: response.headers.get('x-amzn-errortype'), message: body.message ?? '' };
}

test('finding 8: a GetRepository signed without x-amz-target and replayed as DeleteRepository is refused; the repository stays', async () => {
  await codeCommit.send(new CreateRepositoryCommand({ repositoryName: 'kept' }));
  const answer = await replay({
    service: 'codecommit',
    signedTarget: 'CodeCommit_20150413.GetRepository',
    sentTarget: 'CodeCommit_20150413.DeleteRepository',
    body: JSON.stringify({ repositoryName: 'kept' }),
    unsigned: ['x-amz-target'],
  });
  assert.equal(answer.status, 400);
  assert.equal(answer.errorType, 'InvalidSignatureException');
  assert.match(answer.message, /x-amz-target header must be signed/);
  const still = await codeCommit.send(new GetRepositoryCommand({ repositoryName: 'kept' }));
  assert.equal(still.repositoryMetadata?.repositoryName, 'kept');
});

test('finding 8: a ListBuildsForProject signed without x-amz-target and replayed as StartBuild is refused; no build starts', async () => {
  await codeBuild.send(new CreateProjectCommand(projectInput('never-started')));
  const answer = await replay({
    service: 'codebuild',
    signedTarget: 'CodeBuild_20161006.ListBuildsForProject',
    sentTarget: 'CodeBuild_20161006.StartBuild',
    body: JSON.stringify({ projectName: 'never-started' }),
    unsigned: ['x-amz-target'],
  });
  assert.equal(answer.status, 400);
  assert.equal(answer.errorType, 'InvalidSignatureException');
  const builds = await codeBuild.send(new ListBuildsForProjectCommand({ projectName: 'never-started' }));
  assert.deepEqual(builds.ids ?? [], []);
});

test('finding 8: a call whose content-type is not signed is refused, even with its own target', async () => {
  const answer = await replay({
    service: 'codebuild',
    signedTarget: 'CodeBuild_20161006.ListProjects',
    sentTarget: 'CodeBuild_20161006.ListProjects',
    body: '{}',
    unsigned: ['content-type'],
  });
  assert.equal(answer.status, 400);
  assert.equal(answer.errorType, 'InvalidSignatureException');
  assert.match(answer.message, /content-type header must be signed/);
});

test('finding 8: the same call with every header signed is served (the SDKs sign them all)', async () => {
  const answer = await replay({ service: 'codebuild', signedTarget: 'CodeBuild_20161006.ListProjects', sentTarget: 'CodeBuild_20161006.ListProjects', body: '{}', unsigned: [] });
  assert.equal(answer.status, 200);
});

test('a whole signed request replayed more than 15 minutes after its date is refused as expired', async () => {
  const url = new URL(server.url);
  const body = JSON.stringify({ projectName: 'never-started' });
  const request: HttpRequest = {
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    query: {},
    headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'CodeBuild_20161006.StartBuild' },
    body,
  };
  const signed = await signer({ accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }).sign(request, {
    signingDate: new Date(Date.now() - 20 * 60 * 1000),
  });
  const { host: _host, ...sent } = signed.headers;
  const response = await fetch(`${server.url}/`, { method: 'POST', headers: sent, body });
  assert.equal(response.status, 400);
  assert.equal(response.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
  assert.match(((await response.json()) as { message: string }).message, /more than 15 minutes/);
  const builds = await codeBuild.send(new ListBuildsForProjectCommand({ projectName: 'never-started' }));
  assert.deepEqual(builds.ids ?? [], []);
});
