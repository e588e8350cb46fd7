/**
 * Parses and validates a CodeDeploy `appspec.yml` for EC2/on-premises (reference §2.1–2.5) into
 * the compiled AppSpec of core/appspec.ts. Every problem is reported at once, each with file,
 * line, column, key path and a hint, as src/spec/buildspec.ts does.
 */
import { isMap, isSeq } from 'yaml';
import { FILE_EXISTS_BEHAVIORS, type AppSpec, type FileExistsBehavior, type FileMapping } from '../core/appspec.js';
import { NagareError, SpecErrors } from '../core/errors.js';
import { readHooks } from './appspec-hooks.js';
import { instancePath, requiredText, revisionPath } from './appspec-values.js';
import { readPermissions } from './appspec-permissions.js';
import { didYouMean } from './did-you-mean.js';
import { describe, inSourceOrder, readSpecDocument, type Field, type SpecReader } from './yaml-reader.js';

export const APPSPEC_KEYS = ['version', 'os', 'files', 'file_exists_behavior', 'permissions', 'hooks'] as const;
const FILE_KEYS = ['source', 'destination'] as const;

/**
 * Parses `text` (the content of `file`, used in messages) into an AppSpec.
 * @throws SpecErrors listing every problem found, in source order.
 */
export function parseAppSpec(text: string, file: string): AppSpec {
  const { reader, root, contents } = readSpecDocument(text, file, 'appspec');
  if (root === undefined) {
    throw new SpecErrors([new NagareError('SPEC_EMPTY', `${file} is empty; an appspec must define at minimum \`version: 0.0\` and \`os: linux\`.`, {
      position: { file, line: 1, column: 1, path: '' },
    })]);
  }
  if (!isMap(root)) {
    reader.report('SPEC_NOT_A_MAP', `An appspec must be a map of keys (version, os, files, hooks …) at the top level, not ${describe(root)}.`, contents, '');
    throw new SpecErrors(reader.errors);
  }
  const spec = readTopLevel(reader, root, file);
  if (reader.errors.length > 0) throw new SpecErrors(inSourceOrder(reader.errors));
  return spec;
}

function readTopLevel(reader: SpecReader, root: unknown, file: string): AppSpec {
  const fields = reader.fields(root, '', 'An appspec') ?? [];
  let files: FileMapping[] = [];
  let fileExistsBehavior: FileExistsBehavior | undefined;
  let permissions: AppSpec['permissions'] = [];
  let hooks: AppSpec['hooks'] = {};
  const seen = new Set<string>();
  for (const field of fields) {
    seen.add(field.key);
    switch (field.key) {
      case 'version': readVersion(reader, field); break;
      case 'os': readOs(reader, field); break;
      case 'files': files = readFiles(reader, field); break;
      case 'file_exists_behavior': fileExistsBehavior = readFileExistsBehavior(reader, field); break;
      case 'permissions': permissions = readPermissions(reader, field); break;
      case 'hooks': hooks = readHooks(reader, field); break;
      case 'Resources':
      case 'resources':
        reader.report('UNSUPPORTED_FEATURE', '`Resources` belongs to an ECS or Lambda appspec; nagare deploys to EC2/on-premises instances only (`files`, `permissions`, `hooks`).', field.keyNode, field.path, { feature: 'Resources' });
        break;
      default: reader.unknownKey(field, APPSPEC_KEYS, 'the appspec');
    }
  }
  if (!seen.has('version')) reader.report('SPEC_MISSING_KEY', 'The appspec has no `version`; add `version: 0.0` as its first line.', root, '', { key: 'version' });
  if (!seen.has('os')) reader.report('SPEC_MISSING_KEY', 'The appspec has no `os`; add `os: linux`.', root, '', { key: 'os' });
  return { version: '0.0', os: 'linux', files, fileExistsBehavior, permissions, hooks, file };
}

function readVersion(reader: SpecReader, field: Field): void {
  const text = reader.text(field, '`version`');
  if (field.value === undefined) {
    reader.report('SPEC_INVALID_VERSION', '`version` is empty; write `version: 0.0`, the only appspec version.', field.valueNode, field.path);
    return;
  }
  // The agent compares the number: `0`, `0.0` and `0.00` are the same version.
  if (text !== undefined && !(/^[0-9]*\.?[0-9]+$/.test(text) && Number(text) === 0)) {
    reader.report('SPEC_INVALID_VERSION', `\`version: ${text}\` is not an appspec version; the only one is 0.0.`, field.valueNode, field.path, { version: text });
  }
}

