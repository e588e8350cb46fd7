/**
 * Reads the output of `export -p` back into a map. Three dialects are met in practice: dash and
 * busybox ash print `export NAME='value'` (a single quote written as `'"'"'` or `'\''`), bash prints
 * `declare -x NAME="value"` (`export NAME="value"` in POSIX mode) and uses `$'…'` for values with
 * control characters. Values may span lines. Names exported without a value are not in the
 * environment of a child process, so they are left out here too.
 */
export function parseExportedEnvironment(text: string): Record<string, string> {
  const reader = new WordReader(text);
  const env: Record<string, string> = {};
  for (;;) {
    reader.skipBlank(true);
    if (reader.atEnd()) return env;
    const keyword = reader.bareWord();
    let isArray = false;
    if (keyword === 'declare' || keyword === 'typeset') {
      reader.skipBlank(false);
      const flags = reader.bareWord();
      isArray = /[aA]/.test(flags);
    } else if (keyword !== 'export') {
      reader.skipLine();
      continue;
    }
    reader.skipBlank(false);
    const name = reader.name();
    if (name !== '' && reader.peek() === '=') {
      reader.advance();
      const value = reader.word();
      if (!isArray) env[name] = value;
    }
    reader.skipLine();
  }
}

const ANSI_C_ESCAPES: Readonly<Record<string, number>> = {
  a: 7, b: 8, e: 27, E: 27, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, "'": 39, '"': 34, '?': 63,
};

class WordReader {
  private i = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean { return this.i >= this.text.length; }
  peek(): string { return this.text.charAt(this.i); }
  advance(): void { this.i += 1; }

  skipBlank(newlines: boolean): void {
    while (!this.atEnd() && (this.peek() === ' ' || this.peek() === '\t' || (newlines && this.peek() === '\n'))) this.i += 1;
  }

  skipLine(): void {
    const end = this.text.indexOf('\n', this.i);
    this.i = end < 0 ? this.text.length : end + 1;
  }

  bareWord(): string {
    const start = this.i;
    while (!this.atEnd() && !/\s/.test(this.peek())) this.i += 1;
    return this.text.slice(start, this.i);
  }

  name(): string {
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.i, this.i + 4096));
    const name = match?.[0] ?? '';
    this.i += name.length;
    return name;
  }

  /** One shell word: quoted and unquoted parts, up to unquoted blank or end of line. */
  word(): string {
    let out = '';
    while (!this.atEnd()) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\n') break;
      if (c === "'") out += this.singleQuoted();
      else if (c === '$' && this.text.charAt(this.i + 1) === "'") out += this.ansiCQuoted();
      else if (c === '"') out += this.doubleQuoted();
      else if (c === '(') { this.skipParenthesised(); }
      else if (c === '\\') { out += this.text.charAt(this.i + 1) === '\n' ? '' : this.text.charAt(this.i + 1); this.i += 2; }
      else { out += c; this.i += 1; }
    }
    return out;
  }

  private singleQuoted(): string {
    const end = this.text.indexOf("'", this.i + 1);
    const stop = end < 0 ? this.text.length : end;
    const value = this.text.slice(this.i + 1, stop);
    this.i = stop + 1;
    return value;
  }

  private doubleQuoted(): string {
    let out = '';
    this.i += 1;
    while (!this.atEnd() && this.peek() !== '"') {
      const c = this.peek();
      const next = this.text.charAt(this.i + 1);
      if (c === '\\' && (next === '$' || next === '`' || next === '"' || next === '\\' || next === '\n')) {
        if (next !== '\n') out += next;
        this.i += 2;
      } else {
        out += c;
        this.i += 1;
      }
    }
    this.i += 1;
    return out;
  }

  /** bash's `$'…'`: escapes decode to bytes, which together are UTF-8. */
  private ansiCQuoted(): string {
    const bytes: number[] = [];
    const pushText = (s: string): void => { for (const b of Buffer.from(s, 'utf8')) bytes.push(b); };
    this.i += 2;
    while (!this.atEnd() && this.peek() !== "'") {
      const c = this.peek();
      if (c !== '\\') { pushText(c); this.i += 1; continue; }
      const e = this.text.charAt(this.i + 1);
      this.i += 2;
      const simple = ANSI_C_ESCAPES[e];
      if (simple !== undefined) bytes.push(simple);
      else if (/[0-7]/.test(e)) bytes.push(this.number(e, /^[0-7]{0,2}/, 8) & 0xff);
      else if (e === 'x') bytes.push(this.number('', /^[0-9A-Fa-f]{1,2}/, 16));
      else if (e === 'u' || e === 'U') pushText(String.fromCodePoint(this.number('', e === 'u' ? /^[0-9A-Fa-f]{1,4}/ : /^[0-9A-Fa-f]{1,8}/, 16)));
      else if (e === 'c') { bytes.push(this.text.charCodeAt(this.i) & 0x1f); this.i += 1; }
      else pushText(`\\${e}`);
    }
    this.i += 1;
    return Buffer.from(bytes).toString('utf8');
  }

  private number(first: string, more: RegExp, radix: number): number {
    const digits = first + (more.exec(this.text.slice(this.i, this.i + 8))?.[0] ?? '');
    this.i += digits.length - first.length;
    return digits === '' ? 0 : parseInt(digits, radix);
  }

  /** A bash array value `(…)`, which is not part of a child's environment: skipped. */
  private skipParenthesised(): void {
    let depth = 0;
    while (!this.atEnd()) {
      const c = this.peek();
      if (c === "'") { this.singleQuoted(); continue; }
      if (c === '"') { this.doubleQuoted(); continue; }
      if (c === '\\') { this.i += 2; continue; }
      this.i += 1;
      if (c === '(') depth += 1;
      else if (c === ')' && --depth === 0) return;
    }
  }
}
