/**
 * Reads a parsed YAML document field by field, collecting every problem with its file, line,
 * column and key path instead of stopping at the first. Scalars are read with the YAML failsafe
 * schema, so every scalar arrives as the text that was written (`8080`, `yes`, `3.10`); the
 * buildspec readers decide what a boolean or a version is, the way CodeBuild does.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, visit, type Alias, type Document, type YAMLError } from 'yaml';
import { NagareError, SpecErrors, type ErrorCode, type SourcePosition } from '../core/errors.js';
import { didYouMean } from './did-you-mean.js';

/** One `key: value` of a YAML map, with the alias in `value` already resolved. */
export interface Field {
  readonly key: string;
  readonly keyNode: unknown;
  /** undefined when the value is YAML null (`key:`, `key: ~`, `key: null`). */
  readonly value: unknown;
  /** The value as written (possibly an alias), for positions. */
  readonly valueNode: unknown;
  readonly path: string;
}

/** One scalar item of a list, as written. */
export interface ListItem {
  readonly text: string;
  readonly node: unknown;
  readonly path: string;
}

const NULL_TEXTS = new Set(['', '~', 'null', 'Null', 'NULL']);
const BOOLEAN_TEXTS = new Map([
  ['yes', true], ['true', true], ['on', true],
  ['no', false], ['false', false], ['off', false],
]);
const MAX_MERGE_DEPTH = 8;

/** A problem CodeBuild lets pass (an unknown top-level key): reported, never refused. */
export interface SpecWarning {
  readonly code: 'SPEC_UNKNOWN_KEY';
  readonly message: string;
  readonly position: SourcePosition;
}

export class SpecReader {
  readonly errors: NagareError[] = [];
  readonly warnings: SpecWarning[] = [];
  private readonly aliasTargets = new Map<Alias, unknown>();

  constructor(
    readonly file: string,
    readonly source: string,
    private readonly document: Document.Parsed,
    private readonly lineCounter: LineCounter,
    /** What the file is, for messages: `buildspec`, `pipeline definition`. */
    private readonly kind = 'buildspec',
  ) {
    this.checkTagsAndAliases();
  }

  /** The position of a node (or of `fallback` when the node has no source range). */
  positionOf(node: unknown, path: string, fallback?: unknown): SourcePosition {
    const offset = rangeStart(node) ?? rangeStart(fallback) ?? 0;
    const { line, col } = this.lineCounter.linePos(offset);
    return { file: this.file, line, column: col, path };
  }

  report(code: ErrorCode, message: string, node: unknown, path: string, details?: Record<string, unknown>): void {
    const position = this.positionOf(node, path);
    this.errors.push(new NagareError(code, message, { position, ...(details ? { details } : {}) }));
  }

  /** Resolves an alias to its anchored node; null-like scalars become undefined. */
  resolve(node: unknown): unknown {
    const target = isAlias(node) ? this.aliasTargets.get(node) : node;
    return isNullNode(target) ? undefined : target;
  }

  /** The fields of a map, merge keys (`<<: *defaults`) applied; reports and returns undefined if not a map. */
  fields(node: unknown, path: string, what: string, at?: unknown): Field[] | undefined {
    const map = this.resolve(node);
    if (map === undefined) return [];
    if (!isMap(map)) {
      this.report('SPEC_INVALID_TYPE', `${what} must be a map of \`key: value\` lines, not ${describe(map)}.`, node ?? at, path);
      return undefined;
    }
    return this.mapFields(map, path, 0);
  }

  /** Reports an unknown key, suggesting the closest allowed one. */
  unknownKey(field: Field, allowed: readonly string[], where: string): void {
    this.report(
      'SPEC_UNKNOWN_KEY',
      `Unknown key \`${field.key}\` in ${where}.${didYouMean(field.key, allowed)} Allowed keys: ${allowed.join(', ')}.`,
      field.keyNode, field.path, { key: field.key },
    );
  }

