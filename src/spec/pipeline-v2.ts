/**
 * The V2-only parts of a pipeline definition: pipeline-level `variables` (reference §3.8) and
 * `triggers` with git push filters (§3.9, decision 18). Whether each trigger names a source
 * action is checked with the stages, in pipeline-structure.ts.
 */
import type { GitPushFilter, GlobFilter, PipelineTrigger, PipelineVariableDeclaration } from '../core/pipeline.js';
import { located, mapItems, readChoice, readName, type Located } from './pipeline-fields.js';
import type { Field, SpecReader } from './yaml-reader.js';

const VARIABLE_KEYS = ['name', 'defaultValue', 'description'] as const;
const VARIABLE_NAME_RULE = { pattern: /^[A-Za-z0-9@\-_]+$/, max: 128, characters: 'letters, digits and @ - _' } as const;
const TRIGGER_KEYS = ['providerType', 'gitConfiguration'] as const;
const GIT_CONFIGURATION_KEYS = ['sourceActionName', 'push', 'pullRequest'] as const;
const PUSH_FILTER_KEYS = ['branches', 'tags', 'filePaths'] as const;
const GLOB_KEYS = ['includes', 'excludes'] as const;
const PROVIDER_TYPES = ['CodeStarSourceConnection'] as const;
const MAX_PUSH_FILTERS = 3;
const MAX_PATTERNS = 8;

export function readVariables(reader: SpecReader, field: Field): PipelineVariableDeclaration[] {
  const variables: PipelineVariableDeclaration[] = [];
  const seen = new Set<string>();
  for (const item of mapItems(reader, field, '`variables`')) {
    const fields = reader.fields(item.value, item.path, 'A variable') ?? [];
    const byKey = new Map(fields.map((entry) => [entry.key, entry]));
    for (const entry of fields) {
      if (!(VARIABLE_KEYS as readonly string[]).includes(entry.key)) reader.unknownKey(entry, VARIABLE_KEYS, 'a pipeline variable');
    }
    const nameField = byKey.get('name');
    if (!nameField) {
      reader.report('SPEC_MISSING_KEY', 'A pipeline variable has no `name`.', item.node, item.path, { key: 'name' });
      continue;
    }
    const name = readName(reader, nameField, 'The variable name', VARIABLE_NAME_RULE);
    if (!name) continue;
    if (seen.has(name.text)) {
      reader.report('SPEC_INVALID_PIPELINE', `The pipeline variable \`${name.text}\` is declared twice; variable names must be unique.`, name.node, name.path);
    }
    seen.add(name.text);
    variables.push({
      name: name.text,
      defaultValue: boundedText(reader, byKey.get('defaultValue'), `The defaultValue of variable \`${name.text}\``, 1000),
      description: boundedText(reader, byKey.get('description'), `The description of variable \`${name.text}\``, 200),
    });
  }
  return variables;
}

function boundedText(reader: SpecReader, field: Field | undefined, what: string, max: number): string | undefined {
  if (!field) return undefined;
  const text = reader.text(field, what);
  if (text !== undefined && text.length > max) {
    reader.report('SPEC_INVALID_VALUE', `${what} is ${text.length} characters long; the limit is ${max}.`, field.valueNode, field.path);
  }
  return text;
}

/** A trigger as read, with the position of its source action name for the cross-checks. */
export interface ReadTrigger {
  readonly trigger: PipelineTrigger;
  readonly sourceActionName: Located;
}

export function readTriggers(reader: SpecReader, field: Field): ReadTrigger[] {
  const triggers: ReadTrigger[] = [];
  for (const item of mapItems(reader, field, '`triggers`')) {
    const fields = reader.fields(item.value, item.path, 'A trigger') ?? [];
    const byKey = new Map(fields.map((entry) => [entry.key, entry]));
    for (const entry of fields) {
      if (!(TRIGGER_KEYS as readonly string[]).includes(entry.key)) reader.unknownKey(entry, TRIGGER_KEYS, 'a trigger');
    }
    const providerField = byKey.get('providerType');
    const git = byKey.get('gitConfiguration');
    for (const [key, present] of [['providerType', providerField], ['gitConfiguration', git]] as const) {
      if (!present) reader.report('SPEC_MISSING_KEY', `A trigger has no \`${key}\`.`, item.node, item.path, { key });
    }
    const providerType = providerField ? readChoice(reader, providerField, 'The trigger `providerType`', PROVIDER_TYPES) : undefined;
    const configuration = git ? readGitConfiguration(reader, git) : undefined;
    if (providerType && configuration) triggers.push({ trigger: { providerType, ...configuration.trigger }, sourceActionName: configuration.sourceActionName });
  }
  return triggers;
}

