/**
 * Typed client of the native API (`/api/v1`), used by the CLI and the dashboard. Errors from the
 * server come back as NagareError with the server's code and message.
 */
import { NagareError, ERROR_CODES, type ErrorCode } from '../core/errors.js';
import { listAgentsAnswer, type ListAgentsAnswer } from '../protocol/native-agents.js';
import { isConnectionReset, isIdempotent } from './connection-reset.js';

export interface ClientOptions {
  readonly server: string;
  readonly token: string | undefined;
}

export type Json = Record<string, unknown>;

/** A body sent as it is (a definition file), not as JSON. */
class RawBody {
  constructor(readonly text: string, readonly contentType: string) {}
}

const pipelinePath = (name: string, rest = ''): string => `/pipelines/${encodeURIComponent(name)}${rest}`;

export class NagareClient {
  constructor(private readonly options: ClientOptions) {}

  /** Agents with fleet, labels, health and current jobs, checked against the protocol's schema. */
  async listAgents(): Promise<ListAgentsAnswer> {
    return listAgentsAnswer.parse(await this.call('GET', '/agents'));
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
  listBuilds(project?: string, limit = 20): Promise<{ builds: Json[] }> {
    const query = new URLSearchParams({ limit: String(limit), ...(project ? { project } : {}) });
    return this.call('GET', `/builds?${query.toString()}`);
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
  getRepository(name: string): Promise<{ repository: Json; branches: string[] }> {
    return this.call('GET', `/repositories/${encodeURIComponent(name)}`);
  }
  deleteRepository(name: string): Promise<void> {
    return this.call('DELETE', `/repositories/${encodeURIComponent(name)}`);
  }

  /** Creates or updates a pipeline from a JSON or YAML definition file's text. */
  applyPipeline(text: string, file: string): Promise<{ name: string; created: boolean; version: number; changes: { summary: string }[] }> {
    const contentType = /\.json$/i.test(file) ? 'application/json' : 'application/yaml';
    return this.call('PUT', `/pipelines?file=${encodeURIComponent(file)}`, new RawBody(text, contentType));
  }
  listPipelines(): Promise<{ pipelines: Json[] }> {
    return this.call('GET', '/pipelines');
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
  listPipelineExecutions(name: string): Promise<{ executions: Json[] }> {
    return this.call('GET', pipelinePath(name, '/executions'));
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
        ...(body === undefined ? {} : { 'content-type': body instanceof RawBody ? body.contentType : 'application/json' }),
      },
      ...(body === undefined ? {} : { body: body instanceof RawBody ? body.text : JSON.stringify(body) }),
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
    if (!response.ok) throw await serverError(response);
    return response;
  }
}

async function serverError(response: Response): Promise<NagareError> {
  const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string; details?: Record<string, unknown> } };
  const code = (ERROR_CODES as readonly string[]).includes(body.error?.code ?? '') ? (body.error?.code as ErrorCode) : 'API_INVALID_INPUT';
  return new NagareError(code, body.error?.message ?? `The server answered ${response.status}`, { details: body.error?.details ?? {} });
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
