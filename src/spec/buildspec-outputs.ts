/**
 * What a build leaves behind: `artifacts` (§1.10), `reports` (§1.9) and `cache` (§1.11).
 */
import {
  COVERAGE_REPORT_FORMATS,
  TEST_REPORT_FORMATS,
  type ArtifactSpec,
  type ArtifactsSpec,
  type CacheSpec,
  type ReportFormat,
  type ReportGroupSpec,
} from '../core/buildspec.js';
import { didYouMean } from './did-you-mean.js';
import type { Field, SpecReader } from './yaml-reader.js';

const ARTIFACT_KEYS = ['files', 'name', 'discard-paths', 'base-directory', 'exclude-paths', 'enable-symlinks', 's3-prefix'] as const;
const PRIMARY_ARTIFACT_KEYS = [...ARTIFACT_KEYS, 'secondary-artifacts', 'type'] as const;
const REPORT_KEYS = ['files', 'base-directory', 'discard-paths', 'file-format'] as const;
const CACHE_KEYS = ['key', 'fallback-keys', 'action', 'paths'] as const;
const REPORT_FORMATS: readonly ReportFormat[] = [...TEST_REPORT_FORMATS, ...COVERAGE_REPORT_FORMATS];

export const MAX_REPORT_GROUPS = 5;
export const MAX_FALLBACK_KEYS = 5;

export function readArtifacts(reader: SpecReader, artifacts: Field): ArtifactsSpec | undefined {
  const fields = reader.fields(artifacts.value, artifacts.path, '`artifacts`', artifacts.keyNode);
  if (fields === undefined || artifacts.value === undefined) return undefined;
  const secondaryField = fields.find((field) => field.key === 'secondary-artifacts');
  const secondary: Record<string, ArtifactSpec> = {};
  for (const field of secondaryField ? reader.fields(secondaryField.value, secondaryField.path, '`secondary-artifacts`', secondaryField.keyNode) ?? [] : []) {
    const spec = readArtifact(reader, field, [...ARTIFACT_KEYS], `the secondary artifact \`${field.key}\``);
    if (spec) secondary[field.key] = spec;
  }
  // `type` is 0.1's packaging hint, deprecated in 0.2; CodeBuild accepts and ignores it in both.
  for (const field of fields.filter((candidate) => candidate.key === 'type')) reader.text(field, '`artifacts.type`');
  const primaryFields = fields.filter((field) => field.key !== 'secondary-artifacts' && field.key !== 'type');
  // Secondary artifacts alone: CodeBuild accepts the file and fails at upload (reference §1.10).
  if (primaryFields.length === 0 && secondaryField) return { primary: undefined, secondary };
  const primary = readArtifactFields(reader, artifacts, primaryFields, [...PRIMARY_ARTIFACT_KEYS], '`artifacts`');
  return { primary, secondary };
}

function readArtifact(reader: SpecReader, artifact: Field, allowed: string[], where: string): ArtifactSpec | undefined {
  const fields = reader.fields(artifact.value, artifact.path, where, artifact.keyNode);
  return fields === undefined ? undefined : readArtifactFields(reader, artifact, fields, allowed, where);
}

function readArtifactFields(reader: SpecReader, artifact: Field, fields: Field[], allowed: string[], where: string): ArtifactSpec | undefined {
  let files: string[] | undefined;
  const spec: { -readonly [K in keyof ArtifactSpec]: ArtifactSpec[K] } = {
    files: [], name: undefined, discardPaths: false, baseDirectory: undefined, excludePaths: [], enableSymlinks: false, s3Prefix: undefined,
  };
  for (const field of fields) {
    switch (field.key) {
      case 'files': files = readFiles(reader, field); break;
      case 'name': spec.name = reader.text(field, '`name`'); break;
      case 'discard-paths': spec.discardPaths = reader.boolean(field, '`discard-paths`') ?? false; break;
      case 'base-directory': spec.baseDirectory = reader.text(field, '`base-directory`'); break;
      case 'exclude-paths': spec.excludePaths = reader.textList(field, '`exclude-paths`', { scalarAllowed: true }) ?? []; break;
      case 'enable-symlinks': spec.enableSymlinks = reader.boolean(field, '`enable-symlinks`') ?? false; break;
      case 's3-prefix': spec.s3Prefix = reader.text(field, '`s3-prefix`'); break;
      default: reader.unknownKey(field, allowed, where);
    }
  }
  if (files === undefined) {
    if (!fields.some((field) => field.key === 'files')) {
      reader.report('SPEC_MISSING_KEY', `${capitalize(where)} has no \`files\`; list the paths to upload, e.g. \`files: ['**/*']\`.`, artifact.keyNode, artifact.path, { key: 'files' });
    }
    return undefined;
  }
  return { ...spec, files };
}

function readFiles(reader: SpecReader, field: Field): string[] | undefined {
  if (field.value === undefined) {
    reader.report('SPEC_INVALID_VALUE', '`files` is empty; list at least one path or glob, e.g. `- \'**/*\'`.', field.valueNode, field.path);
    return undefined;
  }
  const files = reader.textList(field, '`files`', { scalarAllowed: true });
  if (files?.length === 0) {
    reader.report('SPEC_INVALID_VALUE', '`files` is an empty list; list at least one path or glob, e.g. `- \'**/*\'`.', field.valueNode, field.path);
    return undefined;
  }
  return files;
}

