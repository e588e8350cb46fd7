/**
 * What each action provider nagare runs requires (reference §3.2): configuration keys, artifact
 * counts, the Commands action's `commands`, the manual approval timeout. Providers nagare does
 * not run are rejected with UNSUPPORTED_FEATURE naming the provider and the action.
 */
import { DEFAULT_APPROVAL_TIMEOUT_MINUTES } from '../core/pipeline.js';
import type { ActionParts } from './pipeline-action-parts.js';
import { readInteger } from './pipeline-fields.js';
import { describe, type Field, type SpecReader } from './yaml-reader.js';
import { isSeq } from 'yaml';

interface ProviderRule {
  readonly categories: readonly string[];
  readonly keys: readonly string[];
  readonly required: readonly string[];
  readonly inputs: readonly [number, number];
  readonly outputs: readonly [number, number];
}

const PROVIDERS: Readonly<Record<string, ProviderRule>> = {
  CodeCommit: { categories: ['Source'], keys: ['RepositoryName', 'BranchName', 'PollForSourceChanges', 'OutputArtifactFormat'], required: ['RepositoryName', 'BranchName'], inputs: [0, 0], outputs: [1, 1] },
  CodeBuild: { categories: ['Build', 'Test'], keys: ['ProjectName', 'PrimarySource', 'EnvironmentVariables', 'BatchEnabled', 'CombineArtifacts'], required: ['ProjectName'], inputs: [1, 5], outputs: [0, 5] },
  Manual: { categories: ['Approval'], keys: ['NotificationArn', 'ExternalEntityLink', 'CustomData'], required: [], inputs: [0, 0], outputs: [0, 0] },
  Commands: { categories: ['Compute'], keys: [], required: [], inputs: [1, 10], outputs: [0, 1] },
};
const ENVIRONMENT_VARIABLE_TYPES = ['PLAINTEXT', 'PARAMETER_STORE', 'SECRETS_MANAGER'];
const OUTPUT_ARTIFACT_FORMATS = ['CODE_ZIP', 'CODEBUILD_CLONE_REF'];
const MAX_COMMANDS = 50;

export interface ProviderResult {
  readonly commands: readonly string[];
  readonly timeoutInMinutes: number | undefined;
}

/** Checks `parts` against its provider's rules; reports what is wrong or not supported. */
export function checkProvider(reader: SpecReader, parts: ActionParts): ProviderResult {
  for (const key of ['outputVariables', 'environmentVariables']) {
    const field = parts.byKey.get(key);
    if (field) reader.report('UNSUPPORTED_FEATURE', `\`${key}\` on the ${parts.label} is not supported by nagare yet; remove it.`, field.keyNode, field.path, { feature: key });
  }
  const provider = parts.provider?.text;
  const rule = provider === undefined ? undefined : PROVIDERS[provider];
  const runnable = parts.category !== undefined && parts.owner !== undefined && provider !== undefined && supported(reader, parts, rule);
  const runs = runnable ? provider : undefined;
  const commands = readCommands(reader, parts, runs);
  const timeoutInMinutes = readTimeout(reader, parts, runs);
  if (!runnable || !rule) return { commands, timeoutInMinutes };
  if (parts.version && parts.version.text !== '1') {
    reader.report('SPEC_INVALID_VALUE', `The ${parts.label} asks for version \`${parts.version.text}\` of ${provider}; the only version is "1".`, parts.version.node, parts.version.path);
  }
  checkConfiguration(reader, parts, rule);
  checkCounts(reader, parts, rule);
  if (provider === 'CodeBuild') checkCodeBuild(reader, parts);
  if (provider === 'CodeCommit') checkCodeCommit(reader, parts);
  if (provider === 'Commands' && parts.pipelineType !== 'V2') {
    reader.report('SPEC_INVALID_PIPELINE', `The ${parts.label} is a Commands action, which needs a V2 pipeline; add \`"pipelineType": "V2"\`.`, parts.provider?.node, parts.provider?.path ?? parts.path);
  }
  return { commands, timeoutInMinutes };
}

