/** A hosted repository, its CodeBuild project and a pipeline on a real test server, and a push to it. */
import { parsePipeline } from '../../src/spec/pipeline.js';
import { authedUrl, commitFiles, gitOk, tempDir } from '../git/git-client.js';
import type { TestServer } from '../support/test-server.js';

export type StageKind = 'Build' | 'Approval';

/** Source (CodeCommit) then the given stages; pushes return the commit id. */
export async function pipelineFixture(server: TestServer, name: string, stages: readonly StageKind[], buildspec = 'version: 0.2\nphases:\n  build:\n    commands:\n      - echo built\n'): Promise<{ push: (content: string) => Promise<string> }> {
  await server.services.repositories.create({ repositoryName: name });
  await server.services.projects.create({ name: `${name}-build`, source: { type: 'CODEPIPELINE', buildspec }, environment: { image: 'shell' }, artifacts: { type: 'NO_ARTIFACTS' } });
  const definition = {
    pipeline: {
      name,
      pipelineType: 'V2',
      roleArn: 'arn:aws:iam::000000000000:role/unused',
      stages: [
        { name: 'Source', actions: [{ name: 'Source', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: name, BranchName: 'main' }, outputArtifacts: [{ name: 'SourceArtifact' }] }] },
        ...stages.map((kind) => (kind === 'Build'
          ? { name: 'Build', actions: [{ name: 'Build', actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' }, configuration: { ProjectName: `${name}-build` }, inputArtifacts: [{ name: 'SourceArtifact' }] }] }
          : { name: 'Approval', actions: [{ name: 'Approve', actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' }, configuration: { CustomData: 'ship?' } }] })),
      ],
    },
  };
  await server.services.pipelines.apply(parsePipeline(JSON.stringify(definition), 'pipeline.json'));
  const work = await tempDir('pipeline');
  await gitOk(work, ['init', '--quiet', '--initial-branch', 'main']);
  await gitOk(work, ['remote', 'add', 'origin', authedUrl(server.url, name, server.token)]);
  return {
    push: async (content) => {
      const commit = await commitFiles(work, { 'app.txt': content }, `app ${content}`);
      await gitOk(work, ['push', '--quiet', 'origin', 'main']);
      return commit;
    },
  };
}