function readGitConfiguration(reader: SpecReader, git: Field): { trigger: Omit<PipelineTrigger, 'providerType'>; sourceActionName: Located } | undefined {
  const fields = reader.fields(git.value, git.path, '`gitConfiguration`', git.keyNode) ?? [];
  const byKey = new Map(fields.map((entry) => [entry.key, entry]));
  for (const entry of fields) {
    if (entry.key === 'pullRequest') {
      reader.report('UNSUPPORTED_FEATURE', 'Pull request triggers (`pullRequest`) are not supported by nagare: its repositories have no pull requests. Use `push` filters.', entry.keyNode, entry.path, { feature: 'triggers.gitConfiguration.pullRequest' });
    } else if (!(GIT_CONFIGURATION_KEYS as readonly string[]).includes(entry.key)) {
      reader.unknownKey(entry, GIT_CONFIGURATION_KEYS, '`gitConfiguration`');
    }
  }
  const nameField = byKey.get('sourceActionName');
  if (!nameField) reader.report('SPEC_MISSING_KEY', '`gitConfiguration` has no `sourceActionName`; name the source action this trigger starts the pipeline for.', git.keyNode, git.path, { key: 'sourceActionName' });
  const sourceActionName = nameField ? located(reader, nameField, '`sourceActionName`') : undefined;
  const pushField = byKey.get('push');
  const push = pushField ? readPushFilters(reader, pushField) : [];
  if (!pushField && !byKey.has('pullRequest') && git.value !== undefined) {
    reader.report('SPEC_MISSING_KEY', `The trigger for \`${sourceActionName?.text ?? '?'}\` has no \`push\` filters; add 1 to ${MAX_PUSH_FILTERS}.`, git.keyNode, git.path, { key: 'push' });
  }
  return sourceActionName ? { trigger: { sourceActionName: sourceActionName.text, push }, sourceActionName } : undefined;
}

function readPushFilters(reader: SpecReader, field: Field): GitPushFilter[] {
  const items = mapItems(reader, field, '`push`');
  if (items.length < 1 || items.length > MAX_PUSH_FILTERS) {
    reader.report('SPEC_INVALID_VALUE', `\`push\` has ${items.length} filters; a trigger takes 1 to ${MAX_PUSH_FILTERS}.`, field.valueNode, field.path);
  }
  return items.map((item) => {
    const fields = reader.fields(item.value, item.path, 'A push filter') ?? [];
    const byKey = new Map(fields.map((entry) => [entry.key, entry]));
    for (const entry of fields) {
      if (!(PUSH_FILTER_KEYS as readonly string[]).includes(entry.key)) reader.unknownKey(entry, PUSH_FILTER_KEYS, 'a push filter');
    }
    const branches = byKey.get('branches');
    const tags = byKey.get('tags');
    const filePaths = byKey.get('filePaths');
    if (tags && branches) {
      reader.report('SPEC_INVALID_VALUE', 'A push filter has both `tags` and `branches`; split it into two filters (a tag push has no branch).', tags.keyNode, tags.path);
    } else if (filePaths && !branches) {
      reader.report('SPEC_INVALID_VALUE', '`filePaths` in a push filter needs `branches` beside it; tag pushes cannot be filtered by file paths.', filePaths.keyNode, filePaths.path);
    } else if (!tags && !branches) {
      reader.report('SPEC_INVALID_VALUE', 'A push filter needs `branches` or `tags`.', item.node, item.path);
    }
    return {
      branches: branches ? readGlobFilter(reader, branches) : undefined,
      tags: tags ? readGlobFilter(reader, tags) : undefined,
      filePaths: filePaths ? readGlobFilter(reader, filePaths) : undefined,
    };
  });
}

function readGlobFilter(reader: SpecReader, field: Field): GlobFilter {
  const fields = reader.fields(field.value, field.path, `\`${field.key}\``, field.keyNode) ?? [];
  const lists: Record<string, string[]> = { includes: [], excludes: [] };
  for (const entry of fields) {
    if (!(GLOB_KEYS as readonly string[]).includes(entry.key)) {
      reader.unknownKey(entry, GLOB_KEYS, `\`${field.key}\``);
      continue;
    }
    const patterns = reader.textList(entry, `\`${field.key}.${entry.key}\``, { scalarAllowed: false }) ?? [];
    if (patterns.length > MAX_PATTERNS) {
      reader.report('SPEC_INVALID_VALUE', `\`${field.key}.${entry.key}\` has ${patterns.length} patterns; the limit is ${MAX_PATTERNS}.`, entry.valueNode, entry.path);
    }
    for (const pattern of patterns) {
      if (pattern === '' || pattern.length > 255) reader.report('SPEC_INVALID_VALUE', `A pattern of \`${field.key}.${entry.key}\` must be 1 to 255 characters.`, entry.valueNode, entry.path);
    }
    lists[entry.key] = patterns;
  }
  if (fields.length === 0) reader.report('SPEC_INVALID_VALUE', `\`${field.key}\` needs \`includes\` or \`excludes\`.`, field.keyNode, field.path);
  return { includes: lists.includes ?? [], excludes: lists.excludes ?? [] };
}
