/**
 * One action of a pipeline stage (reference §3.1): its keys, action type, run order,
 * configuration and artifacts. What each provider requires is checked in pipeline-providers.ts;
 * rules across actions (artifacts flowing, unique names) in pipeline-structure.ts.
 */
import type { ActionCategory, ActionDeclaration, ActionOwner, PipelineType } from '../core/pipeline.js';
import {
  ARTIFACT_RULE, NAMESPACE_RULE, NAME_RULE, actionLabel, located, mapItems, readChoice, readInteger, readName,
  type Located, type MapItem,
} from './pipeline-fields.js';
import type { ActionParts } from './pipeline-action-parts.js';
import { checkProvider } from './pipeline-providers.js';
import type { Field, SpecReader } from './yaml-reader.js';

export const ACTION_KEYS = [
  'name', 'actionTypeId', 'runOrder', 'configuration', 'commands', 'inputArtifacts', 'outputArtifacts',
  'outputVariables', 'namespace', 'region', 'roleArn', 'timeoutInMinutes', 'environmentVariables',
] as const;
const ACTION_TYPE_KEYS = ['category', 'owner', 'provider', 'version'] as const;
export const CATEGORIES: readonly ActionCategory[] = ['Source', 'Build', 'Test', 'Deploy', 'Approval', 'Invoke', 'Compute'];
const OWNERS: readonly ActionOwner[] = ['AWS', 'ThirdParty', 'Custom'];
const MAX_CONFIGURATION_VALUE = 1000;
const MAX_CONFIGURATION_KEY = 50;

/** An action as read, with the positions the cross-action rules point at. */
export interface ReadAction {
  readonly declaration: ActionDeclaration;
  readonly node: unknown;
  readonly path: string;
  readonly stageName: string | undefined;
  readonly name: Located | undefined;
  readonly category: ActionCategory | undefined;
  /** Where the category is written, for rules about source actions. */
  readonly categoryAt: { readonly node: unknown; readonly path: string } | undefined;
  readonly inputs: readonly Located[];
  readonly outputs: readonly Located[];
  readonly namespace: Located | undefined;
}

export function readAction(reader: SpecReader, item: MapItem, stageName: string | undefined, pipelineType: PipelineType): ReadAction {
  const fields = reader.fields(item.value, item.path, 'An action') ?? [];
  const byKey = new Map(fields.map((field) => [field.key, field]));
  const nameField = byKey.get('name');
  const name = nameField ? readName(reader, nameField, 'The action name', NAME_RULE) : undefined;
  const label = actionLabel(stageName, name?.text);
  if (!nameField) reader.report('SPEC_MISSING_KEY', `An action of stage \`${stageName ?? '?'}\` has no \`name\`; give it a name unique in its stage.`, item.node, item.path, { key: 'name' });
  for (const field of fields) {
    if (!(ACTION_KEYS as readonly string[]).includes(field.key)) reader.unknownKey(field, ACTION_KEYS, `${label}`);
  }
  const type = readActionType(reader, byKey.get('actionTypeId'), item, label);
  const runOrderField = byKey.get('runOrder');
  const runOrder = runOrderField ? readInteger(reader, runOrderField, `\`runOrder\` of ${label}`, { min: 1, max: 999 }) ?? 1 : 1;
  const configurationField = byKey.get('configuration');
  const configurationKeys = new Set<string>();
  const configuration = configurationField ? readConfiguration(reader, configurationField, label, configurationKeys) : [];
  const inputs = readArtifacts(reader, byKey.get('inputArtifacts'), `\`inputArtifacts\` of ${label}`, ['name']);
  const outputs = readArtifacts(reader, byKey.get('outputArtifacts'), `\`outputArtifacts\` of ${label}`, ['name', 'files']);
  const namespaceField = byKey.get('namespace');
  const namespace = namespaceField ? readName(reader, namespaceField, `The namespace of ${label}`, NAMESPACE_RULE) : undefined;
  const parts: ActionParts = {
    label, node: item.node, path: item.path, pipelineType, category: type.category, owner: type.owner, provider: type.provider, version: type.version, configuration, configurationKeys, byKey, inputs, outputs,
  };
  const provided = checkProvider(reader, parts);
  const declaration: ActionDeclaration = {
    name: name?.text ?? '',
    actionTypeId: {
      category: type.category ?? 'Build', owner: type.owner ?? 'AWS', provider: type.provider?.text ?? '', version: type.version?.text ?? '1',
    },
    runOrder,
    configuration: Object.fromEntries(configuration.map((field) => [field.key, reader.text(field, field.key) ?? ''])),
    commands: provided.commands,
    inputArtifacts: inputs.map((input) => input.text),
    outputArtifacts: outputs.map((output) => output.text),
    namespace: namespace?.text,
    region: optionalText(reader, byKey.get('region'), `The region of ${label}`),
    roleArn: optionalText(reader, byKey.get('roleArn'), `The roleArn of ${label}`),
    timeoutInMinutes: provided.timeoutInMinutes,
  };
  return { declaration, node: item.node, path: item.path, stageName, name, category: type.category, categoryAt: type.categoryAt, inputs, outputs, namespace };
}

