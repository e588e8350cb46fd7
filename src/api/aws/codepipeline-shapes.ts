/**
 * nagare's compiled pipeline definitions and execution views in the shapes of the AWS
 * CodePipeline API reference (`PipelineDeclaration`, `StageState`, `PipelineExecution` …). The
 * views of core/pipeline-execution-views.ts keep epoch milliseconds; the AWS JSON API sends epoch
 * seconds and the native API ISO strings, both through `withTimes`.
 */
import type { ActionDeclaration, GlobFilter, PipelineDefinition } from '../../core/pipeline.js';

type Json = Record<string, unknown>;

/** The time fields of the execution views (all of them epoch milliseconds). */
const TIME_KEYS = new Set(['lastChangedAt', 'lastStatusChange', 'created', 'updated', 'startTime', 'lastUpdateTime', 'expiresAt']);

/** A copy of a view with every time field converted (seconds for AWS, ISO strings natively). */
export function withTimes<T>(value: T, convert: (ms: number) => unknown): T {
  if (Array.isArray(value)) return value.map((item: unknown) => withTimes(item, convert)) as T;
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, TIME_KEYS.has(key) && typeof item === 'number' ? convert(item) : withTimes(item, convert)]),
  ) as T;
}

export const toEpochSeconds = (ms: number): number => ms / 1000;
export const toIso = (ms: number): string => new Date(ms).toISOString();

function glob(filter: GlobFilter | undefined): Json | undefined {
  return filter ? { includes: [...filter.includes], ...(filter.excludes.length > 0 ? { excludes: [...filter.excludes] } : {}) } : undefined;
}

function defined(fields: Json): Json {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

function actionDeclaration(action: ActionDeclaration): Json {
  return defined({
    name: action.name,
    actionTypeId: { ...action.actionTypeId },
    runOrder: action.runOrder,
    configuration: { ...action.configuration },
    commands: action.commands.length > 0 ? [...action.commands] : undefined,
    inputArtifacts: action.inputArtifacts.map((name) => ({ name })),
    outputArtifacts: action.outputArtifacts.map((name) => ({ name })),
    namespace: action.namespace,
    region: action.region,
    roleArn: action.roleArn,
    timeoutInMinutes: action.timeoutInMinutes,
  });
}

/**
 * A compiled definition back as AWS's `PipelineDeclaration`: what GetPipeline answers and what
 * `parsePipeline` reads again into the same definition (defaults written out).
 */
export function pipelineDeclaration(definition: PipelineDefinition): Json {
  return defined({
    name: definition.name,
    roleArn: definition.roleArn,
    artifactStore: definition.artifactStore ? { ...definition.artifactStore } : undefined,
    pipelineType: definition.pipelineType,
    executionMode: definition.executionMode,
    variables: definition.variables.length > 0 ? definition.variables.map((v) => defined({ name: v.name, defaultValue: v.defaultValue, description: v.description })) : undefined,
    triggers: definition.triggers.length > 0
      ? definition.triggers.map((t) => ({
          providerType: t.providerType,
          gitConfiguration: { sourceActionName: t.sourceActionName, push: t.push.map((p) => defined({ branches: glob(p.branches), tags: glob(p.tags), filePaths: glob(p.filePaths) })) },
        }))
      : undefined,
    stages: definition.stages.map((stage) => ({ name: stage.name, actions: stage.actions.map(actionDeclaration) })),
    version: definition.version,
  });
}

export function pipelineArn(region: string, accountId: string, name: string): string {
  return `arn:aws:codepipeline:${region}:${accountId}:${name}`;
}
