/**
 * Parses and validates a CodePipeline definition, V1 or V2, into the compiled PipelineDefinition
 * of core/pipeline.ts. The input is what AWS uses, as it is: the output of `aws codepipeline
 * get-pipeline` (`{ "pipeline": {…}, "metadata": {…} }`), the input of `create-pipeline`, or the
 * pipeline object alone, in JSON or the same structure in YAML. JSON is read as YAML 1.2, so every
 * problem carries its file, line, column and key path, and all of them are reported at once.
 */
import { isMap } from 'yaml';
import { NagareError, SpecErrors } from '../core/errors.js';
import type { ExecutionMode, PipelineDefinition, PipelineType } from '../core/pipeline.js';
import { readAction } from './pipeline-actions.js';
import { refuseCloudFormation } from './pipeline-cloudformation.js';
import { NAME_RULE, located, mapItems, readChoice, readName, type MapItem } from './pipeline-fields.js';
import { checkStructure, type ReadStage } from './pipeline-structure.js';
import { readTriggers, readVariables, type ReadTrigger } from './pipeline-v2.js';
import { describe, inSourceOrder, readSpecDocument, type Field, type SpecReader } from './yaml-reader.js';

export const PIPELINE_KEYS = [
  'name', 'roleArn', 'artifactStore', 'artifactStores', 'pipelineType', 'executionMode', 'variables', 'triggers', 'stages', 'version',
] as const;
const WRAPPER_KEYS = ['pipeline', 'metadata', 'tags'] as const;
const STAGE_KEYS = ['name', 'actions', 'blockers', 'onFailure', 'onSuccess', 'beforeEntry'] as const;
const CONDITION_KEYS = ['onFailure', 'onSuccess', 'beforeEntry'];
const ARTIFACT_STORE_KEYS = ['type', 'location', 'encryptionKey'] as const;
const PIPELINE_TYPES: readonly PipelineType[] = ['V1', 'V2'];
const EXECUTION_MODES: readonly ExecutionMode[] = ['SUPERSEDED', 'QUEUED', 'PARALLEL'];

/**
 * Parses `text` (the content of `file`, used in messages) into a PipelineDefinition with every
 * default applied. `version` in the input is ignored (the server sets it; it is 1 here), and so is
 * `metadata`.
 * @throws SpecErrors listing every problem found, in source order, the first one as the headline.
 */
export function parsePipeline(text: string, file: string): PipelineDefinition {
  const { reader, root, contents } = readSpecDocument(text, file, 'pipeline definition');
  if (root === undefined) {
    throw new SpecErrors([new NagareError('SPEC_EMPTY', `${file} is empty; a pipeline definition needs at least \`name\` and \`stages\`.`, {
      position: { file, line: 1, column: 1, path: '' },
    })]);
  }
  if (!isMap(root)) {
    reader.report('SPEC_NOT_A_MAP', `A pipeline definition must be a map (\`{ "pipeline": { "name": …, "stages": […] } }\`), not ${describe(root)}.`, contents, '');
    throw new SpecErrors(reader.errors);
  }
  refuseCloudFormation(reader, root);
  const pipeline = unwrap(reader, root);
  const definition = pipeline === undefined ? undefined : readPipeline(reader, pipeline);
  if (reader.errors.length > 0 || definition === undefined) throw new SpecErrors(inSourceOrder(reader.errors));
  return definition;
}

/** The pipeline object: `pipeline` of get-pipeline's output, or the root itself. */
function unwrap(reader: SpecReader, root: unknown): unknown {
  const fields = reader.fields(root, '', 'A pipeline definition') ?? [];
  const wrapped = fields.find((field) => field.key === 'pipeline');
  if (!wrapped) return root;
  for (const field of fields) {
    if (!(WRAPPER_KEYS as readonly string[]).includes(field.key)) reader.unknownKey(field, WRAPPER_KEYS, 'the get-pipeline output (beside `pipeline`)');
  }
  if (!isMap(wrapped.value)) {
    reader.report('SPEC_INVALID_TYPE', `\`pipeline\` must be a map with \`name\` and \`stages\`, not ${describe(wrapped.value)}.`, wrapped.valueNode, wrapped.path);
    return undefined;
  }
  return wrapped.value;
}

