/**
 * The few calls of the Docker Engine API that builds need, over its Unix socket with `node:http`.
 * A client library (dockerode, with its SSH, gRPC and protobuf dependencies) took 150 ms to more
 * than a second to load, paid by every `nagare build --image` before the engine heard from it.
 *
 * Attaching to a container and starting an exec hijack the connection: the request asks for an
 * upgrade to a raw stream and the engine answers 101, after which the socket carries the process's
 * standard input one way and its multiplexed output (docker-streams.ts) the other.
 *
 * A failed call rejects with a DockerEngineError carrying the HTTP status (undefined when no engine
 * answered) and the engine's message.
 */
import type * as Http from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
// Not `import … from 'node:http'`: its ES module facade reads every export, and the lazy
// fetch-related ones load undici (~30 ms at every start). The CommonJS module has no facade.
const http = createRequire(import.meta.url)('node:http') as typeof Http;

export class DockerEngineError extends Error {
  constructor(
    message: string,
    /** The engine's HTTP status; undefined when the engine could not be reached or did not answer. */
    readonly statusCode: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DockerEngineError';
  }
}

export interface ImageInspect {
  readonly Id?: string;
  readonly Config?: { readonly Env?: readonly string[] | null } | null;
}

export interface ExecInspect {
  readonly Running: boolean;
  readonly ExitCode: number | null;
}

export interface ExecSpec {
  readonly Cmd: readonly string[];
  readonly AttachStdin?: boolean;
  readonly AttachStdout: boolean;
  readonly AttachStderr: boolean;
  readonly Tty: false;
  readonly Env?: readonly string[];
  readonly WorkingDir?: string;
  readonly User?: string;
}

/** Basic credentials for a registry, as the engine's X-Registry-Auth header takes them. */
export interface RegistryAuthConfig {
  readonly username: string;
  readonly password: string;
  readonly serveraddress: string;
}

/** One JSON line of a pull's progress. */
export interface PullEvent {
  readonly status?: string;
  readonly id?: string;
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
}

interface Call {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Overrides the client's timeout (ms without a byte from the engine). */
  readonly timeoutMs?: number;
}

/** Answers larger than this are not what these calls expect (an inspect is a few kB). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** A container of an engine. */
export interface ContainerRef {
  readonly engine: DockerEngine;
  readonly id: string;
}

export class DockerEngine {
  constructor(
    readonly socketPath: string,
    /** Applies to calls that wait for an answer, not to hijacked streams or a pull's progress. */
    private readonly timeoutMs = 60_000,
  ) {}

  async ping(): Promise<void> {
    await this.call({ method: 'GET', path: '/_ping' });
  }

  async inspectImage(image: string): Promise<ImageInspect> {
    return (await this.call({ method: 'GET', path: `/images/${imagePath(image)}/json` })) as ImageInspect;
  }

