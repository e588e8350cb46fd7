/**
 * What applying a definition changes, as a person reads it before and after `nagare pipeline
 * apply`: pipeline settings, stages and actions added, removed or changed (with the fields that
 * differ). Pure: two definitions in, a list out.
 */
import type { ActionDeclaration, PipelineDefinition, StageDeclaration } from '../core/pipeline.js';

export interface PipelineChange {
  readonly change: 'added' | 'removed' | 'changed';
  readonly kind: 'pipeline' | 'stage' | 'action';
  /** `Stage` for a stage, `Stage/Action` for an action, the field for a pipeline setting. */
  readonly name: string;
  /** For changes: which fields differ. */
  readonly fields?: readonly string[];
  /** One line: `+ stage Deploy (actions: Deploy)`, `~ action Build/Build: configuration`. */
  readonly summary: string;
}

const PIPELINE_FIELDS = ['pipelineType', 'executionMode', 'roleArn', 'artifactStore', 'variables', 'triggers'] as const;
const ACTION_FIELDS = ['actionTypeId', 'runOrder', 'configuration', 'commands', 'inputArtifacts', 'outputArtifacts', 'namespace', 'region', 'roleArn', 'timeoutInMinutes'] as const;

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const show = (value: unknown): string => (value === undefined ? '(none)' : typeof value === 'string' ? value : JSON.stringify(value));

/** Every difference from `previous` (undefined for a new pipeline) to `current`, in definition order. */
export function pipelineChanges(previous: PipelineDefinition | undefined, current: PipelineDefinition): PipelineChange[] {
  if (!previous) return current.stages.map(stageAdded);
  const changes: PipelineChange[] = [];
  for (const field of PIPELINE_FIELDS) {
    if (same(previous[field], current[field])) continue;
    const simple = typeof current[field] === 'string' || current[field] === undefined;
    changes.push({ change: 'changed', kind: 'pipeline', name: field, summary: `~ ${field}${simple ? `: ${show(previous[field])} → ${show(current[field])}` : ' changed'}` });
  }
  const before = new Map(previous.stages.map((s) => [s.name, s]));
  const after = new Set(current.stages.map((s) => s.name));
  const kept = current.stages.filter((s) => before.has(s.name)).map((s) => s.name);
  const keptBefore = previous.stages.filter((s) => after.has(s.name)).map((s) => s.name);
  if (!same(kept, keptBefore)) changes.push({ change: 'changed', kind: 'pipeline', name: 'stages', summary: `~ stage order: ${kept.join(' → ')}` });
  for (const stage of previous.stages) {
    if (!after.has(stage.name)) changes.push({ change: 'removed', kind: 'stage', name: stage.name, summary: `- stage ${stage.name}` });
  }
  for (const stage of current.stages) {
    const old = before.get(stage.name);
    if (old) changes.push(...actionChanges(old, stage));
    else changes.push(stageAdded(stage));
  }
  return changes;
}

function stageAdded(stage: StageDeclaration): PipelineChange {
  return { change: 'added', kind: 'stage', name: stage.name, summary: `+ stage ${stage.name} (actions: ${stage.actions.map((a) => a.name).join(', ')})` };
}

function actionChanges(previous: StageDeclaration, current: StageDeclaration): PipelineChange[] {
  const changes: PipelineChange[] = [];
  const before = new Map(previous.actions.map((a) => [a.name, a]));
  const after = new Set(current.actions.map((a) => a.name));
  for (const action of previous.actions) {
    if (!after.has(action.name)) changes.push({ change: 'removed', kind: 'action', name: `${current.name}/${action.name}`, summary: `- action ${current.name}/${action.name}` });
  }
  for (const action of current.actions) {
    const name = `${current.name}/${action.name}`;
    const old = before.get(action.name);
    if (!old) {
      changes.push({ change: 'added', kind: 'action', name, summary: `+ action ${name} (${describeType(action)})` });
      continue;
    }
    const fields = ACTION_FIELDS.filter((field) => !same(old[field], action[field]));
    if (fields.length > 0) changes.push({ change: 'changed', kind: 'action', name, fields, summary: `~ action ${name}: ${fields.join(', ')}` });
  }
  return changes;
}

function describeType(action: ActionDeclaration): string {
  return `${action.actionTypeId.category} ${action.actionTypeId.provider}`;
}
