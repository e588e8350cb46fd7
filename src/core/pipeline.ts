/**
 * A compiled CodePipeline definition (reference §3.1): what src/spec/pipeline produces from the
 * JSON or YAML of `aws codepipeline get-pipeline` after validation, and what the pipeline
 * execution machine (core/pipeline-execution.ts) runs. Field names follow the AWS structure;
 * every default is applied (runOrder 1, executionMode SUPERSEDED, pipelineType V1 …).
 */

export type PipelineType = 'V1' | 'V2';
export type ExecutionMode = 'SUPERSEDED' | 'QUEUED' | 'PARALLEL';
export type ActionCategory = 'Source' | 'Build' | 'Test' | 'Deploy' | 'Approval' | 'Invoke' | 'Compute';
export type ActionOwner = 'AWS' | 'ThirdParty' | 'Custom';

export interface ActionTypeId {
  readonly category: ActionCategory;
  readonly owner: ActionOwner;
  /** `CodeCommit`, `CodeBuild`, `Manual`, `Commands`, … */
  readonly provider: string;
  readonly version: string;
}

export interface ActionDeclaration {
  readonly name: string;
  readonly actionTypeId: ActionTypeId;
  /** ≥ 1; actions of a stage with the same runOrder run in parallel. */
  readonly runOrder: number;
  /** String values; may hold `#{namespace.variable}` references, resolved just before the action runs. */
  readonly configuration: Readonly<Record<string, string>>;
  /** The `Commands` action's shell commands (its `commands` list). */
  readonly commands: readonly string[];
  readonly inputArtifacts: readonly string[];
  readonly outputArtifacts: readonly string[];
  readonly namespace: string | undefined;
  readonly region: string | undefined;
  readonly roleArn: string | undefined;
  /** Manual approval only; default 7 days (10080). */
  readonly timeoutInMinutes: number | undefined;
}

export interface StageDeclaration {
  readonly name: string;
  readonly actions: readonly ActionDeclaration[];
}

export interface PipelineVariableDeclaration {
  readonly name: string;
  readonly defaultValue: string | undefined;
  readonly description: string | undefined;
}

export interface GlobFilter {
  readonly includes: readonly string[];
  readonly excludes: readonly string[];
}

export interface GitPushFilter {
  readonly branches: GlobFilter | undefined;
  readonly tags: GlobFilter | undefined;
  readonly filePaths: GlobFilter | undefined;
}

export interface PipelineTrigger {
  readonly providerType: string;
  readonly sourceActionName: string;
  /** 1–3 filters, OR between them, AND inside one (reference §3.9). */
  readonly push: readonly GitPushFilter[];
}

export interface PipelineDefinition {
  readonly name: string;
  readonly pipelineType: PipelineType;
  readonly executionMode: ExecutionMode;
  readonly roleArn: string | undefined;
  readonly artifactStore: { readonly type: string; readonly location: string } | undefined;
  readonly variables: readonly PipelineVariableDeclaration[];
  readonly triggers: readonly PipelineTrigger[];
  readonly stages: readonly StageDeclaration[];
  /** Set by the server: 1 on create, +1 on every update. */
  readonly version: number;
}

/** Manual approval default timeout: 7 days. */
export const DEFAULT_APPROVAL_TIMEOUT_MINUTES = 7 * 24 * 60;
