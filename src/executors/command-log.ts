/**
 * The build log: CodeBuild-style `[Container]` lines from the runner and the commands' own output,
 * split into whole lines and masked before anything leaves the runner. Secrets are replaced by
 * `***` as exact strings (reference §1.4). A line longer than 64 KiB is written in pieces, and the
 * last (longest secret − 1) characters always wait for the next piece, so a secret is never split
 * across two writes (finding 9). The log has a size limit (finding 11): past it, command output
 * is dropped and one line says so; the build goes on, as CodeBuild never fails a build for its log.
 */
import { isUtf8 } from 'node:buffer';
import { DEFAULT_LOG_LIMIT_BYTES, RUNNER_LOG_SLACK_BYTES } from '../core/log-limits.js';

/** Where log text goes. `text` is always one or more whole lines, each ending in `\n`. */
export interface LogSink {
  write(text: string): void;
  /**
   * The same as `write(bytes.toString('utf8'))`, for a sink that can take the bytes as they are
   * (a file, a terminal): `bytes` are whole lines of valid UTF-8 with no secret in them. Command
   * output takes this way when it can, so that it is neither decoded nor encoded again.
   */
  writeBytes?(bytes: Buffer): void;
}

/** Bytes of a line with no end kept before it goes out in pieces. */
const MAX_PARTIAL_LINE = 64 * 1024;

export function logTruncatedLine(limitBytes: number): string {
  return `[nagare] log truncated: the build's log passed ${formatBytes(limitBytes)}; later output is not kept`;
}

function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}

export class Masker {
  private readonly secrets: string[];
  /** The secrets in UTF-8: in valid UTF-8, a secret's bytes occur exactly where its text does. */
  private readonly secretBytes: Buffer[];
  /** Length of the longest secret, in UTF-16 code units (as the log's text is held). */
  readonly longest: number;

  constructor(secrets: Iterable<string>) {
    const all = new Set<string>();
    for (const secret of secrets) {
      if (secret.length === 0) continue;
      all.add(secret);
      // A multi-line secret is masked line by line too, since the log is masked per line.
      for (const line of secret.split(/\r?\n/)) if (line.length > 0) all.add(line);
    }
    this.secrets = [...all];
    this.secretBytes = this.secrets.map((secret) => Buffer.from(secret));
    this.longest = this.secrets.reduce((max, secret) => Math.max(max, secret.length), 0);
  }

  get size(): number {
    return this.secrets.length;
  }

  /** Whether any secret occurs anywhere in `text`: one scan per secret, no allocation. */
  occursIn(text: string): boolean {
    return this.secrets.some((secret) => text.includes(secret));
  }

  /** Whether any secret's UTF-8 bytes occur in `bytes` (a lone surrogate in a secret only ever finds too much). */
  occursInBytes(bytes: Buffer): boolean {
    return this.secretBytes.some((secret) => bytes.includes(secret));
  }

  /**
   * Every character that belongs to an occurrence of any secret is hidden, and each run of hidden
   * characters becomes one `***`: secrets that overlap, or that are prefixes or suffixes of one
   * another, leave nothing of themselves behind whatever order they are found in.
   */
  mask(text: string): string {
    const runs = this.runs(text);
    if (runs.length === 0) return text;
    let out = '';
    let at = 0;
    for (const [start, end] of runs) {
      out += text.slice(at, start) + '***';
      at = end;
    }
    return out + text.slice(at);
  }

