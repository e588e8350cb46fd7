/**
 * Typed client of the native API (`/api/v1`), used by the CLI and the dashboard. Errors from the
 * server come back as NagareError with the server's code and message.
 */
import { NagareError, ERROR_CODES, type ErrorCode } from '../core/errors.js';
// The answers' schemas (zod) are imported where a call checks them, not here: every CLI command
// imports this client, and loading zod at start cost a trivial `nagare build` tens of milliseconds.
import type { ListAgentsAnswer } from '../protocol/native-agents.js';
import type { GetBuildBatchAnswer } from '../protocol/native-build-batches.js';
import type { DeployedFleetAnswer, GetDeploymentAnswer, ListDeploymentsAnswer } from '../protocol/native-deployments.js';
import { isConnectionReset, isIdempotent } from './connection-reset.js';

export interface ClientOptions {
  readonly server: string;
  readonly token: string | undefined;
  /** Appended to an AUTH_MISSING or AUTH_INVALID_TOKEN answer: where the caller looked for a token. */
  readonly credentialsHint?: string | undefined;
  /** Headers added to every call (the dashboard's CSRF token); read at each call. */
  readonly headers?: () => Readonly<Record<string, string>>;
}

/** The dashboard's session: who signed in, and the CSRF token its changes carry. */
export interface SessionAnswer {
  readonly caller: string;
  readonly csrfToken: string;
  readonly expiresAt: string;
}

export type Json = Record<string, unknown>;

/** A body sent as it is (a definition file), not as JSON. */
class RawBody {
  constructor(readonly text: string | Uint8Array, readonly contentType: string) {}
}

const pipelinePath = (name: string, rest = ''): string => `/pipelines/${encodeURIComponent(name)}${rest}`;

export class NagareClient {
  constructor(private readonly options: ClientOptions) {}

  /** Agents with fleet, labels, health and current jobs, checked against the protocol's schema. */
  async listAgents(): Promise<ListAgentsAnswer> {
    const answer = await this.call('GET', '/agents');
    const { listAgentsAnswer } = await import('../protocol/native-agents.js');
    return listAgentsAnswer.parse(answer);
  }
  /** Signs in with an API token: the server sets the session cookie (the browser keeps it, not the page). */
  signIn(token: string): Promise<SessionAnswer> {
    return this.call('POST', '/session', { token });
  }
  session(): Promise<SessionAnswer> {
    return this.call('GET', '/session');
  }
  signOut(): Promise<void> {
    return this.call('DELETE', '/session');
  }
  listProjects(): Promise<{ projects: Json[] }> {
    return this.call('GET', '/projects');
  }
  createProject(project: Json): Promise<{ project: Json }> {
    return this.call('POST', '/projects', project);
  }
  getProject(name: string): Promise<{ project: Json }> {
    return this.call('GET', `/projects/${encodeURIComponent(name)}`);
  }
  deleteProject(name: string): Promise<void> {
    return this.call('DELETE', `/projects/${encodeURIComponent(name)}`);
  }
  startBuild(project: string, overrides: Json = {}): Promise<{ build: Json }> {
    return this.call('POST', `/projects/${encodeURIComponent(project)}/builds`, overrides);
  }
  /** Builds newest first; `filter` narrows them on the server (the initiator matched exactly). */
  listBuilds(project?: string, limit = 20, nextToken?: string, filter: { readonly status?: string | undefined; readonly initiator?: string | undefined } = {}): Promise<{ builds: Json[]; nextToken?: string }> {
    const { status, initiator } = filter;
    const query = new URLSearchParams({ limit: String(limit), ...(project ? { project } : {}), ...(status ? { status } : {}), ...(initiator ? { initiator } : {}), ...(nextToken === undefined ? {} : { nextToken }) });
    return this.call('GET', `/builds?${query.toString()}`);
  }
  /** The caller the token belongs to. */
  whoami(): Promise<{ name: string; kind: string }> {
    return this.call('GET', '/whoami');
  }
  getBuild(id: string): Promise<{ build: Json }> {
    return this.call('GET', `/builds/${encodeURIComponent(id)}`);
  }
  stopBuild(id: string): Promise<{ build: Json }> {
    return this.call('POST', `/builds/${encodeURIComponent(id)}/stop`);
  }
  async buildLog(id: string): Promise<string> {
    const response = await this.fetch('GET', `/builds/${encodeURIComponent(id)}/logs`);
    return response.text();
  }

  /** A build artifact's zip as a stream (`name` as the build shows it). */
  async buildArtifact(id: string, name: string): Promise<ReadableStream<Uint8Array>> {
    const response = await this.fetch('GET', `/builds/${encodeURIComponent(id)}/artifacts/${encodeURIComponent(name)}`);
    if (!response.body) throw new NagareError('API_INVALID_INPUT', `The server sent no body for artifact ${name}`);
    return response.body;
  }

