/**
 * Small readers shared by the pipeline definition readers: lists of maps, names with AWS's
 * patterns, integers written as JSON numbers, and the `stage X, action Y` wording of messages.
 */
import { isMap, isScalar, isSeq } from 'yaml';
import { didYouMean } from './did-you-mean.js';
import { describe, type Field, type SpecReader } from './yaml-reader.js';

/** A scalar as written, with where it is. */
export interface Located {
  readonly text: string;
  readonly node: unknown;
  readonly path: string;
}

/** One map item of a list, resolved. */
export interface MapItem {
  readonly value: unknown;
  readonly node: unknown;
  readonly path: string;
}

/** Stage, action and artifact names: `[A-Za-z0-9.@\-_]+`, at most 100 characters. */
export const NAME_PATTERN = /^[A-Za-z0-9.@\-_]+$/;
export const ARTIFACT_NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
export const NAMESPACE_PATTERN = /^[A-Za-z0-9@\-_]+$/;

/** The items of a list of maps; reports a non-list, and items that are not maps. */
export function mapItems(reader: SpecReader, field: Field, what: string): MapItem[] {
  const list = field.value;
  if (list === undefined) return [];
  if (!isSeq(list)) {
    reader.report('SPEC_INVALID_TYPE', `${what} must be a list, not ${describe(list)}.`, field.valueNode, field.path);
    return [];
  }
  const items: MapItem[] = [];
  list.items.forEach((itemNode, index) => {
    const value = reader.resolve(itemNode);
    const path = `${field.path}[${index}]`;
    if (!isMap(value)) {
      reader.report('SPEC_INVALID_TYPE', `Each item of ${what} must be a map (\`{ "name": … }\`), not ${describe(value)}.`, itemNode ?? list, path);
      return;
    }
    items.push({ value, node: itemNode, path });
  });
  return items;
}

/** A non-empty single value, with its position. */
export function located(reader: SpecReader, field: Field, what: string): Located | undefined {
  if (field.value === undefined) {
    reader.report('SPEC_INVALID_VALUE', `${what} is empty; give it a value.`, field.valueNode, field.path);
    return undefined;
  }
  const text = reader.text(field, what);
  if (text === undefined) return undefined;
  if (text === '') {
    reader.report('SPEC_INVALID_VALUE', `${what} is an empty string; give it a value.`, field.valueNode, field.path);
    return undefined;
  }
  return { text, node: field.valueNode, path: field.path };
}

/** A name checked against a pattern and a maximum length. */
export function readName(
  reader: SpecReader, field: Field, what: string,
  rule: { readonly pattern: RegExp; readonly max: number; readonly characters: string },
): Located | undefined {
  const name = located(reader, field, what);
  if (name === undefined) return undefined;
  if (name.text.length > rule.max) {
    reader.report('SPEC_INVALID_VALUE', `${what} \`${name.text.slice(0, 40)}…\` is ${name.text.length} characters long; the limit is ${rule.max}.`, name.node, name.path);
    return undefined;
  }
  if (!rule.pattern.test(name.text)) {
    reader.report('SPEC_INVALID_VALUE', `${what} \`${name.text}\` may contain only ${rule.characters}.`, name.node, name.path);
    return undefined;
  }
  return name;
}

export const NAME_RULE = { pattern: NAME_PATTERN, max: 100, characters: 'letters, digits and . @ - _' } as const;
export const ARTIFACT_RULE = { pattern: ARTIFACT_NAME_PATTERN, max: 100, characters: 'letters, digits, - and _' } as const;
export const NAMESPACE_RULE = { pattern: NAMESPACE_PATTERN, max: 100, characters: 'letters, digits and @ - _' } as const;

/** One of a fixed set of values, suggesting the closest on a typo. */
export function readChoice<T extends string>(reader: SpecReader, field: Field, what: string, choices: readonly T[]): T | undefined {
  const value = located(reader, field, what);
  if (value === undefined) return undefined;
  const choice = choices.find((candidate) => candidate === value.text);
  if (choice === undefined) {
    reader.report('SPEC_INVALID_VALUE', `${what} is \`${value.text}\`, not one of ${choices.join(', ')}.${didYouMean(value.text, choices)}`, value.node, value.path, { value: value.text });
  }
  return choice;
}

/** An integer written as a number (`60`, not `"60"`, as the AWS API types it) within a range. */
export function readInteger(reader: SpecReader, field: Field, what: string, range: { readonly min: number; readonly max: number }): number | undefined {
  const value = field.value;
  if (value === undefined || !isScalar(value)) {
    reader.report('SPEC_INVALID_TYPE', `${what} must be a whole number, not ${describe(value)}.`, field.valueNode, field.path);
    return undefined;
  }
  const text = String(value.value);
  if (value.type !== 'PLAIN') {
    reader.report('SPEC_INVALID_TYPE', `${what} must be a number, not the string "${text}"; remove the quotes.`, field.valueNode, field.path);
    return undefined;
  }
  if (!/^-?[0-9]+$/.test(text) || Number(text) < range.min || Number(text) > range.max) {
    reader.report('SPEC_INVALID_VALUE', `${what} must be a whole number from ${range.min} to ${range.max}, not \`${text}\`.`, field.valueNode, field.path);
    return undefined;
  }
  return Number(text);
}

/** `stage \`Build\`, action \`Compile\``, for messages. */
export function actionLabel(stageName: string | undefined, actionName: string | undefined): string {
  return `action \`${actionName ?? '?'}\` of stage \`${stageName ?? '?'}\``;
}