function readOs(reader: SpecReader, field: Field): void {
  const text = reader.text(field, '`os`');
  if (field.value === undefined || text === '') {
    reader.report('SPEC_INVALID_VALUE', '`os` is empty; write `os: linux`.', field.valueNode, field.path);
  } else if (text === 'windows') {
    reader.report('SPEC_APPSPEC_WRONG_OS', '`os: windows` names a Windows revision, but nagare\'s agents run on Linux; write `os: linux` (and Linux scripts).', field.valueNode, field.path, { os: text });
  } else if (text !== undefined && text !== 'linux') {
    reader.report('SPEC_INVALID_VALUE', `\`os: ${text}\` is not an operating system of an appspec;${didYouMean(text, ['linux'])} write \`os: linux\`.`, field.valueNode, field.path, { os: text });
  }
}

function readFileExistsBehavior(reader: SpecReader, field: Field): FileExistsBehavior | undefined {
  const text = reader.text(field, '`file_exists_behavior`');
  if (text === undefined && field.value !== undefined) return undefined;
  const behavior = FILE_EXISTS_BEHAVIORS.find((value) => value === text);
  if (behavior === undefined) {
    const written = text ?? '';
    reader.report('SPEC_INVALID_VALUE', `\`file_exists_behavior: ${written}\` is not one of ${FILE_EXISTS_BEHAVIORS.join(', ')}.${didYouMean(written, FILE_EXISTS_BEHAVIORS)}`, field.valueNode, field.path);
  }
  return behavior;
}

function readFiles(reader: SpecReader, field: Field): FileMapping[] {
  if (field.value === undefined) return [];
  if (!isSeq(field.value)) {
    reader.report('SPEC_INVALID_TYPE', `\`files\` must be a list of \`- source: … destination: …\` entries, not ${describe(field.value)}.`, field.valueNode, field.path);
    return [];
  }
  const files: FileMapping[] = [];
  const seen = new Set<string>();
  field.value.items.forEach((itemNode, index) => {
    const path = `files[${index}]`;
    const entry = readFileEntry(reader, itemNode, path);
    if (entry === undefined) return;
    const key = `${entry.source}\n${entry.destination}`;
    if (seen.has(key)) {
      reader.report('SPEC_APPSPEC_CONFLICT', `\`files\` installs \`${entry.source}\` to \`${entry.destination}\` twice; delete one of the two entries.`, itemNode, path);
    }
    seen.add(key);
    files.push(entry);
  });
  return files;
}

function readFileEntry(reader: SpecReader, itemNode: unknown, path: string): FileMapping | undefined {
  const fields = reader.fields(itemNode, path, 'Each item of `files`', itemNode);
  if (fields === undefined) return undefined;
  if (fields.length === 0) {
    reader.report('SPEC_INVALID_VALUE', 'An item of `files` is empty; give it a `source` and a `destination`, or remove the `-` line.', itemNode, path);
    return undefined;
  }
  let source: string | undefined;
  let destination: string | undefined;
  for (const field of fields) {
    if (field.key === 'source') source = readSource(reader, field);
    else if (field.key === 'destination') destination = readDestination(reader, field);
    else reader.unknownKey(field, FILE_KEYS, 'an item of `files`');
  }
  for (const key of FILE_KEYS) {
    if (!fields.some((field) => field.key === key)) {
      reader.report('SPEC_MISSING_KEY', `An item of \`files\` has no \`${key}\`; each item needs a \`source\` in the revision and an absolute \`destination\` on the instance.`, itemNode, path, { key });
    }
  }
  return source !== undefined && destination !== undefined ? { source, destination } : undefined;
}

function readSource(reader: SpecReader, field: Field): string | undefined {
  const text = requiredText(reader, field, '`source`', 'a path in the revision, or `/` for all of it');
  if (text === undefined) return undefined;
  const source = revisionPath(text);
  if (source === undefined) {
    reader.report('SPEC_APPSPEC_PATH_ESCAPES', `\`source: ${text}\` leads out of the revision; a source names a file or directory inside it (a leading / is the revision's root).`, field.valueNode, field.path, { path: text });
  }
  return source;
}

function readDestination(reader: SpecReader, field: Field): string | undefined {
  const text = requiredText(reader, field, '`destination`', 'an absolute path on the instance, such as /var/www/html');
  if (text === undefined) return undefined;
  const destination = instancePath(text);
  if (destination === undefined) {
    reader.report('SPEC_APPSPEC_PATH_ESCAPES', `\`destination: ${text}\` is not an absolute path; write where on the instance the files go, such as /var/www/html.`, field.valueNode, field.path, { path: text });
  }
  return destination;
}