function readPipeline(reader: SpecReader, node: unknown): PipelineDefinition {
  const fields = reader.fields(node, '', 'The pipeline') ?? [];
  const byKey = new Map(fields.map((field) => [field.key, field]));
  for (const field of fields) {
    if (!(PIPELINE_KEYS as readonly string[]).includes(field.key)) reader.unknownKey(field, PIPELINE_KEYS, 'the pipeline');
  }
  for (const key of ['name', 'stages']) {
    if (!byKey.has(key)) reader.report('SPEC_MISSING_KEY', `The pipeline has no \`${key}\`.`, node, '', { key });
  }
  const typeField = byKey.get('pipelineType');
  const pipelineType = (typeField ? readChoice(reader, typeField, '`pipelineType`', PIPELINE_TYPES) : undefined) ?? 'V1';
  const modeField = byKey.get('executionMode');
  const executionMode = (modeField ? readChoice(reader, modeField, '`executionMode`', EXECUTION_MODES) : undefined) ?? 'SUPERSEDED';
  if (modeField && executionMode !== 'SUPERSEDED' && pipelineType !== 'V2') {
    reader.report('SPEC_INVALID_PIPELINE', `\`executionMode: ${executionMode}\` needs a V2 pipeline; add \`"pipelineType": "V2"\` or use SUPERSEDED.`, modeField.valueNode, modeField.path);
  }
  const variablesField = byKey.get('variables');
  const triggersField = byKey.get('triggers');
  for (const field of [variablesField, triggersField]) {
    if (field && pipelineType !== 'V2' && isNonEmptyList(field)) {
      reader.report('SPEC_INVALID_PIPELINE', `\`${field.key}\` needs a V2 pipeline; add \`"pipelineType": "V2"\`.`, field.keyNode, field.path);
    }
  }
  const variables = variablesField ? readVariables(reader, variablesField) : [];
  const triggers: ReadTrigger[] = triggersField ? readTriggers(reader, triggersField) : [];
  const stagesField = byKey.get('stages');
  const stages = stagesField ? mapItems(reader, stagesField, '`stages`').map((item) => readStage(reader, item, pipelineType)) : [];
  if (stagesField) checkStructure(reader, stages, triggers, { node: stagesField.keyNode, path: stagesField.path });
  const nameField = byKey.get('name');
  return {
    name: (nameField ? readName(reader, nameField, 'The pipeline name', NAME_RULE) : undefined)?.text ?? '',
    pipelineType,
    executionMode,
    roleArn: optional(reader, byKey.get('roleArn'), '`roleArn`'),
    artifactStore: readArtifactStores(reader, byKey.get('artifactStore'), byKey.get('artifactStores')),
    variables,
    triggers: triggers.map((read) => read.trigger),
    stages: stages.map((stage) => ({ name: stage.name?.text ?? '', actions: stage.actions.map((action) => action.declaration) })),
    version: 1,
  };
}

function readStage(reader: SpecReader, item: MapItem, pipelineType: PipelineType): ReadStage {
  const fields = reader.fields(item.value, item.path, 'A stage') ?? [];
  const byKey = new Map(fields.map((field) => [field.key, field]));
  const nameField = byKey.get('name');
  const name = nameField ? readName(reader, nameField, 'The stage name', NAME_RULE) : undefined;
  const stageName = name?.text;
  for (const field of fields) {
    if (CONDITION_KEYS.includes(field.key)) {
      reader.report('UNSUPPORTED_FEATURE', `Stage conditions (\`${field.key}\` on stage \`${stageName ?? '?'}\`) are not supported by nagare yet; remove the block.`, field.keyNode, field.path, { feature: `stages.${field.key}` });
    } else if (!(STAGE_KEYS as readonly string[]).includes(field.key)) {
      reader.unknownKey(field, STAGE_KEYS, `stage \`${stageName ?? '?'}\``);
    }
  }
  if (!nameField) reader.report('SPEC_MISSING_KEY', 'A stage has no `name`; give it a name unique in the pipeline.', item.node, item.path, { key: 'name' });
  const actionsField = byKey.get('actions');
  if (!actionsField) reader.report('SPEC_MISSING_KEY', `Stage \`${stageName ?? '?'}\` has no \`actions\`.`, item.node, item.path, { key: 'actions' });
  const actions = actionsField ? mapItems(reader, actionsField, `\`actions\` of stage \`${stageName ?? '?'}\``).map((action) => readAction(reader, action, stageName, pipelineType)) : [];
  const at = actionsField ? { node: actionsField.keyNode, path: actionsField.path } : { node: item.node, path: item.path };
  return { name, node: at.node, path: at.path, actions, actionsWritten: actionsField !== undefined };
}

function readArtifactStores(reader: SpecReader, single: Field | undefined, perRegion: Field | undefined): PipelineDefinition['artifactStore'] {
  if (single && perRegion) {
    reader.report('SPEC_INVALID_PIPELINE', 'The pipeline has both `artifactStore` and `artifactStores`; keep one (`artifactStores` is for cross-region pipelines).', perRegion.keyNode, perRegion.path);
  }
  if (perRegion) reader.fields(perRegion.value, perRegion.path, '`artifactStores`', perRegion.keyNode);
  if (!single) return undefined;
  const fields = reader.fields(single.value, single.path, '`artifactStore`', single.keyNode) ?? [];
  for (const field of fields) {
    if (!(ARTIFACT_STORE_KEYS as readonly string[]).includes(field.key)) reader.unknownKey(field, ARTIFACT_STORE_KEYS, '`artifactStore`');
  }
  const type = fields.find((field) => field.key === 'type');
  const location = fields.find((field) => field.key === 'location');
  const typeText = type ? located(reader, type, '`artifactStore.type`')?.text : undefined;
  const locationText = location ? located(reader, location, '`artifactStore.location`')?.text : undefined;
  return typeText !== undefined && locationText !== undefined ? { type: typeText, location: locationText } : undefined;
}

function optional(reader: SpecReader, field: Field | undefined, what: string): string | undefined {
  return field ? located(reader, field, what)?.text : undefined;
}

function isNonEmptyList(field: Field): boolean {
  const value = field.value as { items?: unknown[] } | undefined;
  return value?.items === undefined || value.items.length > 0;
}
