/**
 * Pipeline history written quickly through the store for benchmarks (bench/history, bench/dashboard):
 * a Source → Build → Approval definition and executions that ended at the approval, as a real run
 * records them.
 */
import type { PipelineDefinition } from '../src/core/pipeline.js';
import type { ExecutionState } from '../src/core/pipeline-execution.js';

const action = (name: string, category: 'Source' | 'Build' | 'Approval', provider: string) => ({
  name, actionTypeId: { category, owner: 'AWS' as const, provider, version: '1' }, runOrder: 1, configuration: {}, commands: [], inputArtifacts: [], outputArtifacts: category === 'Source' ? ['SourceArtifact'] : [],
  namespace: undefined, region: undefined, roleArn: undefined, timeoutInMinutes: undefined,
});

export function definitionOf(name: string): PipelineDefinition {
  return {
    name, pipelineType: 'V2', executionMode: 'PARALLEL', roleArn: undefined, artifactStore: undefined, variables: [], triggers: [], version: 1,
    stages: [{ name: 'Source', actions: [action('Source', 'Source', 'CodeCommit')] }, { name: 'Build', actions: [action('Build', 'Build', 'CodeBuild')] }, { name: 'Approval', actions: [action('Approve', 'Approval', 'Manual')] }],
  };
}

/** An execution that ran Source and Build and ended at the approval, as a real one records it. */
export function endedExecution(definition: PipelineDefinition, i: number, at: number): ExecutionState {
  const run = (stage: string, name: string) => ({
    stage, action: name, attempt: 1, stageRun: 1, runOrder: 1, status: 'Succeeded' as const, startTime: at, lastUpdateTime: at, resolvedConfiguration: { RepositoryName: 'app', BranchName: 'main' }, resolvedCommands: [],
    inputArtifacts: {}, outputArtifacts: { SourceArtifact: `artifact-store/${definition.name}/SourceArtifact/${String(i).padStart(7, '0')}` }, outputVariables: { CommitId: 'f'.repeat(40) },
    summary: `Build ${definition.name}-build:${i} succeeded`, externalExecutionId: `${definition.name}-build:${i}`,
  });
  return {
    pipelineExecutionId: `exec-${String(i).padStart(6, '0')}`, definition, executionMode: 'PARALLEL', status: 'Failed', statusSummary: 'rejected', trigger: { type: 'CodeCommit', detail: `app main ${'f'.repeat(40)}` },
    variables: {}, sourceRevisions: {}, startTime: at, lastUpdateTime: at, startSeq: i * 3 + 1, stageIndex: 2, waiting: false, arrivedSeq: i * 3 + 3,
    stages: Object.fromEntries(['Source', 'Build', 'Approval'].map((s, k) => [s, { status: s === 'Approval' ? 'Failed' as const : 'Succeeded' as const, run: 1, enteredSeq: i * 3 + 1 + k, enteredAt: at, lastUpdateTime: at }])),
    actions: [run('Source', 'Source'), run('Build', 'Build')], artifacts: { SourceArtifact: `artifact-store/${definition.name}/SourceArtifact/${i}` }, namespaces: {},
  };
}