  /** Follows a build's log as it is written; resolves with the final status. */
  async followBuildLog(id: string, onText: (text: string) => void, signal?: AbortSignal): Promise<string> {
    const response = await this.fetch('GET', `/builds/${encodeURIComponent(id)}/logs?follow=1`, undefined, signal);
    if (!response.body) throw new NagareError('API_INVALID_INPUT', 'The server sent no log stream');
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const event = parseSse(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event.event === 'log') onText(event.data);
        if (event.event === 'end') return (JSON.parse(event.data) as { buildStatus: string }).buildStatus;
      }
    }
    throw new NagareError('API_INVALID_INPUT', 'The log stream ended before the build did; run `nagare build logs -f` again');
  }

  /** A page of the event log after `after` (`types`: detail-types to keep). */
  listEvents(after: number, limit: number, types: readonly string[] = [], traceId?: string): Promise<{ events: { sequence: number; event: Json; traceId?: string }[]; nextAfter: number }> {
    const query = new URLSearchParams({ after: String(after), limit: String(limit), ...(traceId === undefined ? {} : { trace: traceId }) });
    for (const type of types) query.append('type', type);
    return this.call('GET', `/events?${query.toString()}`);
  }

  /** Follows the event log (SSE) from `after` ('latest': only what happens next) until `signal` aborts or the server goes. */
  async followEvents(after: number | 'latest', types: readonly string[], onEvent: (sequence: number, event: Json) => void, signal?: AbortSignal): Promise<void> {
    const query = new URLSearchParams({ after: String(after) });
    for (const type of types) query.append('type', type);
    const response = await this.fetch('GET', `/events/stream?${query.toString()}`, undefined, signal);
    if (!response.body) throw new NagareError('API_INVALID_INPUT', 'The server sent no event stream');
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = parseSse(block);
        const id = /^id: ?(\d+)$/m.exec(block)?.[1];
        if (event.event === 'aws' && id !== undefined) onEvent(Number(id), JSON.parse(event.data) as Json);
      }
    }
  }

  putRule(name: string, rule: Json): Promise<{ RuleArn: string; FailedEntryCount: number; FailedEntries: Json[] }> {
    return this.call('PUT', `/rules/${encodeURIComponent(name)}`, rule);
  }
  listRules(): Promise<{ Rules: Json[] }> {
    return this.call('GET', '/rules');
  }
  deleteRule(name: string): Promise<{ deleted: string }> {
    return this.call('DELETE', `/rules/${encodeURIComponent(name)}`);
  }

  listNotificationRules(): Promise<{ NotificationRules: Json[] }> {
    return this.call('GET', '/notification-rules');
  }
  createNotificationRule(rule: Json): Promise<{ Arn: string }> {
    return this.call('POST', '/notification-rules', rule);
  }
  describeNotificationRule(arnOrName: string): Promise<Json> {
    return this.call('GET', `/notification-rules/${encodeURIComponent(arnOrName)}`);
  }
  deleteNotificationRule(arnOrName: string): Promise<{ Arn: string }> {
    return this.call('DELETE', `/notification-rules/${encodeURIComponent(arnOrName)}`);
  }
  testNotificationRule(arnOrName: string): Promise<{ results: { TargetAddress: string; delivered: boolean; error?: string }[] }> {
    return this.call('POST', `/notification-rules/${encodeURIComponent(arnOrName)}/test`);
  }
  listNotificationEventTypes(): Promise<{ EventTypes: Json[] }> {
    return this.call('GET', '/notification-rules/event-types');
  }

  putParameter(namespace: 'parameters' | 'secrets', body: Json): Promise<{ version: number }> {
    return this.call('PUT', `/${namespace}`, body);
  }
  getParameter(namespace: 'parameters' | 'secrets', name: string): Promise<Json> {
    return this.call('GET', `/${namespace}?name=${encodeURIComponent(name)}`);
  }
  listParameters(namespace: 'parameters' | 'secrets'): Promise<Json> {
    return this.call('GET', `/${namespace}`);
  }
  deleteParameter(namespace: 'parameters' | 'secrets', name: string): Promise<void> {
    return this.call('DELETE', `/${namespace}?name=${encodeURIComponent(name)}`);
  }
  createAccessKey(): Promise<{ accessKeyId: string; secretAccessKey: string }> {
    return this.call('POST', '/access-keys');
  }
  createMetricsToken(name: string): Promise<{ token: string }> {
    return this.call('POST', '/metrics-tokens', { name });
  }
  createAgentToken(name: string): Promise<{ token: string }> {
    return this.call('POST', '/agent-tokens', { name });
  }

  /** With `mirror`, an external repository: a read-only mirror of `mirror.mirrorOf`. */
  createRepository(name: string, description?: string, mirror?: { mirrorOf: string; pollSeconds?: number | undefined; webhookSecret?: string | undefined }): Promise<{ repository: Json }> {
    return this.call('POST', '/repositories', { name, ...(description === undefined ? {} : { description }), ...(mirror ?? {}) });
  }
  listRepositories(nextToken?: string): Promise<{ repositories: Json[]; nextToken?: string }> {
    return this.call('GET', `/repositories${nextToken === undefined ? '' : `?nextToken=${encodeURIComponent(nextToken)}`}`);
  }
  listPushEvents(name: string, limit = 20): Promise<{ pushEvents: Json[] }> {
    return this.call('GET', `/repositories/${encodeURIComponent(name)}/push-events?limit=${limit}`);
  }
  getRepository(name: string): Promise<{ repository: Json; branches: string[] }> {
    return this.call('GET', `/repositories/${encodeURIComponent(name)}`);
  }
  deleteRepository(name: string): Promise<void> {
    return this.call('DELETE', `/repositories/${encodeURIComponent(name)}`);
  }

  /** Creates or updates a pipeline from a JSON or YAML definition file's text. */
  applyPipeline(text: string, file: string): Promise<{ name: string; created: boolean; unchanged?: boolean; version: number; changes: { summary: string }[] }> {
    const contentType = /\.json$/i.test(file) ? 'application/json' : 'application/yaml';
    return this.call('PUT', `/pipelines?file=${encodeURIComponent(file)}`, new RawBody(text, contentType));
  }
  listPipelines(nextToken?: string): Promise<{ pipelines: Json[]; nextToken?: string }> {
    return this.call('GET', `/pipelines${nextToken === undefined ? '' : `?nextToken=${encodeURIComponent(nextToken)}`}`);
  }
  getPipeline(name: string): Promise<{ pipeline: Json; version: number }> {
    return this.call('GET', pipelinePath(name));
  }
  deletePipeline(name: string): Promise<void> {
    return this.call('DELETE', pipelinePath(name));
  }
  startPipeline(name: string, variables: Record<string, string> = {}): Promise<{ pipelineExecutionId: string }> {
    return this.call('POST', pipelinePath(name, '/executions'), { variables });
  }
  listPipelineExecutions(name: string, limit?: number, nextToken?: string): Promise<{ executions: Json[]; nextToken?: string }> {
    const query = new URLSearchParams({ ...(limit === undefined ? {} : { limit: String(limit) }), ...(nextToken === undefined ? {} : { nextToken }) }).toString();
    return this.call('GET', pipelinePath(name, `/executions${query === '' ? '' : `?${query}`}`));
  }
  getPipelineExecution(name: string, id: string): Promise<{ execution: Json; actions: Json[] }> {
    return this.call('GET', pipelinePath(name, `/executions/${encodeURIComponent(id)}`));
  }
  stopPipelineExecution(name: string, id: string, options: { abandon?: boolean; reason?: string } = {}): Promise<{ pipelineExecutionId: string }> {
    return this.call('POST', pipelinePath(name, `/executions/${encodeURIComponent(id)}/stop`), options);
  }
  pipelineState(name: string): Promise<{ pipelineName: string; pipelineVersion: number; latestExecution?: Json; stageStates: Json[] }> {
    return this.call('GET', pipelinePath(name, '/state'));
  }
  putApprovalResult(name: string, decision: { stage: string; action: string; status: 'Approved' | 'Rejected'; summary: string }): Promise<{ pipelineExecutionId?: string; status: string; approvedAt: string }> {
    return this.call('POST', pipelinePath(name, '/approvals'), decision);
  }
  retryStage(name: string, stage: string, options: { executionId?: string; mode?: 'FAILED_ACTIONS' | 'ALL_ACTIONS' } = {}): Promise<{ pipelineExecutionId: string }> {
    return this.call('POST', pipelinePath(name, `/stages/${encodeURIComponent(stage)}/retry`), options);
  }
  setStageTransition(name: string, stage: string, enabled: boolean, reason?: string): Promise<{ stageName: string; enabled: boolean }> {
    return this.call('POST', pipelinePath(name, `/stages/${encodeURIComponent(stage)}/transition`), { enabled, ...(reason === undefined ? {} : { reason }) });
  }

  /** A CodeDeploy operation (the AWS API's input and output shapes) through the native API. */
  codeDeploy<T = Json>(operation: string, input: Json): Promise<T> {
    return this.call('POST', `/deploy/operations/${encodeURIComponent(operation)}`, input);
  }
  /** Deployments, newest first, as the dashboard lists them (filters as ListDeployments'). */
  async listDeployments(filter: { application?: string | undefined; group?: string | undefined; status?: string | undefined; limit?: number | undefined; nextToken?: string | undefined } = {}): Promise<ListDeploymentsAnswer> {
    const query = new URLSearchParams(Object.entries(filter).flatMap(([key, value]): [string, string][] => (value === undefined || value === '' ? [] : [[key, String(value)]])));
    const rest = query.size === 0 ? '' : `?${query.toString()}`;
    const answer = await this.call('GET', `/deploy/deployments${rest}`);
    const { listDeploymentsAnswer } = await import('../protocol/native-deployments.js');
    return listDeploymentsAnswer.parse(answer);
  }
  /** One deployment with its instances' lifecycle events (status, times, diagnostics of a failure). */
  async getDeployment(deploymentId: string): Promise<GetDeploymentAnswer> {
    const answer = await this.call('GET', `/deploy/deployments/${encodeURIComponent(deploymentId)}`);
    const { getDeploymentAnswer } = await import('../protocol/native-deployments.js');
    return getDeploymentAnswer.parse(answer);
  }
  /** Application → deployment group → instances → the revision each serves, with the agents' health. */
  async deployedFleet(nextToken?: string, instancesNextToken?: string): Promise<DeployedFleetAnswer> {
    const query = new URLSearchParams({ ...(nextToken === undefined ? {} : { nextToken }), ...(instancesNextToken === undefined ? {} : { instancesNextToken }) });
    const answer = await this.call('GET', `/deploy/fleet${query.size === 0 ? '' : `?${query.toString()}`}`);
    const { deployedFleetAnswer } = await import('../protocol/native-deployments.js');
    return deployedFleetAnswer.parse(answer);
  }
  /** A build batch with its build groups and their builds. */
  async getBuildBatch(id: string): Promise<GetBuildBatchAnswer> {
    const answer = await this.call('GET', `/build-batches/${encodeURIComponent(id)}`);
    const { getBuildBatchAnswer } = await import('../protocol/native-build-batches.js');
    return getBuildBatchAnswer.parse(answer);
  }
  /** Uploads a revision bundle into the server's revision store and registers it with the application. */
  pushRevision(applicationName: string, bundle: Uint8Array, options: { key: string; bundleType: 'zip' | 'tar' | 'tgz'; description?: string | undefined }): Promise<{ revision: Json }> {
    const query = new URLSearchParams({ key: options.key, bundleType: options.bundleType, ...(options.description ? { description: options.description } : {}) });
    return this.call('PUT', `/deploy/revisions/${encodeURIComponent(applicationName)}?${query.toString()}`, new RawBody(bundle, 'application/octet-stream'));
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetch(method, path, body);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  private async fetch(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const url = `${this.options.server.replace(/\/$/, '')}/api/v1${path}`;
    const init: RequestInit = {
      method,
      headers: {
        ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
        ...this.options.headers?.(),
        ...(body === undefined ? {} : { 'content-type': body instanceof RawBody ? body.contentType : 'application/json' }),
      },
      ...(body === undefined ? {} : { body: (body instanceof RawBody ? body.text : JSON.stringify(body)) as NonNullable<RequestInit['body']> }),
      ...(signal ? { signal } : {}),
    };
    let response: Response;
    try {
      response = await fetch(url, init).catch((error: unknown) => {
        // A kept-alive connection closed by the server as the request went out: the server saw
        // nothing, so an idempotent call is sent once more on a new connection.
        if (isConnectionReset(error) && isIdempotent(method) && !signal?.aborted) return fetch(url, init);
        throw error;
      });
    } catch (error) {
      throw new NagareError('API_INVALID_INPUT', `Cannot reach the nagare server at ${this.options.server}: is it running? (--server or NAGARE_SERVER)`, { cause: error });
    }
    if (!response.ok) throw withCredentialsHint(await serverError(response), this.options.credentialsHint);
    return response;
  }
}

async function serverError(response: Response): Promise<NagareError> {
  const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string; details?: Record<string, unknown> } };
  const code = (ERROR_CODES as readonly string[]).includes(body.error?.code ?? '') ? (body.error?.code as ErrorCode) : 'API_INVALID_INPUT';
  return new NagareError(code, body.error?.message ?? `The server answered ${response.status}`, { details: body.error?.details ?? {} });
}

function withCredentialsHint(error: NagareError, hint: string | undefined): NagareError {
  if (hint === undefined || (error.code !== 'AUTH_MISSING' && error.code !== 'AUTH_INVALID_TOKEN')) return error;
  return new NagareError(error.code, `${error.message}\n${hint}`, { details: error.details });
}

function parseSse(block: string): { event: string; data: string } {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
  }
  return { event, data: data.join('\n') };
}