  /**
   * An unknown key where CodeBuild ignores it (the top level, `env`): a warning with the same
   * hint, so a misspelt key is still pointed out while a file made for more than CodeBuild runs.
   */
  unknownKeyWarning(field: Field, allowed: readonly string[], where: string): void {
    this.warnings.push({
      code: 'SPEC_UNKNOWN_KEY',
      message: `Unknown key \`${field.key}\` in ${where} is ignored, as CodeBuild ignores it.${didYouMean(field.key, allowed)} Allowed keys: ${allowed.join(', ')}.`,
      position: this.positionOf(field.keyNode, field.path),
    });
  }

  /** A scalar as written; numbers and booleans stay their source text. */
  text(field: Field, what: string): string | undefined {
    if (field.value === undefined) return undefined;
    return this.scalarText(field.value, field.valueNode, field.path, what);
  }

  scalarText(value: unknown, node: unknown, path: string, what: string): string | undefined {
    if (isScalar(value)) return String(value.value);
    this.report('SPEC_INVALID_TYPE', `${what} must be a single value, not ${describe(value)}.`, node, path);
    return undefined;
  }

  /** YAML 1.1 booleans as CodeBuild reads them: yes/no, true/false, on/off, any case. */
  boolean(field: Field, what: string): boolean | undefined {
    const text = this.text(field, what);
    if (text === undefined) return undefined;
    const value = BOOLEAN_TEXTS.get(text.toLowerCase());
    if (value === undefined) {
      this.report('SPEC_INVALID_VALUE', `${what} must be yes or no (also true/false, on/off), not \`${text}\`.`, field.valueNode, field.path);
    }
    return value;
  }

  /** A list of scalars; with `scalarAllowed`, one scalar is read as a list of one. */
  textList(field: Field, what: string, options: { scalarAllowed: boolean }): string[] | undefined {
    return this.textItems(field, what, options)?.map((item) => item.text);
  }

  /** Like textList, keeping each item's node and path for later checks. */
  textItems(field: Field, what: string, options: { scalarAllowed: boolean }): ListItem[] | undefined {
    const list = field.value;
    if (list === undefined) return undefined;
    if (isScalar(list) && options.scalarAllowed) return [{ text: String(list.value), node: field.valueNode, path: field.path }];
    if (!isSeq(list)) {
      const hint = isScalar(list) ? ` Write it as a list: \`- ${String(list.value)}\` on its own line.` : '';
      this.report('SPEC_INVALID_TYPE', `${what} must be a list${options.scalarAllowed ? ' or a single value' : ''}, not ${describe(list)}.${hint}`, field.valueNode, field.path);
      return undefined;
    }
    const items: ListItem[] = [];
    list.items.forEach((itemNode, index) => {
      const item = this.resolve(itemNode);
      const path = `${field.path}[${index}]`;
      if (item === undefined) {
        this.report('SPEC_INVALID_VALUE', `${what} has an empty item; remove the \`-\` line or give it a value.`, itemNode ?? list, path);
      } else {
        const text = this.scalarText(item, itemNode, path, `Each item of ${what}`);
        if (text !== undefined) items.push({ text, node: itemNode, path });
      }
    });
    return items;
  }

  /** The source text of a node, for hints that quote what the user wrote. */
  sourceOf(node: unknown): string {
    const range = (node as { range?: readonly number[] } | null)?.range;
    if (!range || range[0] === undefined || range[1] === undefined) return '';
    return this.source.slice(range[0], range[1]).trim();
  }

  /** Where a tag is written, just before its node on the same line; the node itself otherwise. */
  private tagOffset(node: unknown, tag: string): unknown {
    const start = rangeStart(node);
    if (start === undefined) return node;
    const lineStart = this.source.lastIndexOf('\n', start - 1) + 1;
    const offset = this.source.lastIndexOf(tag, start);
    return offset >= lineStart ? { range: [offset] } : node;
  }

