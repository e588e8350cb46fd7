/**
 * The build log: CodeBuild-style `[Container]` lines from the runner and the commands' own output,
 * split into whole lines and masked before anything leaves the runner. Secrets are replaced by
 * `***` as exact strings (reference §1.4), line by line, so a secret is never split across writes.
 */
import { StringDecoder } from 'node:string_decoder';

/** Where log text goes. `text` is always one or more whole lines, each ending in `\n`. */
export interface LogSink {
  write(text: string): void;
}

const MAX_PARTIAL_LINE = 64 * 1024;

export class Masker {
  private readonly secrets: string[];

  constructor(secrets: Iterable<string>) {
    const all = new Set<string>();
    for (const secret of secrets) {
      if (secret.length === 0) continue;
      all.add(secret);
      // A multi-line secret is masked line by line too, since the log is masked per line.
      for (const line of secret.split(/\r?\n/)) if (line.length > 0) all.add(line);
    }
    // Longest first, so a secret containing another is replaced whole.
    this.secrets = [...all].sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.secrets.length;
  }

  mask(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.replaceAll(secret, '***');
    return out;
  }
}

/** Formats `[Container] YYYY/MM/DD HH:MM:SS.mmm message` as CodeBuild does (UTC). */
export function containerLine(at: number, message: string): string {
  const d = new Date(at);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const stamp = `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
  return `[Container] ${stamp} ${message}`;
}

export class BuildLog {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private bytes = 0;

  constructor(
    private readonly sink: LogSink,
    private masker: Masker,
    private readonly clock: () => number,
  ) {}

  /** Secrets become known during DOWNLOAD_SOURCE; from then on they are masked. */
  setMasker(masker: Masker): void {
    this.masker = masker;
  }

  get bytesWritten(): number {
    return this.bytes;
  }

  /** A runner message, in CodeBuild's `[Container]` shape. */
  system(message: string): void {
    this.flushOutput();
    this.emit(message.split('\n').map((line) => containerLine(this.clock(), this.masker.mask(line))).join('\n') + '\n');
  }

  /** Raw command output as it arrives; whole lines are written at once, the rest waits. */
  output(chunk: Buffer): void {
    const text = this.partial + this.decoder.write(chunk);
    const lastNewline = text.lastIndexOf('\n');
    if (lastNewline === -1) {
      this.partial = text;
      if (this.partial.length > MAX_PARTIAL_LINE) this.flushOutput();
      return;
    }
    this.partial = text.slice(lastNewline + 1);
    this.emit(this.maskLines(text.slice(0, lastNewline + 1)));
  }

  /** Writes what is left of the current command's output (called when a command ends). */
  flushOutput(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest.length > 0) this.emit(this.maskLines(rest + '\n'));
  }

  private maskLines(text: string): string {
    if (this.masker.size === 0) return text;
    // Masking each line keeps a secret from matching across a line break it does not contain.
    return text.split('\n').map((line) => this.masker.mask(line)).join('\n');
  }

  private emit(text: string): void {
    this.bytes += Buffer.byteLength(text);
    this.sink.write(text);
  }
}

/** Keeps the last `limit` bytes of a command's output, for RETRY matching (decision 1). */
export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = 64 * 1024) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - (this.chunks[0]?.length ?? 0) >= this.limit) {
      this.size -= this.chunks.shift()?.length ?? 0;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('utf8');
  }

  clear(): void {
    this.chunks = [];
    this.size = 0;
  }
}