type ActionType = Pick<ActionParts, 'category' | 'owner' | 'provider' | 'version'> & Pick<ReadAction, 'categoryAt'>;

function readActionType(reader: SpecReader, field: Field | undefined, item: MapItem, label: string): ActionType {
  if (!field) {
    reader.report('SPEC_MISSING_KEY', `The ${label} has no \`actionTypeId\`; add \`{ "category", "owner", "provider", "version" }\`.`, item.node, item.path, { key: 'actionTypeId' });
    return { category: undefined, categoryAt: undefined, owner: undefined, provider: undefined, version: undefined };
  }
  const fields = reader.fields(field.value, field.path, `\`actionTypeId\` of ${label}`, field.keyNode) ?? [];
  const byKey = new Map(fields.map((part) => [part.key, part]));
  for (const part of fields) {
    if (!(ACTION_TYPE_KEYS as readonly string[]).includes(part.key)) reader.unknownKey(part, ACTION_TYPE_KEYS, `\`actionTypeId\` of ${label}`);
  }
  for (const key of ACTION_TYPE_KEYS) {
    if (!byKey.has(key) && field.value !== undefined) {
      reader.report('SPEC_MISSING_KEY', `\`actionTypeId\` of ${label} has no \`${key}\`.`, field.keyNode, field.path, { key });
    }
  }
  if (field.value === undefined) reader.report('SPEC_MISSING_KEY', `\`actionTypeId\` of ${label} is empty; give its category, owner, provider and version.`, field.keyNode, field.path, { key: 'actionTypeId' });
  const category = byKey.get('category');
  const owner = byKey.get('owner');
  const provider = byKey.get('provider');
  const version = byKey.get('version');
  return {
    category: category ? readChoice(reader, category, `The category of ${label}`, CATEGORIES) : undefined,
    categoryAt: category ? { node: category.valueNode, path: category.path } : undefined,
    owner: owner ? readChoice(reader, owner, `The owner of ${label}`, OWNERS) : undefined,
    provider: provider ? located(reader, provider, `The provider of ${label}`) : undefined,
    version: version ? located(reader, version, `The action type version of ${label}`) : undefined,
  };
}

/** Configuration: a map of single values (numbers and booleans kept as written), each ≤1000 characters. */
function readConfiguration(reader: SpecReader, field: Field, label: string, keys: Set<string>): Field[] {
  const valid: Field[] = [];
  for (const entry of reader.fields(field.value, field.path, `\`configuration\` of ${label}`, field.keyNode) ?? []) {
    keys.add(entry.key);
    if (entry.key.length > MAX_CONFIGURATION_KEY) {
      reader.report('SPEC_INVALID_VALUE', `The configuration key \`${entry.key.slice(0, 40)}…\` of ${label} is longer than ${MAX_CONFIGURATION_KEY} characters.`, entry.keyNode, entry.path);
      continue;
    }
    const value = located(reader, entry, `\`configuration.${entry.key}\` of ${label}`);
    if (value === undefined) continue;
    if (value.text.length > MAX_CONFIGURATION_VALUE) {
      reader.report('SPEC_INVALID_VALUE', `\`configuration.${entry.key}\` of ${label} is ${value.text.length} characters long; the limit is ${MAX_CONFIGURATION_VALUE}.`, value.node, value.path);
      continue;
    }
    valid.push(entry);
  }
  return valid;
}

/** `[{ "name": "SourceArtifact" }]`; `files` on an output artifact is left to the provider rules. */
function readArtifacts(reader: SpecReader, field: Field | undefined, what: string, keys: readonly string[]): Located[] {
  if (!field) return [];
  const artifacts: Located[] = [];
  for (const item of mapItems(reader, field, what)) {
    const fields = reader.fields(item.value, item.path, `An item of ${what}`) ?? [];
    const nameField = fields.find((entry) => entry.key === 'name');
    for (const entry of fields) {
      if (!keys.includes(entry.key)) reader.unknownKey(entry, keys, `an item of ${what}`);
      if (entry.key === 'files') {
        reader.report('UNSUPPORTED_FEATURE', `\`files\` on an output artifact (${what}) is not supported by nagare yet; remove it and the whole work directory becomes the artifact.`, entry.keyNode, entry.path, { feature: 'outputArtifacts.files' });
      }
    }
    if (!nameField) {
      reader.report('SPEC_MISSING_KEY', `An item of ${what} has no \`name\`; write \`{ "name": "MyArtifact" }\`.`, item.node, item.path, { key: 'name' });
      continue;
    }
    const name = readName(reader, nameField, `The artifact name in ${what}`, ARTIFACT_RULE);
    if (name) artifacts.push(name);
  }
  return artifacts;
}

function optionalText(reader: SpecReader, field: Field | undefined, what: string): string | undefined {
  return field ? located(reader, field, what)?.text : undefined;
}
