/**
 * An HTTP request whose body is generated while it is sent (never held whole), chunked unless a
 * Content-Length is given, with the path sent exactly as written (no URL normalisation, so `..`,
 * `//` and `%2F` reach the server). Sending stops as soon as the answer arrives: what a client
 * that respects an early 413 or 401 does. `bytesSent` tells how much of the body left the client.
 */
import net from 'node:net';

export interface StreamingRequest {
  readonly url: string;
  readonly method: string;
  /** Sent as is: not normalised, not percent-encoded. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** How many bytes of body to offer; 0 sends none. */
  readonly bodyBytes: number;
  /** Declare the length instead of sending chunked. */
  readonly declareLength?: boolean;
  /** The bytes to repeat (default: 64 KiB of 'x'). */
  readonly chunk?: Uint8Array;
}

export interface StreamingAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  readonly bytesSent: number;
  /** True when the whole body was sent before the answer came. */
  readonly sentAll: boolean;
}

const DEFAULT_CHUNK = new Uint8Array(64 * 1024).fill(120);

/**
 * Over a plain socket rather than node:http: its client does not surface an answer that arrives
 * while it is still sending, which is exactly the case under test.
 */
export function streamingRequest(request: StreamingRequest): Promise<StreamingAnswer> {
  const target = new URL(request.url);
  const chunk = request.chunk ?? DEFAULT_CHUNK;
  const chunked = !request.declareLength && request.bodyBytes > 0;
  const head = [
    `${request.method} ${request.path} HTTP/1.1`,
    `host: ${target.host}`,
    ...Object.entries(request.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
    ...(chunked ? ['transfer-encoding: chunked'] : [`content-length: ${request.bodyBytes}`]),
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    let bytesSent = 0;
    let received = Buffer.alloc(0);
    let settled = false;
    const socket = net.connect(Number(target.port), target.hostname);
    const finish = (answer: StreamingAnswer | undefined, error?: Error): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (answer) resolve(answer);
      else reject(error ?? new Error('the server closed the connection without an answer'));
    };
    const answer = (closed = false): StreamingAnswer | undefined => {
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const lines = received.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(lines[0]?.split(' ')[1]);
      if (status === 100) {
        received = received.subarray(end + 4);
        return answer(closed);
      }
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
      const body = received.subarray(end + 4);
      const length = headers['content-length'];
      // Without a length (Node's own 400 for a malformed request line) the answer ends with the connection.
      if (length === undefined ? !closed : body.byteLength < Number(length)) return undefined;
      return { status, headers, text: body.subarray(0, length === undefined ? body.byteLength : Number(length)).toString('utf8'), bytesSent, sentAll: bytesSent >= request.bodyBytes };
    };
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      const done = answer();
      if (done) finish(done);
    });
    // The server may close (or reset) the upload once it has answered: only an answer counts.
    socket.on('error', (error) => finish(answer(true), error));
    socket.on('close', () => finish(answer(true)));
    socket.write(`${head}\r\n\r\n`);
    const send = (): void => {
      while (!settled && bytesSent < request.bodyBytes) {
        const piece = chunk.subarray(0, Math.min(chunk.byteLength, request.bodyBytes - bytesSent));
        bytesSent += piece.byteLength;
        // Corked writes frame a chunk without copying it.
        socket.cork();
        if (chunked) socket.write(`${piece.byteLength.toString(16)}\r\n`);
        const room = socket.write(piece);
        if (chunked) socket.write('\r\n');
        socket.uncork();
        if (!room) {
          socket.once('drain', send);
          return;
        }
      }
      if (!settled && chunked) socket.write('0\r\n\r\n');
    };
    send();
  });
}
