/**
 * The AWS JSON 1.1 protocol at `POST /`: SigV4 on every request, AWS's error shapes, and bad
 * requests that change nothing. Raw requests are signed by the SDK's own SigV4 signer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CreateProjectCommand, ListProjectsCommand } from '@aws-sdk/client-codebuild';
import { signer } from '../auth/sdk-signer.js';
import { codeBuildClient, projectInput, rawCall, rejection, useCodeBuildServer } from './codebuild-server.js';

const api = useCodeBuildServer();

async function projectNames(): Promise<string[]> {
  return (await api().client.send(new ListProjectsCommand({}))).projects ?? [];
}

test('answers are application/x-amz-json-1.1 with a request id', async () => {
  const response = await rawCall(api().server, { target: 'CodeBuild_20161006.ListProjects', body: '{}' });
  assert.equal(response.status, 200);
  assert.ok(Array.isArray(response.body.projects));
  const fetched = await fetch(`${api().server.url}/`, { method: 'POST', body: '{}' });
  assert.equal(fetched.headers.get('content-type'), 'application/x-amz-json-1.1');
  assert.ok(fetched.headers.get('x-amzn-requestid'));
});

test('a request signed with the wrong secret is rejected with InvalidSignatureException and creates nothing', async () => {
  const { server } = api();
  const forged = codeBuildClient(server, 'not-the-secret-access-key-at-all');
  try {
    const error = await rejection(forged.send(new CreateProjectCommand(projectInput('forged'))));
    assert.equal(error.name, 'InvalidSignatureException');
    assert.equal(error.$metadata?.httpStatusCode, 400);
  } finally {
    forged.destroy();
  }
  assert.ok(!(await projectNames()).includes('forged'));
});

test('a request signed with an unknown access key is rejected with UnrecognizedClientException', async () => {
  const { server } = api();
  const stranger = codeBuildClient({ ...server, accessKeyId: 'AKIANOTANAGAREKEY000' });
  try {
    const error = await rejection(stranger.send(new CreateProjectCommand(projectInput('stranger'))));
    assert.equal(error.name, 'UnrecognizedClientException');
  } finally {
    stranger.destroy();
  }
  assert.ok(!(await projectNames()).includes('stranger'));
});

test('a request with no Authorization is rejected with MissingAuthenticationTokenException and creates nothing', async () => {
  const { server } = api();
  const body = JSON.stringify(projectInput('anonymous'));
  const response = await rawCall(server, { target: 'CodeBuild_20161006.CreateProject', body, unsigned: true });
  assert.equal(response.status, 403);
  assert.equal(response.errorType, 'MissingAuthenticationTokenException');
  assert.equal(response.body.__type, 'MissingAuthenticationTokenException');
  assert.equal(typeof response.body.message, 'string');
  assert.ok(!(await projectNames()).includes('anonymous'));
});

test('a signed body changed on the way is rejected with InvalidSignatureException', async () => {
  const { server } = api();
  const url = new URL(server.url);
  const signedBody = JSON.stringify({ names: ['a'] });
  const sent = await signer({ accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }).sign(
    { method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {}, headers: { host: url.host, 'x-amz-target': 'CodeBuild_20161006.BatchGetProjects' }, body: signedBody },
    { signingDate: new Date() },
  );
  const { host: _host, ...headers } = sent.headers;
  const response = await fetch(`${server.url}/`, { method: 'POST', headers, body: JSON.stringify({ names: ['b'] }) });
  assert.equal(response.status, 400);
  assert.equal(response.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
});

test('an unknown X-Amz-Target is rejected with UnknownOperationException', async () => {
  const { server } = api();
  for (const target of ['CodeBuild_20161006.LaunchRockets', 'CodeBuild_20161006.constructor', 'Ec2_20161115.DescribeInstances', 'ListProjects']) {
    const response = await rawCall(server, { target, body: '{}' });
    assert.equal(response.status, 400, target);
    assert.equal(response.errorType, 'UnknownOperationException', target);
    assert.deepEqual(Object.keys(response.body).sort(), ['__type', 'message']);
    assert.equal(response.body.__type, 'UnknownOperationException');
  }
  const missing = await rawCall(server, { body: '{}' });
  assert.equal(missing.errorType, 'UnknownOperationException');
});

test('a body that is not JSON is rejected with InvalidInputException and changes nothing', async () => {
  const { server } = api();
  const before = await projectNames();
  const response = await rawCall(server, { target: 'CodeBuild_20161006.CreateProject', body: '{"name": "half-a-project", "source": ' });
  assert.equal(response.status, 400);
  assert.equal(response.errorType, 'InvalidInputException');
  assert.match(String(response.body.message), /not valid JSON/);
  assert.deepEqual(await projectNames(), before);
});

test('a JSON body of the wrong shape is rejected with InvalidInputException naming the field', async () => {
  const response = await rawCall(api().server, { target: 'CodeBuild_20161006.CreateProject', body: JSON.stringify({ name: 'shapeless', source: 'GIT' }) });
  assert.equal(response.errorType, 'InvalidInputException');
  assert.match(String(response.body.message), /source/);
  assert.doesNotMatch(String(response.body.message), /\n\s+at /, 'no stack trace');
});

test('a body over one megabyte is refused before it is read', async () => {
  const body = JSON.stringify({ names: ['x'], padding: 'p'.repeat(1024 * 1024) });
  const response = await rawCall(api().server, { target: 'CodeBuild_20161006.BatchGetProjects', body });
  assert.equal(response.status, 413);
  assert.equal(response.errorType, 'RequestEntityTooLargeException');
});

test('the server log records refused requests without secrets', async () => {
  const { server } = api();
  await rawCall(server, { target: 'CodeBuild_20161006.ListProjects', body: '{}', secretAccessKey: 'wrong-secret' });
  const logs = server.logs();
  assert.match(logs, /aws request refused/);
  assert.ok(!logs.includes(server.secretAccessKey), 'the secret access key never reaches the log');
});
