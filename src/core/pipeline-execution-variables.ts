/**
 * `#{namespace.variable}` references in action configuration (reference §3.8), resolved just
 * before the action starts. A reference that cannot be resolved is a result (the action fails with
 * a message naming it), never an exception.
 */
import type { PipelineDefinition } from './pipeline.js';

export interface VariableScope {
  readonly executionId: string;
  /** Pipeline variables (`#{variables.<name>}`). */
  readonly pipelineVariables: Readonly<Record<string, string>>;
  /** Output variables by action namespace, of actions that have succeeded. */
  readonly namespaces: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Namespaces of actions that run strictly before the consumer. */
  readonly visible: ReadonlySet<string>;
}

export type Resolution = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly message: string };

/** AWS limit on a configuration value after substitution. */
export const MAX_RESOLVED_VALUE_LENGTH = 1000;

const REFERENCE = /#\{([^}]*)\}/g;

/** Resolves every reference in `text`; the first unresolvable one makes the whole value fail. */
export function resolveReferences(text: string, scope: VariableScope): Resolution {
  let failure: string | undefined;
  const value = text.replace(REFERENCE, (whole, inner: string) => {
    const found = lookup(inner, scope);
    if (found === undefined) {
      failure ??= `unresolved variable reference ${whole}: ${whyUnresolved(inner, scope)}`;
      return whole;
    }
    return found;
  });
  return failure === undefined ? { ok: true, value } : { ok: false, message: failure };
}

/** Resolves each value of a configuration map; fails on the first bad one, naming its key. */
export function resolveConfiguration(configuration: Readonly<Record<string, string>>, scope: VariableScope): { ok: true; value: Record<string, string> } | { ok: false; message: string } {
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(configuration)) {
    const r = resolveReferences(raw, scope);
    if (!r.ok) return { ok: false, message: `configuration ${key}: ${r.message}` };
    if (r.value.length > MAX_RESOLVED_VALUE_LENGTH) {
      return { ok: false, message: `configuration ${key}: ${r.value.length} characters after variable substitution (at most ${MAX_RESOLVED_VALUE_LENGTH})` };
    }
    out[key] = r.value;
  }
  return { ok: true, value: out };
}

/** Namespaces of actions that run strictly before (stage index, runOrder): earlier stage, or same stage with a lower runOrder. */
export function namespacesBefore(definition: PipelineDefinition, stageIndex: number, runOrder: number): Set<string> {
  const visible = new Set<string>();
  definition.stages.forEach((stage, i) => {
    for (const action of stage.actions) {
      if (!action.namespace) continue;
      if (i < stageIndex || (i === stageIndex && action.runOrder < runOrder)) visible.add(action.namespace);
    }
  });
  return visible;
}

function split(inner: string): [string, string] | undefined {
  const dot = inner.indexOf('.');
  if (dot <= 0 || dot === inner.length - 1) return undefined;
  return [inner.slice(0, dot), inner.slice(dot + 1)];
}

function lookup(inner: string, scope: VariableScope): string | undefined {
  const parts = split(inner);
  if (!parts) return undefined;
  const [namespace, name] = parts;
  if (namespace === 'codepipeline') return name === 'PipelineExecutionId' ? scope.executionId : undefined;
  if (namespace === 'variables') return own(scope.pipelineVariables, name);
  if (!scope.visible.has(namespace)) return undefined;
  const produced = own(scope.namespaces, namespace);
  return produced ? own(produced, name) : undefined;
}

function whyUnresolved(inner: string, scope: VariableScope): string {
  const parts = split(inner);
  if (!parts) return 'a reference has the form namespace.variable';
  const [namespace, name] = parts;
  if (namespace === 'codepipeline') return `codepipeline has no variable ${name} (only PipelineExecutionId)`;
  if (namespace === 'variables') return `the pipeline has no variable ${name} with a value`;
  if (!scope.visible.has(namespace)) return `no action with namespace ${namespace} runs before this action`;
  if (!own(scope.namespaces, namespace)) return `namespace ${namespace} has produced no variables`;
  return `namespace ${namespace} has no variable ${name}`;
}

function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}