  /** Where secrets occur in `text`: sorted, merged `[start, end)` runs. */
  runs(text: string): [number, number][] {
    const found: [number, number][] = [];
    for (const secret of this.secrets) {
      for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) found.push([at, at + secret.length]);
    }
    if (found.length === 0) return found;
    found.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const run of found) {
      const last = merged.at(-1);
      if (last && run[0] <= last[1]) last[1] = Math.max(last[1], run[1]);
      else merged.push([run[0], run[1]]);
    }
    return merged;
  }

  /**
   * Where a long line may be cut so that no secret is split: at most `text.length − (longest − 1)`,
   * never inside a secret (nor between the halves of a surrogate pair). 0 when nothing may go yet.
   */
  safeCut(text: string): number {
    let cut = text.length - Math.max(0, this.longest - 1);
    if (cut <= 0) return 0;
    for (const [start, end] of this.runs(text)) {
      // A secret across the cut stays whole in the part kept back; one filling the line goes now.
      if (start < cut && cut < end) cut = start > 0 ? start : end;
    }
    if (cut < text.length && isHighSurrogate(text.charCodeAt(cut - 1))) cut -= 1;
    return cut;
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Formats `[Container] YYYY/MM/DD HH:MM:SS.mmm message` as CodeBuild does (UTC). */
export function containerLine(at: number, message: string): string {
  const d = new Date(at);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const stamp = `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
  return `[Container] ${stamp} ${message}`;
}

export class BuildLog {
  /** Output after the last line break, as bytes: a line break never falls inside a UTF-8 character. */
  private partial: Buffer = Buffer.alloc(0);
  private bytes = 0;
  private truncated = false;

  constructor(
    private readonly sink: LogSink,
    private masker: Masker,
    private readonly clock: () => number,
    /** Bytes of log kept per build (finding 11). */
    private readonly limitBytes = DEFAULT_LOG_LIMIT_BYTES,
  ) {}

  /** Secrets become known during DOWNLOAD_SOURCE; from then on they are masked. */
  setMasker(masker: Masker): void {
    this.masker = masker;
  }

  /** Masks a string bound for outside the build (a record field, a report, an artifact name). */
  mask(text: string): string {
    return this.masker.mask(text);
  }

  get bytesWritten(): number {
    return this.bytes;
  }

  /** Whether output was dropped because the log reached its limit. */
  get wasTruncated(): boolean {
    return this.truncated;
  }

  /** A runner message, in CodeBuild's `[Container]` shape. */
  system(message: string): void {
    this.flushOutput();
    const text = message.split('\n').map((line) => containerLine(this.clock(), this.masker.mask(line))).join('\n') + '\n';
    this.emit(text, this.limitBytes + RUNNER_LOG_SLACK_BYTES);
  }

  /**
   * Raw command output as it arrives; whole lines are written at once, the rest waits. Lines are
   * cut from the bytes (a `\n` byte is always a line break in UTF-8), and whole lines of valid
   * UTF-8 with no secret in them go to the sink as bytes: the common case costs one scan per
   * secret and one validation, instead of a decode, a copy and an encode per sink.
   */
  output(chunk: Buffer): void {
    if (this.truncated) return;
    let data = chunk;
    if (this.partial.length > 0) {
      // The line begun in an earlier chunk is completed on its own: the rest of the chunk is not copied.
      const firstNewline = chunk.indexOf(10);
      if (firstNewline === -1) {
        this.partial = Buffer.concat([this.partial, chunk]);
        if (this.partial.length > MAX_PARTIAL_LINE) this.flushLongLine();
        return;
      }
      const line = Buffer.concat([this.partial, chunk.subarray(0, firstNewline + 1)]);
      this.partial = Buffer.alloc(0);
      this.emitLines(line);
      if (this.truncated) return;
      data = chunk.subarray(firstNewline + 1);
    }
    const lastNewline = data.lastIndexOf(10);
    if (lastNewline === -1) {
      this.partial = data;
    } else {
      // A short rest is copied, so that it does not hold on to the whole chunk.
      this.partial = Buffer.from(data.subarray(lastNewline + 1));
      this.emitLines(data.subarray(0, lastNewline + 1));
    }
    if (this.partial.length > MAX_PARTIAL_LINE) this.flushLongLine();
  }

  /** Writes what is left of the current command's output (called when a command ends). */
  flushOutput(): void {
    // An incomplete character at the end becomes U+FFFD, as a string decoder's end() gives.
    const rest = this.partial.toString('utf8');
    this.partial = Buffer.alloc(0);
    if (rest.length > 0 && !this.truncated) this.emit(this.maskLines(rest + '\n'), this.limitBytes);
  }

  private emitLines(lines: Buffer): void {
    if ((this.masker.size === 0 || !this.masker.occursInBytes(lines)) && isUtf8(lines)) this.emit(lines, this.limitBytes);
    else this.emit(this.maskLines(lines.toString('utf8')), this.limitBytes);
  }

  /** A line with no end in sight goes out in pieces, keeping back what could start a secret. */
  private flushLongLine(): void {
    // The whole characters go to the masker; the bytes of one cut short wait for the rest.
    const whole = this.partial.length - incompleteCharacterLength(this.partial);
    const text = this.partial.subarray(0, whole).toString('utf8');
    const held = this.partial.subarray(whole);
    let cut = this.masker.safeCut(text);
    // Only a secret of 64 KiB or more holds everything back; memory still has a bound.
    if (cut === 0 && this.partial.length > 16 * MAX_PARTIAL_LINE) cut = text.length;
    if (cut === 0) return;
    this.partial = Buffer.concat([Buffer.from(text.slice(cut)), held]);
    this.emit(this.masker.mask(text.slice(0, cut)) + '\n', this.limitBytes);
  }

  private maskLines(text: string): string {
    // The common case, output with no secret in it, is scanned once and passed on as it is.
    if (this.masker.size === 0 || !this.masker.occursIn(text)) return text;
    // Masking each line keeps a secret from matching across a line break it does not contain.
    return text.split('\n').map((line) => this.masker.mask(line)).join('\n');
  }

  /**
   * Writes unless the log would pass `limit`; the first refusal writes the marker line instead.
   * Bytes are whole lines of valid UTF-8 with no secret (see `output`).
   */
  private emit(text: string | Buffer, limit: number): void {
    let size = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
    if (this.bytes + size > limit) {
      if (this.truncated) return;
      this.truncated = true;
      this.partial = Buffer.alloc(0);
      text = logTruncatedLine(this.limitBytes) + '\n';
      size = Buffer.byteLength(text);
      if (this.bytes + size > limit + RUNNER_LOG_SLACK_BYTES) return;
    }
    this.bytes += size;
    if (typeof text === 'string') this.sink.write(text);
    else if (this.sink.writeBytes) this.sink.writeBytes(text);
    else this.sink.write(text.toString('utf8'));
  }
}

/**
 * How many bytes at the end of `bytes` begin a UTF-8 character that is not complete yet (0–3):
 * the bytes a streaming decoder would hold back for the next chunk.
 */
function incompleteCharacterLength(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back += 1) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const needs = (byte & 0xe0) === 0xc0 ? 2 : (byte & 0xf0) === 0xe0 ? 3 : (byte & 0xf8) === 0xf0 ? 4 : 1;
    return needs > back ? back : 0;
  }
  return 0;
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