  private mapFields(map: unknown, path: string, depth: number): Field[] {
    if (!isMap(map)) return [];
    const explicit: Field[] = [];
    const merged: Field[] = [];
    for (const pair of map.items) {
      const keyNode = pair.key;
      if (!isScalar(keyNode)) {
        this.report('SPEC_INVALID_TYPE', `Keys must be plain names, not ${describe(this.resolve(keyNode))}.`, keyNode ?? pair.value ?? map, path);
        continue;
      }
      const key = String(keyNode.value);
      if (key === '<<' && keyNode.type === 'PLAIN' && depth < MAX_MERGE_DEPTH) {
        merged.push(...this.mergeFields(pair.value, path, depth));
        continue;
      }
      const fieldPath = path === '' ? key : `${path}.${key}`;
      explicit.push({ key, keyNode, value: this.resolve(pair.value), valueNode: pair.value ?? keyNode, path: fieldPath });
    }
    const seen = new Set(explicit.map((field) => field.key));
    for (const field of merged) {
      if (seen.has(field.key)) continue;
      seen.add(field.key);
      explicit.push(field);
    }
    return explicit;
  }

  private mergeFields(node: unknown, path: string, depth: number): Field[] {
    const value = this.resolve(node);
    const sources = isSeq(value) ? value.items.map((item) => this.resolve(item)) : [value];
    const fields: Field[] = [];
    for (const source of sources) {
      if (!isMap(source)) {
        this.report('SPEC_INVALID_TYPE', `A merge key \`<<\` must refer to a map (\`<<: *anchor\`), not ${describe(source)}.`, node, path);
        continue;
      }
      fields.push(...this.mapFields(source, path, depth + 1));
    }
    return fields;
  }

  private checkTagsAndAliases(): void {
    const anchors = new Map<string, unknown>();
    visit(this.document, {
      Node: (_key, node) => {
        if (isAlias(node)) {
          const target = anchors.get(node.source);
          if (target === undefined) {
            this.report('SPEC_YAML_SYNTAX', `The alias \`*${node.source}\` refers to no anchor \`&${node.source}\` defined before it.`, node, '');
          }
          this.aliasTargets.set(node, target);
          return;
        }
        if (node.anchor) anchors.set(node.anchor, node);
        if (node.tag && !node.tag.startsWith('tag:yaml.org,2002:')) {
          this.report('SPEC_YAML_SYNTAX', `The YAML tag \`${node.tag}\` is not understood in ${/^[aeiou]/.test(this.kind) ? 'an' : 'a'} ${this.kind} (it is not CloudFormation); remove it.`, this.tagOffset(node, node.tag), '');
        }
      },
    });
  }
}

export function isNullNode(node: unknown): boolean {
  if (node === null || node === undefined) return true;
  return isScalar(node) && node.type === 'PLAIN' && node.tag === undefined && NULL_TEXTS.has(String(node.value));
}

/** `a map`, `a list`, `the value \`x\``: for messages. */
export function describe(node: unknown): string {
  if (node === undefined || node === null) return 'nothing';
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return `the value \`${String(node.value)}\``;
  return 'something else';
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: readonly number[] } | null | undefined)?.range;
  return range?.[0];
}

/**
 * Parses `text` as one YAML 1.2 document (JSON included) with the failsafe schema and returns a
 * reader over it with the document's root, alias resolved (undefined when the file is empty).
 * @throws SpecErrors for YAML syntax errors and duplicate keys, each with its position.
 */
export function readSpecDocument(text: string, file: string, kind: string): { reader: SpecReader; root: unknown; contents: unknown } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, schema: 'failsafe', prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    // A line indented to no enclosing block makes the YAML parser report several puzzles on it; say "indentation" once.
    const errors = document.errors.map((error) => indentationError(error, text, file, lineCounter) ?? syntaxError(error, text, file, lineCounter, kind));
    const seen = new Set<string>();
    throw new SpecErrors(errors.filter((e) => (e.details.yamlCode === 'INDENTATION' ? !seen.has(String(e.position?.line)) && seen.add(String(e.position?.line)) : true)));
  }
  const reader = new SpecReader(file, text, document, lineCounter, kind);
  return { reader, root: reader.resolve(document.contents), contents: document.contents };
}