function supported(reader: SpecReader, parts: ActionParts, rule: ProviderRule | undefined): boolean {
  const provider = parts.provider;
  if (!provider) return false;
  const feature = { feature: `${parts.category ?? ''}/${parts.owner ?? ''}/${provider.text}` };
  if (parts.category === 'Deploy' && provider.text === 'CodeDeploy' && parts.owner === 'AWS') {
    reader.report('UNSUPPORTED_FEATURE', `The ${parts.label} deploys with CodeDeploy; nagare does not run deployments yet. Remove the action (or its stage) until deployments are built.`, provider.node, provider.path, feature);
    return false;
  }
  if (parts.owner !== 'AWS' || !rule) {
    reader.report('UNSUPPORTED_FEATURE', `The ${parts.label} uses the ${parts.owner ?? ''} provider \`${provider.text}\`, which nagare does not run; nagare runs AWS CodeCommit sources, CodeBuild builds and tests, Manual approvals and Commands.`, provider.node, provider.path, feature);
    return false;
  }
  if (parts.category !== undefined && !rule.categories.includes(parts.category)) {
    reader.report('SPEC_INVALID_VALUE', `The ${parts.label} has category ${parts.category}, but ${provider.text} is a ${rule.categories.join(' or ')} provider.`, provider.node, provider.path);
    return false;
  }
  return true;
}

function checkConfiguration(reader: SpecReader, parts: ActionParts, rule: ProviderRule): void {
  for (const field of parts.configuration) {
    if (!rule.keys.includes(field.key)) {
      const allowed = rule.keys.length > 0 ? rule.keys : ['(none)'];
      reader.unknownKey(field, allowed, `the configuration of the ${parts.label} (${parts.provider?.text ?? ''})`);
    }
  }
  const configuration = parts.byKey.get('configuration');
  for (const key of rule.required) {
    // A key written with an invalid value was reported already; it is not also missing.
    if (parts.configurationKeys.has(key)) continue;
    reader.report('SPEC_MISSING_KEY', `The ${parts.label} (${parts.provider?.text ?? ''}) needs \`configuration.${key}\`.`, configuration?.keyNode ?? parts.node, configuration?.path ?? parts.path, { key });
  }
}

function checkCounts(reader: SpecReader, parts: ActionParts, rule: ProviderRule): void {
  const provider = parts.provider?.text ?? '';
  for (const [kind, artifacts, [min, max]] of [['input', parts.inputs, rule.inputs], ['output', parts.outputs, rule.outputs]] as const) {
    if (artifacts.length >= min && artifacts.length <= max) continue;
    const field = parts.byKey.get(`${kind}Artifacts`);
    const allowed = min === max ? `exactly ${min}` : `${min} to ${max}`;
    reader.report('SPEC_INVALID_PIPELINE', `The ${parts.label} has ${artifacts.length} ${kind} artifact(s); a ${provider} action takes ${allowed}.`, field?.keyNode ?? parts.node, field?.path ?? parts.path);
  }
}

function configurationField(parts: ActionParts, key: string): Field | undefined {
  return parts.configuration.find((field) => field.key === key);
}

function checkCodeBuild(reader: SpecReader, parts: ActionParts): void {
  const primary = configurationField(parts, 'PrimarySource');
  if (parts.inputs.length > 1 && !primary) {
    reader.report('SPEC_MISSING_KEY', `The ${parts.label} has ${parts.inputs.length} input artifacts, so it needs \`configuration.PrimarySource\` naming the one whose buildspec runs.`, parts.byKey.get('configuration')?.keyNode ?? parts.node, parts.byKey.get('configuration')?.path ?? parts.path, { key: 'PrimarySource' });
  }
  const primaryName = primary ? reader.text(primary, 'PrimarySource') : undefined;
  if (primary && primaryName !== undefined && !parts.inputs.some((input) => input.text === primaryName)) {
    reader.report('SPEC_INVALID_VALUE', `\`PrimarySource\` of the ${parts.label} is \`${primaryName}\`, which is not one of its input artifacts (${parts.inputs.map((input) => input.text).join(', ') || 'none'}).`, primary.valueNode, primary.path);
  }
  const batch = configurationField(parts, 'BatchEnabled');
  if (batch && reader.text(batch, 'BatchEnabled')?.toLowerCase() === 'true') {
    reader.report('UNSUPPORTED_FEATURE', `\`BatchEnabled\` on the ${parts.label}: batch builds are not supported by nagare yet; remove it.`, batch.valueNode, batch.path, { feature: 'BatchEnabled' });
  }
  const variables = configurationField(parts, 'EnvironmentVariables');
  if (variables) checkEnvironmentVariables(reader, variables, parts.label);
}

