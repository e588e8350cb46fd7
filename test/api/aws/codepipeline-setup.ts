/**
 * Shared by the CodePipeline API tests: a real CodePipelineClient pointed at a test server, and
 * pipeline definitions in the AWS shape (Source from a hosted repository, CodeBuild builds).
 */
import { CodePipelineClient, type PipelineDeclaration } from '@aws-sdk/client-codepipeline';
import type { TestServer } from '../../support/test-server.js';

export function codePipelineClient(server: TestServer): CodePipelineClient {
  return new CodePipelineClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    maxAttempts: 1,
  });
}

const SOURCE = { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' } as const;
const BUILD = { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' } as const;
const APPROVAL = { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' } as const;

export interface PipelineShape {
  readonly name: string;
  readonly repository: string;
  /** Build project names, one Build stage each (the first reads SourceArtifact). */
  readonly builds: readonly string[];
  /** Adds an Approval stage after the first build. */
  readonly approval?: boolean;
  readonly mode?: 'SUPERSEDED' | 'QUEUED' | 'PARALLEL';
}

/** Source → Build[0] → (Approval) → Build[1] …, as CreatePipeline takes it. */
export function declaration(shape: PipelineShape): PipelineDeclaration {
  const stages: NonNullable<PipelineDeclaration['stages']> = [
    { name: 'Source', actions: [{ name: 'Source', actionTypeId: SOURCE, configuration: { RepositoryName: shape.repository, BranchName: 'main' }, outputArtifacts: [{ name: 'SourceArtifact' }], namespace: 'SourceVariables' }] },
  ];
  shape.builds.forEach((project, index) => {
    const stageName = index === 0 ? 'Build' : `Build${index + 1}`;
    stages.push({ name: stageName, actions: [{ name: stageName, actionTypeId: BUILD, configuration: { ProjectName: project }, inputArtifacts: [{ name: 'SourceArtifact' }] }] });
    if (index === 0 && shape.approval) {
      stages.push({ name: 'Approval', actions: [{ name: 'Approve', actionTypeId: APPROVAL, configuration: { CustomData: 'Release #{SourceVariables.CommitId}?' } }] });
    }
  });
  return {
    name: shape.name,
    roleArn: 'arn:aws:iam::000000000000:role/unused-by-nagare',
    artifactStore: { type: 'S3', location: 'nagare-artifacts' },
    pipelineType: 'V2',
    executionMode: shape.mode ?? 'SUPERSEDED',
    stages,
  };
}
