/**
 * The rules of reference §3.1 that span several stages and actions: the source stage, unique
 * names, artifacts flowing only forwards, namespaces, and triggers naming source actions. Each
 * problem is reported at the stage, action or key it is about, naming them.
 */
import type { ReadAction } from './pipeline-actions.js';
import { actionLabel, type Located } from './pipeline-fields.js';
import type { ReadTrigger } from './pipeline-v2.js';
import type { SpecReader } from './yaml-reader.js';

export interface ReadStage {
  readonly name: Located | undefined;
  readonly node: unknown;
  readonly path: string;
  readonly actions: readonly ReadAction[];
  /** False when `actions` is missing (reported as missing, not again as empty). */
  readonly actionsWritten: boolean;
}

const RESERVED_NAMESPACES = ['codepipeline', 'variables'];

export function checkStructure(reader: SpecReader, stages: readonly ReadStage[], triggers: readonly ReadTrigger[], stagesAt: { node: unknown; path: string }): void {
  if (stages.length < 2) {
    reader.report('SPEC_INVALID_PIPELINE', `A pipeline needs at least 2 stages (a source stage, then one that builds, tests or approves); this one has ${stages.length}.`, stagesAt.node, stagesAt.path);
  }
  checkUniqueStageNames(reader, stages);
  stages.forEach((stage, index) => {
    checkUniqueActionNames(reader, stage);
    checkSourcePlacement(reader, stage, index);
  });
  const actions = stages.flatMap((stage) => stage.actions);
  const categories = actions.map((action) => action.category);
  if (stages.length >= 2 && stages.every((stage) => stage.actions.length > 0) && categories.every((category) => category === 'Source')) {
    reader.report('SPEC_INVALID_PIPELINE', 'The pipeline has only source actions; add at least one action that builds, tests, approves or runs commands.', stagesAt.node, stagesAt.path);
  }
  checkArtifacts(reader, stages);
  checkNamespaces(reader, actions);
  checkTriggers(reader, stages[0], triggers);
}

function checkUniqueStageNames(reader: SpecReader, stages: readonly ReadStage[]): void {
  const seen = new Set<string>();
  for (const stage of stages) {
    if (!stage.name) continue;
    if (seen.has(stage.name.text)) {
      reader.report('SPEC_INVALID_PIPELINE', `Two stages are named \`${stage.name.text}\`; stage names must be unique in a pipeline.`, stage.name.node, stage.name.path);
    }
    seen.add(stage.name.text);
  }
}

function checkUniqueActionNames(reader: SpecReader, stage: ReadStage): void {
  const seen = new Set<string>();
  for (const action of stage.actions) {
    if (!action.name) continue;
    if (seen.has(action.name.text)) {
      reader.report('SPEC_INVALID_PIPELINE', `Stage \`${stage.name?.text ?? '?'}\` has two actions named \`${action.name.text}\`; action names must be unique in their stage.`, action.name.node, action.name.path);
    }
    seen.add(action.name.text);
  }
}

/** Only the first stage holds source actions, and it holds nothing else. */
function checkSourcePlacement(reader: SpecReader, stage: ReadStage, index: number): void {
  const stageName = stage.name?.text ?? '?';
  if (stage.actions.length === 0) {
    if (!stage.actionsWritten) return;
    reader.report('SPEC_INVALID_PIPELINE', `Stage \`${stageName}\` has no actions; every stage needs at least one.`, stage.node, stage.path);
    return;
  }
  for (const action of stage.actions) {
    if (action.category === undefined) continue;
    const at = action.categoryAt ?? { node: action.node, path: action.path };
    const label = actionLabel(stageName, action.name?.text);
    if (index === 0 && action.category !== 'Source') {
      reader.report('SPEC_INVALID_PIPELINE', `The first stage may hold only source actions, but ${label} is a ${action.category} action; move it to a later stage.`, at.node, at.path);
    } else if (index > 0 && action.category === 'Source') {
      reader.report('SPEC_INVALID_PIPELINE', `The ${label} is a source action outside the first stage; source actions belong in the first stage only.`, at.node, at.path);
    }
  }
}

