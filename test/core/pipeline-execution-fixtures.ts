/** Definitions and a small driver for the pipeline-execution tests (not a test file itself). */
import assert from 'node:assert/strict';
import type { ActionDeclaration, ActionTypeId, ExecutionMode, PipelineDefinition } from '../../src/core/pipeline.js';
import {
  applyPipelineEvent,
  createPipelineRuntime,
  type ActionRun,
  type ExecutionState,
  type PipelineEffect,
  type PipelineEvent,
  type PipelineRuntime,
  type PipelineTransition,
  type RunActionEffect,
} from '../../src/core/pipeline-execution.js';

const TYPES: Record<string, ActionTypeId> = {
  CodeCommit: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' },
  CodeBuild: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
  CodeDeploy: { category: 'Deploy', owner: 'AWS', provider: 'CodeDeploy', version: '1' },
  Manual: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' },
};

export function action(name: string, provider: keyof typeof TYPES, more: Partial<ActionDeclaration> = {}): ActionDeclaration {
  return {
    name,
    actionTypeId: TYPES[provider] as ActionTypeId,
    runOrder: 1,
    configuration: {},
    commands: [],
    inputArtifacts: [],
    outputArtifacts: [],
    namespace: undefined,
    region: undefined,
    roleArn: undefined,
    timeoutInMinutes: undefined,
    ...more,
  };
}

export function definition(stages: Record<string, readonly ActionDeclaration[]>, more: Partial<PipelineDefinition> = {}): PipelineDefinition {
  return {
    name: 'app',
    pipelineType: 'V2',
    executionMode: 'SUPERSEDED',
    roleArn: undefined,
    artifactStore: { type: 'S3', location: 'artifacts' },
    variables: [],
    triggers: [],
    stages: Object.entries(stages).map(([name, actions]) => ({ name, actions })),
    version: 1,
    ...more,
  };
}

/** Source → Build → Deploy, each one action passing artifacts on. */
export function threeStages(executionMode: ExecutionMode = 'SUPERSEDED', more: Partial<PipelineDefinition> = {}): PipelineDefinition {
  return definition(
    {
      Source: [action('Source', 'CodeCommit', { outputArtifacts: ['SourceArtifact'], namespace: 'SourceVariables', configuration: { RepositoryName: 'app', BranchName: 'main' } })],
      Build: [action('Build', 'CodeBuild', { inputArtifacts: ['SourceArtifact'], outputArtifacts: ['BuildArtifact'], namespace: 'BuildVariables', configuration: { ProjectName: 'app-build' } })],
      Deploy: [action('Deploy', 'CodeDeploy', { inputArtifacts: ['BuildArtifact'], configuration: { ApplicationName: 'app', DeploymentGroupName: 'staging' } })],
    },
    { executionMode, ...more },
  );
}

type Input = PipelineEvent extends infer E ? (E extends PipelineEvent ? Omit<E, 'at' | 'nonce'> & { at?: number } : never) : never;

/** Feeds events with a ticking clock and fresh nonces; keeps every effect. */
export class Driver {
  runtime: PipelineRuntime;
  clock = 0;
  nonces = 0;
  readonly effects: PipelineEffect[] = [];
  last: PipelineTransition | undefined;

  constructor(def: PipelineDefinition) {
    this.runtime = createPipelineRuntime(def);
  }

  send(input: Input): PipelineTransition {
    this.clock = input.at ?? this.clock + 1;
    this.nonces += 1;
    const event = { ...input, at: this.clock, nonce: `nonce-${this.nonces}` };
    const t = applyPipelineEvent(this.runtime, event);
    this.runtime = t.runtime;
    this.effects.push(...t.effects);
    this.last = t;
    return t;
  }

  ok(input: Input): PipelineEffect[] {
    const t = this.send(input);
    assert.equal(t.error, undefined, t.error?.message);
    return t.effects;
  }

  start(executionId: string, variables: Record<string, string> = {}): PipelineEffect[] {
    return this.ok({ type: 'START', executionId, trigger: { type: 'Manual' }, variables });
  }

  exec(id: string): ExecutionState {
    const e = this.runtime.executions.find((x) => x.pipelineExecutionId === id);
    assert.ok(e, `no execution ${id}`);
    return e;
  }

  running(id: string, stage: string, name: string): ActionRun {
    const r = this.exec(id).actions.filter((x) => x.stage === stage && x.action === name && x.status === 'InProgress').at(-1);
    assert.ok(r, `${id} ${stage}/${name} is not running`);
    return r;
  }

  /** Ends the running attempt successfully; outputs get keys `<exec>/<artifact>/<attempt>`. */
  succeed(id: string, stage: string, name: string, outputVariables: Record<string, string> = {}): PipelineEffect[] {
    const r = this.running(id, stage, name);
    const decl = this.exec(id).definition.stages.find((s) => s.name === stage)?.actions.find((a) => a.name === name);
    const outputArtifacts = Object.fromEntries((decl?.outputArtifacts ?? []).map((n) => [n, `${id}/${n}/${r.attempt}`]));
    return this.ok({ type: 'ACTION_SUCCEEDED', executionId: id, stage, action: name, attempt: r.attempt, outputArtifacts, outputVariables });
  }

  fail(id: string, stage: string, name: string, message = 'exit status 1'): PipelineEffect[] {
    const r = this.running(id, stage, name);
    return this.ok({ type: 'ACTION_FAILED', executionId: id, stage, action: name, attempt: r.attempt, message });
  }

  /** Source, Build and Deploy of `threeStages` in turn. */
  runThrough(id: string, upTo: 'Source' | 'Build' | 'Deploy' = 'Deploy'): void {
    for (const stage of ['Source', 'Build', 'Deploy']) {
      this.succeed(id, stage, stage);
      if (stage === upTo) return;
    }
  }

  status(id: string): string {
    return this.exec(id).status;
  }

  /** `stage/action#attempt` of the RUN_ACTION effects in `effects`. */
  static runs(effects: readonly PipelineEffect[]): string[] {
    return effects.filter((e): e is RunActionEffect => e.type === 'RUN_ACTION').map((e) => `${e.executionId}:${e.stage}/${e.action}#${e.attempt}`);
  }
}
