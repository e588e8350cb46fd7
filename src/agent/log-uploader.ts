/**
 * The build log on its way to the server: a `LogSink` that batches output into ordered chunks
 * (sealed every `flushMs` or at `chunkBytes`, never above the protocol's 1 MiB) and sends them one
 * after another, each with retries, idempotent by sequence number.
 *
 * Nothing is dropped. The runner's sink is synchronous, so output cannot be held back; instead at
 * most `maxQueuedBytes` wait in memory and the rest goes to a spool file (in the build's work
 * directory) that is read back in order. A lost lease ends the upload: the server has already
 * ended the build and will take no more of its log. A stopped build drops its backlog but for a
 * short tail (`dropBacklog`, finding 11), so a stop does not wait for gigabytes to be sent.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { LogSink } from '../executors/command-log.js';
import { AgentApiError, isLeaseExpired, type AgentClient } from '../client/agent-client.js';
import type { AgentLogger } from './agent-logger.js';

export const MAX_CHUNK_BYTES = 1024 * 1024;

/** What a stopped build still sends of its unsent log: its last lines, up to this much. */
export const STOPPED_LOG_TAIL_BYTES = 64 * 1024;

export interface LogUploaderOptions {
  readonly client: AgentClient;
  readonly buildId: string;
  /** File used when more than `maxQueuedBytes` wait to be sent. */
  readonly spoolFile: string;
  readonly logger: AgentLogger;
  readonly flushMs?: number;
  readonly chunkBytes?: number;
  readonly maxQueuedBytes?: number;
  /** First sequence number (0 for a fresh build). */
  readonly firstSequence?: number;
}

type Pending = { readonly sequence: number; readonly data: Buffer } | { readonly sequence: number; readonly offset: number; readonly length: number };

export class LogUploader implements LogSink {
  private current: Buffer[] = [];
  private currentBytes = 0;
  private readonly queue: Pending[] = [];
  private queuedInMemory = 0;
  private nextSequence: number;
  private timer: NodeJS.Timeout | undefined;
  private spool: { fd: number; size: number } | undefined;
  private sending: Promise<void> | undefined;
  private abandoned = false;
  /** The server refused a chunk for good (its log limit, a gap): the log has a hole from there. */
  private refused = false;
  private readonly flushMs: number;
  private readonly chunkBytes: number;
  private readonly maxQueuedBytes: number;
  /** Bytes the server has acknowledged. */
  sentBytes = 0;

  constructor(private readonly options: LogUploaderOptions) {
    this.flushMs = options.flushMs ?? 200;
    this.chunkBytes = Math.min(options.chunkBytes ?? 256 * 1024, MAX_CHUNK_BYTES);
    this.maxQueuedBytes = options.maxQueuedBytes ?? 16 * 1024 * 1024;
    this.nextSequence = options.firstSequence ?? 0;
  }

  /** Whether the server refused the log because the lease is gone. */
  get leaseLost(): boolean {
    return this.abandoned;
  }

  write(text: string): void {
    if (this.abandoned) return;
    let data = Buffer.from(text);
    while (data.length > 0) {
      const room = this.chunkBytes - this.currentBytes;
      const piece = data.subarray(0, room);
      this.current.push(piece);
      this.currentBytes += piece.length;
      data = data.subarray(piece.length);
      if (this.currentBytes >= this.chunkBytes) this.seal();
    }
    if (this.currentBytes > 0) this.timer ??= setTimeout(() => this.seal(), this.flushMs);
  }

  /** Sends everything written so far; resolves when the server has it (or the lease is gone). */
  async drain(): Promise<void> {
    this.seal();
    while (this.sending) await this.sending;
  }

