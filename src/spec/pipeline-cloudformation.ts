/**
 * A pipeline written as a CloudFormation template (`AWSTemplateFormatVersion`, `Resources` with
 * an `AWS::CodePipeline::Pipeline`, or that resource alone with `Type` and `Properties`) is
 * recognised and refused in one message saying what it is and how to bring it in, instead of a
 * list of unknown keys and unknown `!Ref` tags. Reading templates is left to a later issue.
 */
import { isMap, isScalar } from 'yaml';
import { NagareError, SpecErrors } from '../core/errors.js';
import type { SpecReader } from './yaml-reader.js';

const PIPELINE_RESOURCE = 'AWS::CodePipeline::Pipeline';

/** Throws the refusal when `root` is shaped like a CloudFormation template; returns otherwise. */
export function refuseCloudFormation(reader: SpecReader, root: unknown): void {
  if (!isMap(root)) return;
  const keyOf = (pair: { key: unknown }): string | undefined => (isScalar(pair.key) ? String(pair.key.value) : undefined);
  const top = new Map(root.items.map((pair) => [keyOf(pair) ?? '', pair]));
  const resource = top.get('Type');
  const typeText = resource && isScalar(resource.value) ? String(resource.value.value) : undefined;
  const template = top.get('AWSTemplateFormatVersion') ?? top.get('Resources') ?? (typeText?.startsWith('AWS::') && top.has('Properties') ? resource : undefined);
  if (!template) return;
  const names = pipelineResources(top.get('Resources')?.value);
  const which = typeText === PIPELINE_RESOURCE ? `an ${PIPELINE_RESOURCE} resource`
    : names.length > 0 ? `a CloudFormation template with the ${PIPELINE_RESOURCE} resource${names.length > 1 ? 's' : ''} ${names.map((name) => `\`${name}\``).join(', ')}`
      : 'a CloudFormation template';
  const position = reader.positionOf(template.key, keyOf(template) ?? '');
  throw new SpecErrors([new NagareError('UNSUPPORTED_FEATURE',
    `${reader.file} is ${which}, not a pipeline definition; nagare does not read CloudFormation templates yet. ` +
    'To bring the pipeline in, export its structure where the stack is deployed (`aws codepipeline get-pipeline --name NAME > pipeline.json`), ' +
    "or write the resource's Properties in get-pipeline's shape (`Name` → `name`, `Stages` → `stages`, `Actions` → `actions`, `ActionTypeId` → `actionTypeId`, …, with `!Ref`/`!Sub` values written out), " +
    'then `nagare pipeline apply -f pipeline.json`.',
    { position, details: { feature: 'CloudFormation' } })]);
}

function pipelineResources(resources: unknown): string[] {
  if (!isMap(resources)) return [];
  return resources.items.flatMap((pair) => {
    const body = pair.value;
    if (!isScalar(pair.key) || !isMap(body)) return [];
    const type = body.items.find((item) => isScalar(item.key) && item.key.value === 'Type')?.value;
    return isScalar(type) && type.value === PIPELINE_RESOURCE ? [String(pair.key.value)] : [];
  });
}
