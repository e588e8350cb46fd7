import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ErrorCode } from '../../../src/core/errors.js';
import { isNagareError } from '../../../src/core/errors.js';
import { JSON_PROTOCOL_SIGNED_HEADERS, verifySigV4, type SigV4Request } from '../../../src/api/auth/sigv4.js';
import { canonicalPath } from '../../../src/api/auth/sigv4-canonical.js';
import { ACCESS_KEY_ID, asReceived, codeBuildCall, lookup, signed, signer, SIGNING_DATE } from './sdk-signer.js';

const NOW = SIGNING_DATE.getTime();
const MINUTE = 60_000;

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isNagareError(error), `expected a NagareError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

const listProjects = () => codeBuildCall('ListProjects', { sortBy: 'NAME' });

test('a CodeBuild JSON call signed by the SDK signer is accepted, for any region and service', async () => {
  assert.deepEqual(await verifySigV4(await signed(listProjects()), lookup, NOW), {
    accessKeyId: ACCESS_KEY_ID,
    region: 'us-east-1',
    service: 'codebuild',
  });
  const pipeline = await signed(codeBuildCall('ListPipelines', {}), { service: 'codepipeline' });
  assert.equal((await verifySigV4(pipeline, lookup, NOW)).service, 'codepipeline');
});

test('a signed x-amz-content-sha256 header is accepted when it matches the body', async () => {
  const request = await signed(listProjects(), { applyChecksum: true });
  assert.ok(request.headers['x-amz-content-sha256']);
  await verifySigV4(request, lookup, NOW);
});

test('a path needing encoding is verified as the SDK double-encodes it', async () => {
  assert.equal(canonicalPath('/a/./b//c/../my%20repo/'), '/a/b/my%2520repo/');
  await verifySigV4(await signed(codeBuildCall('ListProjects', {}, '/v1/repos/my%20repo')), lookup, NOW);
});

test('query parameters are canonicalised sorted by name then value', async () => {
  const request = listProjects();
  request.method = 'GET';
  request.body = undefined;
  request.query = { zeta: 'last', alpha: ['b value', 'a*value'], 'a-b': '1' };
  await verifySigV4(await signed(request), lookup, NOW);
});

test('a changed body byte is rejected with AUTH_INVALID_SIGNATURE', async () => {
  const request = await signed(listProjects());
  const body = new Uint8Array(request.body);
  body[2] = 'x'.charCodeAt(0);
  await rejectsWith(verifySigV4({ ...request, body }, lookup, NOW), 'AUTH_INVALID_SIGNATURE');
});

test('a body not matching its declared x-amz-content-sha256 is rejected', async () => {
  const request = await signed(listProjects(), { applyChecksum: true });
  await rejectsWith(verifySigV4({ ...request, body: new TextEncoder().encode('{}') }, lookup, NOW), 'AUTH_INVALID_SIGNATURE', /does not match the SHA-256/);
});

test('UNSIGNED-PAYLOAD is refused', async () => {
  const call = listProjects();
  call.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
  await rejectsWith(verifySigV4(await signed(call), lookup, NOW), 'AUTH_INVALID_SIGNATURE', /UNSIGNED-PAYLOAD/);
});

test('a changed X-Amz-Target header is rejected with AUTH_INVALID_SIGNATURE', async () => {
  const request = await signed(listProjects());
  const headers = { ...request.headers, 'x-amz-target': 'CodeBuild_20161006.DeleteProject' };
  await rejectsWith(verifySigV4({ ...request, headers }, lookup, NOW), 'AUTH_INVALID_SIGNATURE');
});

test('extra blanks in a signed header value do not change its canonical form', async () => {
  const request = await signed(listProjects());
  const headers = { ...request.headers, 'content-type': '  application/x-amz-json-1.1 ' };
  await verifySigV4({ ...request, headers }, lookup, NOW);
});

test('a signature more than 15 minutes from the server clock is rejected with AUTH_EXPIRED_SIGNATURE', async () => {
  const request = await signed(listProjects());
  await verifySigV4(request, lookup, NOW + 14 * MINUTE);
  await verifySigV4(request, lookup, NOW - 14 * MINUTE);
  await rejectsWith(verifySigV4(request, lookup, NOW + 16 * MINUTE), 'AUTH_EXPIRED_SIGNATURE');
  await rejectsWith(verifySigV4(request, lookup, NOW - 16 * MINUTE), 'AUTH_EXPIRED_SIGNATURE');
});

test('a request signed with the wrong secret is rejected with AUTH_INVALID_SIGNATURE', async () => {
  const request = await signed(listProjects(), { secretAccessKey: 'not-the-secret-of-this-access-key-000000' });
  await rejectsWith(verifySigV4(request, lookup, NOW), 'AUTH_INVALID_SIGNATURE');
});

test('an unknown access key is rejected with AUTH_UNKNOWN_ACCESS_KEY', async () => {
  const request = await signed(listProjects(), { accessKeyId: 'AKIAUNKNOWNKEY000000' });
  await rejectsWith(verifySigV4(request, lookup, NOW), 'AUTH_UNKNOWN_ACCESS_KEY');
});

test('a request with no Authorization header is rejected with AUTH_MISSING', async () => {
  await rejectsWith(verifySigV4(asReceived(listProjects()), lookup, NOW), 'AUTH_MISSING');
});

test('the signature of another request is rejected with AUTH_INVALID_SIGNATURE', async () => {
  const request = await signed(listProjects());
  const other = await signed(codeBuildCall('DeleteProject', { name: 'production' }));
  const headers = { ...other.headers, authorization: request.headers.authorization ?? '' };
  await rejectsWith(verifySigV4({ ...other, headers }, lookup, NOW), 'AUTH_INVALID_SIGNATURE');
});

test('a signature without host in SignedHeaders is rejected with AUTH_HEADER_NOT_SIGNED', async () => {
  const call = listProjects();
  const request = asReceived(await signer().sign(call, { signingDate: SIGNING_DATE, unsignableHeaders: new Set(['host']) }));
  assert.doesNotMatch(request.headers.authorization ?? '', /SignedHeaders=[^,]*host/);
  await rejectsWith(verifySigV4(request, lookup, NOW), 'AUTH_HEADER_NOT_SIGNED', /host header must be signed/);
});

test('finding 8: a JSON call without x-amz-target or content-type in SignedHeaders is rejected with AUTH_HEADER_NOT_SIGNED', async () => {
  for (const unsigned of ['x-amz-target', 'content-type']) {
    const request = asReceived(await signer().sign(listProjects(), { signingDate: SIGNING_DATE, unsignableHeaders: new Set([unsigned]) }));
    // Without the JSON protocol's requirement the signature itself is valid: the header is simply not covered.
    await verifySigV4(request, lookup, NOW);
    await rejectsWith(verifySigV4(request, lookup, NOW, JSON_PROTOCOL_SIGNED_HEADERS), 'AUTH_HEADER_NOT_SIGNED', new RegExp(`${unsigned} header must be signed`));
  }
  await verifySigV4(await signed(listProjects()), lookup, NOW, JSON_PROTOCOL_SIGNED_HEADERS);
});

test('a credential scope date other than the x-amz-date date is rejected with AUTH_INVALID_SIGNATURE', async () => {
  const request = await signed(listProjects());
  const authorization = (request.headers.authorization ?? '').replace('/20240501/', '/20240430/');
  await rejectsWith(verifySigV4({ ...request, headers: { ...request.headers, authorization } }, lookup, NOW), 'AUTH_INVALID_SIGNATURE', /scope date/);
});

test('malformed Authorization headers are rejected with AUTH_INVALID_SIGNATURE', async () => {
  const request = await signed(listProjects());
  const good = request.headers.authorization ?? '';
  const variants = [
    'AWS4-HMAC-SHA1 Credential=x',
    good.replace(/Signature=\w+/, 'Signature=zz'),
    good.replace(/, SignedHeaders=[^,]+/, ''),
    good.replace('/aws4_request', '/aws5_request'),
    good.replace(/SignedHeaders=/, 'SignedHeaders=Host;'),
  ];
  for (const authorization of variants) {
    await rejectsWith(verifySigV4({ ...request, headers: { ...request.headers, authorization } }, lookup, NOW), 'AUTH_INVALID_SIGNATURE');
  }
  const { 'x-amz-date': _date, ...withoutDate } = request.headers;
  await rejectsWith(verifySigV4({ ...request, headers: withoutDate }, lookup, NOW), 'AUTH_INVALID_SIGNATURE');
});

test('a signed header missing from the request is rejected with AUTH_INVALID_SIGNATURE', async () => {
  const request: SigV4Request = await signed(listProjects());
  const { 'x-amz-target': _target, ...headers } = request.headers;
  await rejectsWith(verifySigV4({ ...request, headers }, lookup, NOW), 'AUTH_INVALID_SIGNATURE', /x-amz-target is not in the request/);
});

test('a presigned URL is accepted until it expires, then rejected with AUTH_EXPIRED_SIGNATURE', async () => {
  const call = listProjects();
  call.method = 'GET';
  call.body = undefined;
  call.query = { name: 'my project' };
  const request = asReceived(await signer().presign(call, { signingDate: SIGNING_DATE, expiresIn: 300 }));
  assert.match(request.query, /X-Amz-Signature=/);
  await verifySigV4(request, lookup, NOW + 4 * MINUTE);
  await rejectsWith(verifySigV4(request, lookup, NOW + 6 * MINUTE), 'AUTH_EXPIRED_SIGNATURE');
  await rejectsWith(verifySigV4({ ...request, query: request.query.replace('my%20project', 'other') }, lookup, NOW), 'AUTH_INVALID_SIGNATURE');
  await rejectsWith(verifySigV4({ ...request, query: request.query.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=999999') }, lookup, NOW), 'AUTH_INVALID_SIGNATURE');
});