/** Every input is the output of an action that runs earlier; output names are unique. */
function checkArtifacts(reader: SpecReader, stages: readonly ReadStage[]): void {
  const producers = new Map<string, { action: ReadAction; stage: ReadStage }>();
  for (const stage of stages) {
    for (const action of stage.actions) {
      for (const output of action.outputs) {
        const first = producers.get(output.text);
        if (first) {
          reader.report('SPEC_INVALID_PIPELINE', `The ${actionLabel(stage.name?.text, action.name?.text)} outputs \`${output.text}\`, which ${actionLabel(first.stage.name?.text, first.action.name?.text)} outputs already; output artifact names must be unique in the pipeline.`, output.node, output.path);
        } else {
          producers.set(output.text, { action, stage });
        }
      }
    }
  }
  const available = new Set<string>();
  for (const stage of stages) {
    const runOrders = [...new Set(stage.actions.map((action) => action.declaration.runOrder))].sort((a, b) => a - b);
    for (const runOrder of runOrders) {
      const group = stage.actions.filter((action) => action.declaration.runOrder === runOrder);
      for (const action of group) {
        for (const input of action.inputs) {
          if (!available.has(input.text)) reportMissingInput(reader, stage, action, input, producers.get(input.text));
        }
      }
      for (const action of group) for (const output of action.outputs) available.add(output.text);
    }
  }
}

function reportMissingInput(reader: SpecReader, stage: ReadStage, action: ReadAction, input: Located, producer: { action: ReadAction; stage: ReadStage } | undefined): void {
  const label = actionLabel(stage.name?.text, action.name?.text);
  const why = producer
    ? `it is output by ${actionLabel(producer.stage.name?.text, producer.action.name?.text)}, which does not run before it (an earlier stage, or a lower runOrder in the same stage)`
    : 'no action outputs it';
  reader.report('SPEC_INVALID_PIPELINE', `Missing input artifact: the ${label} takes \`${input.text}\`, but ${why}.`, input.node, input.path, { artifact: input.text });
}

function checkNamespaces(reader: SpecReader, actions: readonly ReadAction[]): void {
  const artifacts = new Set(actions.flatMap((action) => action.outputs.map((output) => output.text)));
  const seen = new Set<string>();
  for (const action of actions) {
    const namespace = action.namespace;
    if (!namespace) continue;
    const label = actionLabel(action.stageName, action.name?.text);
    if (RESERVED_NAMESPACES.includes(namespace.text)) {
      reader.report('SPEC_INVALID_VALUE', `The namespace \`${namespace.text}\` of the ${label} is reserved (\`#{${namespace.text}.…}\` means something else); choose another.`, namespace.node, namespace.path);
    } else if (seen.has(namespace.text)) {
      reader.report('SPEC_INVALID_PIPELINE', `The namespace \`${namespace.text}\` of the ${label} is used by another action; namespaces must be unique in the pipeline.`, namespace.node, namespace.path);
    } else if (artifacts.has(namespace.text)) {
      reader.report('SPEC_INVALID_PIPELINE', `The namespace \`${namespace.text}\` of the ${label} is also an artifact name; namespaces and artifact names must differ.`, namespace.node, namespace.path);
    }
    seen.add(namespace.text);
  }
}

/** Each trigger names a source action of the first stage, at most one trigger per source action. */
function checkTriggers(reader: SpecReader, sourceStage: ReadStage | undefined, triggers: readonly ReadTrigger[]): void {
  const sources = (sourceStage?.actions ?? []).filter((action) => action.category === 'Source').map((action) => action.name?.text);
  const seen = new Set<string>();
  for (const { sourceActionName: name } of triggers) {
    if (!sources.includes(name.text)) {
      const known = sources.length > 0 ? ` Source actions: ${sources.join(', ')}.` : '';
      reader.report('SPEC_INVALID_PIPELINE', `The trigger names \`${name.text}\`, which is not a source action of the first stage.${known}`, name.node, name.path);
    } else if (seen.has(name.text)) {
      reader.report('SPEC_INVALID_PIPELINE', `Source action \`${name.text}\` has two triggers; give each source action one trigger with up to 3 push filters.`, name.node, name.path);
    }
    seen.add(name.text);
  }
}