  /** Pulls `image`, calling `onEvent` for each line of progress; rejects on the first error the engine reports. */
  async pull(image: string, auth: RegistryAuthConfig | undefined, onEvent: (event: PullEvent) => void): Promise<void> {
    const headers: Record<string, string> = auth ? { 'X-Registry-Auth': registryAuthHeader(auth) } : {};
    // A layer may extract for minutes, but not in silence: ten without a byte is a hung engine.
    const response = await this.open({ method: 'POST', path: '/images/create', query: pullQuery(image), headers, timeoutMs: 600_000 }, true);
    await expectSuccess(response);
    let failure: string | undefined;
    let pending = '';
    const take = (line: string): void => {
      if (line.trim() === '') return;
      let event: PullEvent;
      try {
        event = JSON.parse(line) as PullEvent;
      } catch {
        return;
      }
      if (event.error !== undefined || event.errorDetail?.message !== undefined) failure ??= event.errorDetail?.message ?? event.error;
      else onEvent(event);
    };
    response.setEncoding('utf8');
    for await (const chunk of response) {
      pending += chunk as string;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) take(line);
    }
    take(pending);
    if (failure !== undefined) throw new DockerEngineError(failure, 200);
  }

  /** Creates a container; answers its id. */
  async createContainer(spec: Readonly<Record<string, unknown>>): Promise<string> {
    return ((await this.call({ method: 'POST', path: '/containers/create', body: spec })) as { Id: string }).Id;
  }

  /** The container's standard streams (output multiplexed), attached before it starts as `docker run` does. */
  attach(containerId: string): Promise<Duplex> {
    return this.hijack({ method: 'POST', path: `/containers/${encodeURIComponent(containerId)}/attach`, query: { stream: '1', stdin: '1', stdout: '1', stderr: '1' } });
  }

  async start(containerId: string): Promise<void> {
    await this.call({ method: 'POST', path: `/containers/${encodeURIComponent(containerId)}/start` });
  }

  /** SIGKILL to the container's processes; a container already gone or stopped is not an error. */
  async kill(containerId: string): Promise<void> {
    try {
      await this.call({ method: 'POST', path: `/containers/${encodeURIComponent(containerId)}/kill` });
    } catch (error) {
      if (!(error instanceof DockerEngineError && (error.statusCode === 404 || error.statusCode === 409))) throw error;
    }
  }

  async remove(containerId: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/containers/${encodeURIComponent(containerId)}`, query: { force: 'true' } });
  }

  /**
   * Resolves once the container is no longer running (at once when it is gone already); rejects
   * when it still runs after `timeoutMs`, leaving no request open.
   */
  async waitStopped(containerId: string, timeoutMs: number): Promise<void> {
    try {
      await this.call({ method: 'POST', path: `/containers/${encodeURIComponent(containerId)}/wait`, query: { condition: 'not-running' }, timeoutMs });
    } catch (error) {
      if (!(error instanceof DockerEngineError && error.statusCode === 404)) throw error;
    }
  }

  /** The host pid of a running container's first process (undefined when it has none). */
  async containerPid(containerId: string): Promise<number | undefined> {
    const info = (await this.call({ method: 'GET', path: `/containers/${encodeURIComponent(containerId)}/json` })) as { State?: { Pid?: number } } | undefined;
    const pid = info?.State?.Pid;
    return typeof pid === 'number' && pid > 0 ? pid : undefined;
  }

  /** Creates an exec in a running container; answers its id. */
  async createExec(containerId: string, spec: ExecSpec): Promise<string> {
    return ((await this.call({ method: 'POST', path: `/containers/${encodeURIComponent(containerId)}/exec`, body: spec })) as { Id: string }).Id;
  }

  /** Starts an exec with its streams attached: the raw connection. */
  startExec(execId: string): Promise<Duplex> {
    return this.hijack({ method: 'POST', path: `/exec/${encodeURIComponent(execId)}/start`, body: { Detach: false, Tty: false } });
  }

  async inspectExec(execId: string): Promise<ExecInspect> {
    return (await this.call({ method: 'GET', path: `/exec/${encodeURIComponent(execId)}/json` })) as ExecInspect;
  }

  /** A call answered with JSON (or nothing); rejects on any status but 2xx. */
  private async call(call: Call): Promise<unknown> {
    const response = await this.open(call, true);
    await expectSuccess(response);
    const text = await readAll(response);
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }

  private open(call: Call, timed: boolean): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const request = this.request(call, timed, reject);
      request.on('response', resolve);
      request.end(call.body === undefined ? undefined : JSON.stringify(call.body));
    });
  }

  private hijack(call: Call): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const request = this.request({ ...call, headers: { ...call.headers, Connection: 'Upgrade', Upgrade: 'tcp' } }, true, reject);
      request.on('upgrade', (_response: IncomingMessage, socket: Socket, head: Buffer) => {
        request.setTimeout(0);
        socket.setTimeout(0);
        if (head.length > 0) socket.unshift(head);
        resolve(socket);
      });
      // An engine that refuses answers with a plain status instead of switching protocols.
      request.on('response', (response: IncomingMessage) => {
        const refused = (error: Error): void => {
          response.destroy();
          request.destroy();
          reject(error);
        };
        if ((response.statusCode ?? 0) >= 300) expectSuccess(response).catch((error: unknown) => refused(error instanceof Error ? error : new Error(String(error))));
        else refused(new DockerEngineError(`the engine did not hand over the stream of ${call.path}`, response.statusCode));
      });
      request.end(call.body === undefined ? undefined : JSON.stringify(call.body));
    });
  }

  private request(call: Call, timed: boolean, reject: (error: unknown) => void): ClientRequest {
    const query = call.query ? `?${new URLSearchParams(call.query).toString()}` : '';
    const headers: Record<string, string> = { ...call.headers, ...(call.body === undefined ? {} : { 'Content-Type': 'application/json' }) };
    // No connection pool: a Unix socket connects in microseconds, and a pooled idle socket would hold the process open.
    const request = http.request({ socketPath: this.socketPath, method: call.method, path: `${call.path}${query}`, headers, agent: false });
    request.on('error', (error: Error) => reject(new DockerEngineError(`no answer from the Docker engine at ${this.socketPath}: ${error.message}`, undefined, { cause: error })));
    if (timed) {
      const timeoutMs = call.timeoutMs ?? this.timeoutMs;
      request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    }
    return request;
  }
}

/** The credential as the engine decodes it: JSON in URL-safe base64 with its padding (Go's base64.URLEncoding). */
function registryAuthHeader(auth: RegistryAuthConfig): string {
  const text = Buffer.from(JSON.stringify(auth)).toString('base64url');
  return text.padEnd(Math.ceil(text.length / 4) * 4, '=');
}

/** Rejects, with the engine's message, unless the answer's status is 1xx or 2xx (a redirect is not followed). */
async function expectSuccess(response: IncomingMessage): Promise<void> {
  const status = response.statusCode ?? 0;
  if (status < 300) return;
  const text = await readAll(response).catch(() => '');
  let message = text.trim();
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // Not JSON: the text as it came.
  }
  throw new DockerEngineError(`(HTTP code ${status}) ${message || http.STATUS_CODES[status] || 'error'}`, status);
}

async function readAll(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of response) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_ANSWER_BYTES) {
      response.destroy();
      throw new DockerEngineError(`the engine's answer exceeds ${MAX_ANSWER_BYTES} bytes`, response.statusCode);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const NAME_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?';
const REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${NAME_COMPONENT}(?:/${NAME_COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$`);

/**
 * Whether `image` is a reference in Docker's grammar (`[host[:port]/]path[:tag][@digest]`). An
 * image name comes from a buildspec or a project, so nothing else reaches the engine's API paths.
 */
export function isImageReference(image: string): boolean {
  return image.length <= 512 && REFERENCE.test(image);
}

/**
 * An image reference as a path segment of the API: `/` and `:` stay (the engine matches
 * `/images/{name:.*}/json`), anything that could end the path or start a query is escaped.
 */
function imagePath(image: string): string {
  return encodeURIComponent(image).replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%40/g, '@');
}

/** `fromImage` and `tag` of a pull: the tag after the last `:` that follows the last `/`; a digest stays in the name. */
export function pullQuery(image: string): Record<string, string> {
  if (image.includes('@')) return { fromImage: image };
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (colon > slash) return { fromImage: image.slice(0, colon), tag: image.slice(colon + 1) };
  return { fromImage: image, tag: 'latest' };
}
