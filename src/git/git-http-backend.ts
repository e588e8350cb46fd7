/**
 * git's smart HTTP through `git http-backend`, run as a CGI program: the request's method, path
 * and headers become CGI variables, its body streams to the program's stdin, and the program's
 * stdout is parsed into a status, headers and a streamed body.
 */
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { gitEnvironment } from './git-command.js';

export interface GitHttpRequest {
  readonly method: string;
  /** Relative to the project root: `/<name>.git/info/refs`. */
  readonly pathInfo: string;
  /** Without the `?`. */
  readonly query: string;
  readonly headers: Headers;
  readonly body: ReadableStream<Uint8Array> | null;
  /** Who the request is from (receive-pack is refused to anonymous callers). */
  readonly remoteUser: string;
  readonly signal?: AbortSignal;
}

export interface GitHttpResponse {
  readonly response: Response;
  /** Resolves with the program's exit code once it has ended (and its output has been read). */
  readonly exited: Promise<number>;
}

const MAX_HEADER_BYTES = 64 * 1024;

/** Runs `git http-backend` for one request under `projectRoot`. */
export async function runHttpBackend(projectRoot: string, request: GitHttpRequest): Promise<GitHttpResponse> {
  const header = (name: string): Record<string, string> => {
    const value = request.headers.get(name);
    return value === null ? {} : { [cgiName(name)]: value };
  };
  const env = gitEnvironment({
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    PATH_INFO: request.pathInfo,
    REQUEST_METHOD: request.method,
    QUERY_STRING: request.query,
    REMOTE_USER: request.remoteUser,
    REMOTE_ADDR: '127.0.0.1',
    ...(request.headers.get('content-type') === null ? {} : { CONTENT_TYPE: request.headers.get('content-type') ?? '' }),
    ...(request.headers.get('content-length') === null ? {} : { CONTENT_LENGTH: request.headers.get('content-length') ?? '' }),
    ...header('content-encoding'),
    ...header('accept'),
    ...(request.headers.get('git-protocol') === null ? {} : { GIT_PROTOCOL: request.headers.get('git-protocol') ?? '' }),
    // The callers are authenticated by nagare; receive-pack is enabled for them explicitly.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.receivepack',
    GIT_CONFIG_VALUE_0: 'true',
  });
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 16 * 1024) stderr += chunk;
  });
  const exited = new Promise<number>((resolve) => {
    child.on('close', (code) => resolve(code ?? -1));
    child.on('error', () => resolve(-1));
  });
  const kill = (): void => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  request.signal?.addEventListener('abort', kill, { once: true });

  // The program may exit before reading all of the body (an error answer): ignore EPIPE then.
  child.stdin.on('error', () => undefined);
  if (request.body) {
    const body = Readable.fromWeb(request.body);
    body.on('error', kill);
    body.pipe(child.stdin);
  } else {
    child.stdin.end();
  }

  const output: AsyncIterator<Buffer> = child.stdout[Symbol.asyncIterator]();
  const head = await readCgiHead(output);
  if (head === undefined) {
    kill();
    const code = await exited;
    const message = `git http-backend ended without an answer (exit status ${code})${stderr ? `: ${stderr.trim()}` : ''}`;
    return { response: new Response(message, { status: 500, headers: { 'content-type': 'text/plain' } }), exited };
  }
  const body = ReadableStream.from(restOf(head.rest, output, kill));
  const response = new Response(request.method === 'HEAD' ? null : body, { status: head.status, headers: head.headers });
  return { response, exited };
}

/** `Content-Encoding` → `HTTP_CONTENT_ENCODING`, as CGI names request headers. */
function cgiName(header: string): string {
  return `HTTP_${header.toUpperCase().replaceAll('-', '_')}`;
}

interface CgiHead {
  readonly status: number;
  readonly headers: Headers;
  /** Body bytes read along with the head. */
  readonly rest: Buffer;
}

async function readCgiHead(output: AsyncIterator<Buffer>): Promise<CgiHead | undefined> {
  let buffered = Buffer.alloc(0);
  for (;;) {
    const end = headEnd(buffered);
    if (end !== undefined) return parseHead(buffered.subarray(0, end.at).toString('latin1'), buffered.subarray(end.at + end.length));
    if (buffered.length > MAX_HEADER_BYTES) return undefined;
    const next = await output.next();
    if (next.done) return undefined;
    buffered = Buffer.concat([buffered, next.value]);
  }
}

function headEnd(buffer: Buffer): { at: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, length: 4 };
  if (lf >= 0) return { at: lf, length: 2 };
  return undefined;
}

function parseHead(text: string, rest: Buffer): CgiHead {
  const headers = new Headers();
  let status = 200;
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers.append(name, value);
  }
  return { status, headers, rest };
}

/** The body after the head; a reader that stops early (a client gone) ends the program. */
async function* restOf(first: Buffer, output: AsyncIterator<Buffer>, kill: () => void): AsyncGenerator<Uint8Array> {
  let finished = false;
  try {
    if (first.length > 0) yield new Uint8Array(first);
    for (;;) {
      const next = await output.next();
      if (next.done) break;
      yield new Uint8Array(next.value);
    }
    finished = true;
  } finally {
    if (!finished) kill();
  }
}