/** Errors (or warnings) sorted by line, then column, as a person reads the file. */
export function inSourceOrder<T extends { readonly position?: SourcePosition | undefined }>(errors: readonly T[]): T[] {
  const line = (error: T): number => error.position?.line ?? 0;
  const column = (error: T): number => error.position?.column ?? 0;
  return [...errors].sort((a, b) => line(a) - line(b) || column(a) - column(b));
}

function syntaxError(error: YAMLError, source: string, file: string, lineCounter: LineCounter, kind: string): NagareError {
  const code: ErrorCode = error.code === 'DUPLICATE_KEY' ? 'SPEC_DUPLICATE_KEY' : 'SPEC_YAML_SYNTAX';
  const { line, col } = lineCounter.linePos(error.pos[0]);
  const headline = (error.message.split('\n')[0] ?? error.message).replace(/[.:]+$/, '');
  const written = (source.slice(error.pos[0]).split('\n')[0] ?? '').split(/:(?:\s|$)/)[0]?.trim() ?? '';
  const key = written.replace(/^["']|["']$/g, '');
  const message = code === 'SPEC_DUPLICATE_KEY'
    ? `The key \`${key}\` appears twice in the same map; merge the two or delete one.`
    : error.code === 'MULTIPLE_DOCS'
      ? `A ${kind} is one YAML document, but this file has more than one; remove the extra \`---\` line.`
      : `${headline}.${syntaxHint(error, kind)}`;
  return new NagareError(code, message, { position: { file, line, column: col, path: '' }, details: { yamlCode: error.code } });
}

/**
 * When the line of a syntax error is indented by a number of spaces that no line before it uses,
 * the cause is its indentation, whatever the parser's own message says (a list item one space
 * short reads to it as "a block sequence used as an implicit key").
 */
function indentationError(error: YAMLError, source: string, file: string, lineCounter: LineCounter): NagareError | undefined {
  if (error.code === 'DUPLICATE_KEY' || error.code === 'TAB_AS_INDENT' || error.code === 'MULTIPLE_DOCS') return undefined;
  const { line, col } = lineCounter.linePos(error.pos[0]);
  const lines = source.split('\n');
  const indent = (text: string): number => text.length - text.trimStart().length;
  const current = lines[line - 1] ?? '';
  if (current.trim() === '' || current.trimStart().startsWith('#')) return undefined;
  const before = lines.slice(0, line - 1).filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  const levels = [...new Set(before.map(indent))].sort((a, b) => a - b);
  const own = indent(current);
  if (before.length === 0 || levels.includes(own) || own > Math.max(...levels)) return undefined;
  const message = `Line ${line} is indented by ${own} space${own === 1 ? '' : 's'}, which lines up with no line above it (they use ${levels.join(', ')}): fix its indentation so it starts in the same column as the lines it belongs with.`;
  return new NagareError('SPEC_YAML_SYNTAX', message, { position: { file, line, column: col, path: '' }, details: { yamlCode: 'INDENTATION' } });
}

function syntaxHint(error: YAMLError, kind: string): string {
  switch (error.code) {
    case 'TAB_AS_INDENT': return ' Indent with spaces.';
    case 'BLOCK_AS_IMPLICIT_KEY': return ' If this is a command containing `: `, put the whole command in quotes.';
    case 'BAD_SCALAR_START': return ' Put the whole value in quotes.';
    case 'MISSING_CHAR': return ' Close the quote or bracket that starts this value.';
    case 'BAD_INDENT':
      return error.message.startsWith('Flow')
        ? ' Close the `[` or `{` that starts this value, or indent its continuation lines further than its key.'
        : ' Check that keys at the same level start in the same column.';
    default: return ` Check the ${kind === 'buildspec' ? 'YAML' : 'YAML or JSON'} syntax at this position (quotes, brackets, commas, indentation with spaces).`;
  }
}
