/**
 * A small reading layer over fast-xml-parser for the report formats: every element is an object
 * with `@_` attributes, `#text` content and arrays of child elements, so a parser walks one shape.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export type XmlElement = { readonly [key: string]: unknown };

/** A report file that cannot be read as its format: the message says what is wrong with it. */
export class ReportFormatError extends Error {}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  alwaysCreateTextNode: true,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: true,
  isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
});

/** The root element of `text`, which must be well-formed XML whose root is one of `rootNames`. */
export function parseXmlRoot(text: string, rootNames: readonly string[]): { name: string; element: XmlElement } {
  if (text.trim() === '') throw new ReportFormatError('the file is empty');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new ReportFormatError(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const document = parser.parse(text) as Record<string, unknown>;
  const found = Object.keys(document).filter((key) => !key.startsWith('#') && !key.startsWith('?'));
  for (const name of found) {
    const element = children(document, name)[0];
    if (rootNames.includes(name) && element) return { name, element };
  }
  throw new ReportFormatError(`the root element is <${found[0] ?? '?'}>, expected <${rootNames.join('> or <')}>`);
}

export function children(element: XmlElement, name: string): XmlElement[] {
  const value = element[name];
  return Array.isArray(value) ? value.filter((child): child is XmlElement => typeof child === 'object' && child !== null) : [];
}

export function attribute(element: XmlElement, name: string): string | undefined {
  const value = element[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

export function text(element: XmlElement | undefined): string {
  const value = element?.['#text'];
  return typeof value === 'string' ? value : '';
}

/** `path` of child names from `element`, e.g. `descendants(run, ['Results', 'UnitTestResult'])`. */
export function descendants(element: XmlElement, path: readonly string[]): XmlElement[] {
  return path.reduce<XmlElement[]>((level, name) => level.flatMap((parent) => children(parent, name)), [element]);
}

/** A number attribute, or `fallback` when absent or not a number (`1,234.5` is read as 1234.5). */
export function numberAttribute(element: XmlElement, name: string, fallback = 0): number {
  const raw = attribute(element, name);
  if (raw === undefined) return fallback;
  const value = Number(raw.replace(/,/g, ''));
  return Number.isFinite(value) ? value : fallback;
}

export function secondsToNanoseconds(seconds: number): number {
  return Math.max(0, Math.round(seconds * 1e9));
}

/** Non-empty parts joined by a newline: a failure's message attribute and its body. */
export function joinMessage(...parts: (string | undefined)[]): string | undefined {
  const kept = parts.map((part) => part?.trim()).filter((part): part is string => part !== undefined && part !== '');
  return kept.length > 0 ? kept.join('\n') : undefined;
}