/** `EnvironmentVariables` is a JSON array, in a string, of `{ name, value, type? }`. */
function checkEnvironmentVariables(reader: SpecReader, field: Field, label: string): void {
  const text = reader.text(field, 'EnvironmentVariables') ?? '';
  const fail = (why: string): void => {
    reader.report('SPEC_INVALID_VALUE', `\`EnvironmentVariables\` of the ${label} must be a JSON array of {"name","value","type"} in a string; ${why}.`, field.valueNode, field.path);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('it is not valid JSON');
  }
  if (!Array.isArray(parsed)) return fail('it is not an array');
  for (const [index, variable] of parsed.entries()) {
    if (typeof variable !== 'object' || variable === null || Array.isArray(variable)) return fail(`item ${index} is not an object`);
    const { name, value, type, ...rest } = variable as Record<string, unknown>;
    const extra = Object.keys(rest)[0];
    if (extra !== undefined) return fail(`item ${index} has the unknown key "${extra}"`);
    if (typeof name !== 'string' || name === '') return fail(`item ${index} has no "name"`);
    if (typeof value !== 'string') return fail(`"${name}" has no string "value"`);
    if (type !== undefined && (typeof type !== 'string' || !ENVIRONMENT_VARIABLE_TYPES.includes(type))) {
      return fail(`"${name}" has type ${JSON.stringify(type)}, not one of ${ENVIRONMENT_VARIABLE_TYPES.join(', ')}`);
    }
  }
}

function checkCodeCommit(reader: SpecReader, parts: ActionParts): void {
  const format = configurationField(parts, 'OutputArtifactFormat');
  const formatText = format ? reader.text(format, 'OutputArtifactFormat') : undefined;
  if (format && formatText !== undefined && !OUTPUT_ARTIFACT_FORMATS.includes(formatText)) {
    reader.report('SPEC_INVALID_VALUE', `\`OutputArtifactFormat\` of the ${parts.label} is \`${formatText}\`, not one of ${OUTPUT_ARTIFACT_FORMATS.join(', ')}.`, format.valueNode, format.path);
  }
  const poll = configurationField(parts, 'PollForSourceChanges');
  const pollText = poll ? reader.text(poll, 'PollForSourceChanges')?.toLowerCase() : undefined;
  if (poll && pollText !== undefined && pollText !== 'true' && pollText !== 'false') {
    reader.report('SPEC_INVALID_VALUE', `\`PollForSourceChanges\` of the ${parts.label} must be true or false, not \`${pollText}\`.`, poll.valueNode, poll.path);
  }
}

/** The Commands action's `commands`: 1–50 single-line commands of 1–1000 characters. */
function readCommands(reader: SpecReader, parts: ActionParts, provider: string | undefined): string[] {
  const isCommands = provider === 'Commands';
  const field = parts.byKey.get('commands');
  if (!field) {
    if (isCommands) reader.report('SPEC_MISSING_KEY', `The ${parts.label} is a Commands action and needs \`commands\`: a list of shell commands.`, parts.node, parts.path, { key: 'commands' });
    return [];
  }
  if (!isCommands) {
    if (provider !== undefined) reader.report('SPEC_INVALID_PIPELINE', `\`commands\` is only for Commands actions (Compute/AWS/Commands); the ${parts.label} is ${provider}.`, field.keyNode, field.path);
    return [];
  }
  if (field.value !== undefined && !isSeq(field.value)) {
    reader.report('SPEC_INVALID_TYPE', `\`commands\` of the ${parts.label} must be a list of commands, not ${describe(field.value)}.`, field.valueNode, field.path);
    return [];
  }
  const items = reader.textItems(field, `\`commands\` of the ${parts.label}`, { scalarAllowed: false }) ?? [];
  if (items.length === 0 || items.length > MAX_COMMANDS) {
    reader.report('SPEC_INVALID_VALUE', `\`commands\` of the ${parts.label} has ${items.length} commands; a Commands action takes 1 to ${MAX_COMMANDS}.`, field.valueNode, field.path);
  }
  for (const item of items) {
    if (item.text === '' || item.text.length > 1000 || item.text.includes('\n')) {
      reader.report('SPEC_INVALID_VALUE', `Each command of the ${parts.label} must be one line of 1 to 1000 characters.`, item.node, item.path);
    }
  }
  return items.map((item) => item.text);
}

function readTimeout(reader: SpecReader, parts: ActionParts, provider: string | undefined): number | undefined {
  const isManual = provider === 'Manual';
  const field = parts.byKey.get('timeoutInMinutes');
  if (!field) return isManual ? DEFAULT_APPROVAL_TIMEOUT_MINUTES : undefined;
  if (!isManual) {
    if (provider !== undefined) reader.report('SPEC_INVALID_PIPELINE', `\`timeoutInMinutes\` is only for manual approval actions; the ${parts.label} is ${provider}. Remove it.`, field.keyNode, field.path);
    return undefined;
  }
  const what = `\`timeoutInMinutes\` of the ${parts.label}`;
  return readInteger(reader, field, what, { min: 5, max: 86400 }) ?? DEFAULT_APPROVAL_TIMEOUT_MINUTES;
}