export function readReports(reader: SpecReader, reports: Field): Record<string, ReportGroupSpec> {
  const groups: Record<string, ReportGroupSpec> = {};
  const fields = reader.fields(reports.value, reports.path, '`reports`', reports.keyNode) ?? [];
  fields.forEach((group, index) => {
    if (index === MAX_REPORT_GROUPS) {
      reader.report('SPEC_INVALID_VALUE', `\`reports\` has more than ${MAX_REPORT_GROUPS} report groups (CodeBuild's limit per project); merge or remove some.`, group.keyNode, group.path);
    }
    const spec = readReportGroup(reader, group);
    if (spec) groups[group.key] = spec;
  });
  return groups;
}

function readReportGroup(reader: SpecReader, group: Field): ReportGroupSpec | undefined {
  const where = `the report group \`${group.key}\``;
  const fields = reader.fields(group.value, group.path, capitalize(where), group.keyNode);
  if (fields === undefined) return undefined;
  let files: string[] | undefined;
  let baseDirectory: string | undefined;
  let discardPaths = false;
  let fileFormat: ReportFormat = 'JUNITXML';
  for (const field of fields) {
    switch (field.key) {
      case 'files': files = readFiles(reader, field); break;
      case 'base-directory': baseDirectory = reader.text(field, '`base-directory`'); break;
      case 'discard-paths': discardPaths = reader.boolean(field, '`discard-paths`') ?? false; break;
      case 'file-format': fileFormat = readFileFormat(reader, field) ?? fileFormat; break;
      default: reader.unknownKey(field, REPORT_KEYS, where);
    }
  }
  if (files === undefined) {
    if (!fields.some((field) => field.key === 'files')) {
      reader.report('SPEC_MISSING_KEY', `${capitalize(where)} has no \`files\`; list the report files, e.g. \`files: ['**/*.xml']\`.`, group.keyNode, group.path, { key: 'files' });
    }
    return undefined;
  }
  return { files, baseDirectory, discardPaths, fileFormat };
}

function readFileFormat(reader: SpecReader, field: Field): ReportFormat | undefined {
  const text = reader.text(field, '`file-format`');
  if (text === undefined) return undefined;
  const format = REPORT_FORMATS.find((candidate) => candidate === text.toUpperCase());
  if (format === undefined) {
    reader.report('SPEC_INVALID_VALUE', `\`${text}\` is not a report file format.${didYouMean(text, REPORT_FORMATS)} Use one of ${REPORT_FORMATS.join(', ')}.`, field.valueNode, field.path);
  }
  return format;
}

export function readCache(reader: SpecReader, cache: Field): CacheSpec | undefined {
  const fields = reader.fields(cache.value, cache.path, '`cache`', cache.keyNode);
  if (fields === undefined || cache.value === undefined) return undefined;
  let key: string | undefined;
  let fallbackKeys: string[] = [];
  let restore = true;
  let save = true;
  let paths: string[] | undefined;
  for (const field of fields) {
    switch (field.key) {
      case 'key': key = reader.text(field, '`cache.key`'); break;
      case 'fallback-keys': fallbackKeys = readFallbackKeys(reader, field); break;
      case 'action': {
        const action = readAction(reader, field);
        if (action) ({ restore, save } = { restore: action === 'restore', save: action === 'save' });
        break;
      }
      case 'paths': paths = reader.textList(field, '`cache.paths`', { scalarAllowed: false }); break;
      default: reader.unknownKey(field, CACHE_KEYS, '`cache`');
    }
  }
  if (paths === undefined || paths.length === 0) {
    const pathsField = fields.find((field) => field.key === 'paths');
    if (!pathsField) reader.report('SPEC_MISSING_KEY', '`cache` has no `paths`; list the directories to cache, e.g. `paths: [\'/root/.npm/**/*\']`.', cache.keyNode, cache.path, { key: 'paths' });
    else if (paths?.length === 0 || pathsField.value === undefined) reader.report('SPEC_INVALID_VALUE', '`cache.paths` is empty; list at least one directory to cache.', pathsField.valueNode, pathsField.path);
    return undefined;
  }
  return { key, fallbackKeys, restore, save, paths };
}

function readFallbackKeys(reader: SpecReader, field: Field): string[] {
  const keys = reader.textItems(field, '`cache.fallback-keys`', { scalarAllowed: false }) ?? [];
  const extra = keys[MAX_FALLBACK_KEYS];
  if (extra) reader.report('SPEC_INVALID_VALUE', `\`cache.fallback-keys\` has ${keys.length} keys; CodeBuild allows at most ${MAX_FALLBACK_KEYS}.`, extra.node, extra.path);
  return keys.map((item) => item.text);
}

function readAction(reader: SpecReader, field: Field): 'restore' | 'save' | undefined {
  const text = reader.text(field, '`cache.action`');
  if (text === undefined) return undefined;
  const action = text.toLowerCase();
  if (action === 'restore' || action === 'save') return action;
  reader.report('SPEC_INVALID_VALUE', `\`cache.action\` must be restore or save (or absent for both), not \`${text}\`.`, field.valueNode, field.path);
  return undefined;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