  /**
   * Sends everything written so far but the last unsealed piece, when it is at most `maxTailBytes`:
   * that piece is handed back with its sequence number for `complete` to carry (protocol version
   * 2), saving a call per build. Undefined when everything went (or the lease is gone). Nothing
   * may be written after.
   */
  async finish(maxTailBytes: number): Promise<{ sequence: number; data: Buffer } | undefined> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.sending) await this.sending;
    if (this.abandoned || this.currentBytes === 0) return undefined;
    // After a refused chunk the server expects that chunk again, so a tail carried by `complete`
    // would be a gap and fail the result with it: it goes on its own (and is refused in turn).
    if (this.currentBytes > maxTailBytes || this.refused) {
      await this.drain();
      return undefined;
    }
    const data = Buffer.concat(this.current, this.currentBytes);
    this.current = [];
    this.currentBytes = 0;
    return { sequence: this.nextSequence++, data };
  }

  /** Stops sending and frees the spool file; what was not sent is abandoned. */
  close(): void {
    this.abandoned = true;
    clearTimeout(this.timer);
    this.queue.length = 0;
    if (this.spool) closeSync(this.spool.fd);
    this.spool = undefined;
  }

  /**
   * Forgets the log not yet sent but for its last `keepBytes` (from a line start), replaced by one
   * line saying how much was dropped; the chunk being sent, if any, still goes. Later writes are
   * sent as usual. Called when the build is stopped.
   */
  dropBacklog(keepBytes = STOPPED_LOG_TAIL_BYTES): void {
    this.seal();
    if (this.abandoned) return;
    const kept = this.sending ? 1 : 0;
    const dropped = this.queue.slice(kept);
    const droppedBytes = dropped.reduce((sum, entry) => sum + sizeOf(entry), 0);
    const first = dropped[0];
    if (!first || droppedBytes <= keepBytes) return;
    const tail = this.tailOf(dropped, keepBytes);
    this.queue.length = kept;
    this.queuedInMemory = this.queue.reduce((sum, entry) => sum + ('data' in entry ? entry.data.length : 0), 0);
    // Nothing after the chunk in flight reached the server, so its sequence numbers are free again.
    this.nextSequence = first.sequence;
    this.options.logger.info(`log of ${this.options.buildId}: ${droppedBytes - tail.length} unsent bytes dropped, the build was stopped`);
    this.write(`[nagare] ${droppedBytes - tail.length} bytes of log were not sent: the build was stopped\n`);
    this.current.push(tail);
    this.currentBytes += tail.length;
    this.seal();
  }

  private seal(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.currentBytes === 0 || this.abandoned) return;
    const data = Buffer.concat(this.current, this.currentBytes);
    this.current = [];
    this.currentBytes = 0;
    for (let at = 0; at < data.length; at += this.chunkBytes) this.enqueue(data.subarray(at, at + this.chunkBytes));
  }

  private enqueue(data: Buffer): void {
    const sequence = this.nextSequence++;
    if (this.queuedInMemory + data.length <= this.maxQueuedBytes && !this.spool) {
      this.queue.push({ sequence, data });
      this.queuedInMemory += data.length;
    } else {
      this.spool ??= { fd: openSync(this.options.spoolFile, 'w+', 0o600), size: 0 };
      writeSync(this.spool.fd, data, 0, data.length, this.spool.size);
      this.queue.push({ sequence, offset: this.spool.size, length: data.length });
      this.spool.size += data.length;
    }
    this.sending ??= this.sendAll().finally(() => {
      this.sending = undefined;
    });
  }

  private async sendAll(): Promise<void> {
    for (;;) {
      const next = this.queue[0];
      if (!next || this.abandoned) return;
      const data = 'data' in next ? next.data : this.readSpool(next.offset, next.length);
      try {
        await this.options.client.appendLog(this.options.buildId, next.sequence, data);
        this.sentBytes += data.length;
      } catch (error) {
        if (isLeaseExpired(error)) {
          this.options.logger.warn(`log of ${this.options.buildId} refused: the lease is gone`);
          this.close();
          return;
        }
        if (!(error instanceof AgentApiError)) {
          // The agent is shutting down (its client was aborted).
          this.close();
          return;
        }
        // Anything else final (a gap, a refused chunk) would repeat forever: report it and go on.
        this.refused = true;
        const reason = `${error.code}: ${error.message}`;
        this.options.logger.error(`log chunk ${next.sequence} of ${this.options.buildId} was not stored (${reason})`);
      }
      this.queue.shift();
      if ('data' in next) this.queuedInMemory -= next.data.length;
      if (this.queue.length === 0 && this.spool) {
        // Back to memory once the spooled backlog is gone.
        closeSync(this.spool.fd);
        this.spool = undefined;
      }
    }
  }

  /** The last `keepBytes` of these entries, starting after a line break when there is one. */
  private tailOf(entries: readonly Pending[], keepBytes: number): Buffer {
    const parts: Buffer[] = [];
    let size = 0;
    for (let index = entries.length - 1; index >= 0 && size < keepBytes; index -= 1) {
      const entry = entries[index];
      if (!entry) break;
      const data = 'data' in entry ? entry.data : this.readSpool(entry.offset, entry.length);
      parts.unshift(data);
      size += data.length;
    }
    const all = Buffer.concat(parts, size);
    const tail = all.subarray(Math.max(0, all.length - keepBytes));
    const lineStart = tail.indexOf(0x0a);
    return lineStart === -1 || lineStart === tail.length - 1 ? tail : tail.subarray(lineStart + 1);
  }

  private readSpool(offset: number, length: number): Buffer {
    const buffer = Buffer.alloc(length);
    if (this.spool) readSync(this.spool.fd, buffer, 0, length, offset);
    return buffer;
  }
}

function sizeOf(entry: Pending): number {
  return 'data' in entry ? entry.data.length : entry.length;
}
