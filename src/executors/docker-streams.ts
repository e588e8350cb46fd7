/**
 * Small helpers over the Docker Engine's exec API: the multiplexed stream format of a non-TTY
 * attach (8-byte header: stream type, three zero bytes, big-endian payload length), and running
 * a short command in a container to completion.
 */
import type { Duplex } from 'node:stream';
import type { ContainerRef, DockerEngine } from './docker-engine.js';

/** Splits a multiplexed attach stream into payloads, in order, whatever the stream (stdout or stderr). */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly onPayload: (payload: Buffer) => void) {}

  feed(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 8) {
      const size = this.buffered.readUInt32BE(4);
      if (this.buffered.length < 8 + size) return;
      const payload = this.buffered.subarray(8, 8 + size);
      this.buffered = this.buffered.subarray(8 + size);
      if (payload.length > 0) this.onPayload(payload);
    }
  }
}

/** Resolves when a stream has ended or closed (whichever comes first). */
export function streamFinished(stream: Duplex): Promise<void> {
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

/** The exit code of a finished exec; Docker may need a moment after the stream ends to record it. */
export async function execExitCode(engine: DockerEngine, execId: string): Promise<number | null> {
  for (let attempt = 0; attempt < 40; attempt += 1) {
    const info = await engine.inspectExec(execId);
    if (!info.Running) return info.ExitCode;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return null;
}

/** Runs `cmd` in the container to completion and returns its status and merged output. */
export async function runToCompletion(container: ContainerRef, cmd: readonly string[], user: string): Promise<{ exitCode: number | null; output: string }> {
  const execId = await container.engine.createExec(container.id, { Cmd: cmd, User: user, AttachStdout: true, AttachStderr: true, Tty: false });
  const stream = await container.engine.startExec(execId);
  const chunks: Buffer[] = [];
  const frames = new FrameReader((payload) => chunks.push(Buffer.from(payload)));
  stream.on('data', (chunk: Buffer) => frames.feed(chunk));
  await streamFinished(stream);
  return { exitCode: await execExitCode(container.engine, execId), output: Buffer.concat(chunks).toString() };
}
