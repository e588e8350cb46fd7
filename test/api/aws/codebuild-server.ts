/**
 * A real nagare server for the AWS API tests, a real CodeBuildClient pointed at it, and raw
 * requests signed by the SDK's own SigV4 signer for what no SDK call can send (unknown targets,
 * bodies that are not JSON).
 */
import { after, before } from 'node:test';
import { CodeBuildClient, type CreateProjectCommandInput } from '@aws-sdk/client-codebuild';
import type { HttpRequest } from '@smithy/types';
import { startTestServer, type TestDatabase, type TestServer } from '../../support/test-server.js';
import { signer } from '../auth/sdk-signer.js';

export interface AwsApiServer {
  readonly server: TestServer;
  readonly client: CodeBuildClient;
}

/** One server per test file, started before its tests and stopped after them. */
export function useCodeBuildServer(database: TestDatabase = 'sqlite'): () => AwsApiServer {
  let current: AwsApiServer | undefined;
  before(async () => {
    const server = await startTestServer({ database });
    current = { server, client: codeBuildClient(server) };
  });
  after(async () => {
    current?.client.destroy();
    await current?.server.stop();
  });
  return () => {
    if (!current) throw new Error('the server starts before the tests');
    return current;
  };
}

export function codeBuildClient(server: TestServer, secretAccessKey = server.secretAccessKey): CodeBuildClient {
  return new CodeBuildClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });
}

export const HELLO_BUILDSPEC = ['version: 0.2', 'phases:', '  build:', '    commands:', '      - echo hello from nagare', ''].join('\n');

/** A NO_SOURCE project with an inline buildspec that runs on the agent's shell. */
export function projectInput(name: string, overrides: Partial<CreateProjectCommandInput> = {}): CreateProjectCommandInput {
  return {
    name,
    source: { type: 'NO_SOURCE', buildspec: HELLO_BUILDSPEC },
    environment: { type: 'LINUX_CONTAINER', image: 'shell', computeType: 'BUILD_GENERAL1_SMALL' },
    artifacts: { type: 'NO_ARTIFACTS' },
    serviceRole: 'arn:aws:iam::000000000000:role/unused-by-nagare',
    ...overrides,
  };
}

export interface RawCall {
  readonly target?: string;
  readonly body: string;
  /** Sign with this secret instead of the server's. */
  readonly secretAccessKey?: string;
  /** Send no signature at all. */
  readonly unsigned?: boolean;
}

/** A POST / signed as the SDK signs it, sent with fetch; returns status, headers and parsed body. */
export async function rawCall(server: TestServer, call: RawCall): Promise<{ status: number; errorType: string | null; body: Record<string, unknown> }> {
  const url = new URL(server.url);
  const headers: Record<string, string> = { host: url.host, 'content-type': 'application/x-amz-json-1.1' };
  if (call.target !== undefined) headers['x-amz-target'] = call.target;
  const request: HttpRequest = { method: 'POST', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: '/', query: {}, headers, body: call.body };
  const sent = call.unsigned
    ? request
    : await signer({ accessKeyId: server.accessKeyId, secretAccessKey: call.secretAccessKey ?? server.secretAccessKey }).sign(request, { signingDate: new Date() });
  // fetch sets host itself, to the same value that was signed.
  const { host: _host, ...fetchHeaders } = sent.headers;
  const response = await fetch(`${server.url}/`, { method: 'POST', headers: fetchHeaders, body: call.body });
  return { status: response.status, errorType: response.headers.get('x-amzn-errortype'), body: (await response.json()) as Record<string, unknown> };
}

/** The error a promise rejects with, for assertions on `name` and `message`. */
export async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`, { cause: error });
  }
  throw new Error('expected the call to be rejected, but it succeeded');
}
