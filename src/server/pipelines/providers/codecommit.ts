/**
 * CodeCommit source actions: the commit (the pushed one, or the branch's head) zipped into the
 * artifact store under decision 17's key, with CodeCommit's output variables. Done at once, so its
 * result never comes from an event; there is nothing to stop when it is abandoned.
 */
import { randomBytes } from 'node:crypto';
import type { ActionProvider } from './action-provider.js';

/** Decision 17: `<pipeline>/<artifact>/<random 7 chars>`, under the blob store's artifact-store folder. */
export function pipelineArtifactKey(pipelineName: string, artifactName: string): string {
  const random = randomBytes(8).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 7);
  return `artifact-store/${pipelineName}/${artifactName}/${random}`;
}

export const codeCommitProvider: ActionProvider = {
  provider: 'CodeCommit',
  actionTypes: [{ category: 'Source', owner: 'AWS' }],
  resultEvents: [],
  resultFrom: () => undefined,
  abandon: () => Promise.resolve(),
  async run(services, { pipelineName, effect }) {
    const repository = effect.configuration.RepositoryName ?? '';
    const branch = effect.configuration.BranchName ?? '';
    try {
      const commit = effect.sourceRevision?.revisionValue ?? (await services.repositories.resolveRef(repository, branch));
      const info = await services.repositories.commitInfo(repository, commit);
      const outputArtifacts: Record<string, string> = {};
      for (const name of effect.outputArtifactNames) {
        const key = pipelineArtifactKey(pipelineName, name);
        await services.context.blobs.put(key, await services.repositories.archive(repository, commit));
        outputArtifacts[name] = key;
      }
      const firstLine = info.message.split('\n')[0] ?? '';
      return {
        ok: true,
        outputArtifacts,
        outputVariables: {
          CommitId: commit,
          BranchName: branch,
          RepositoryName: repository,
          CommitMessage: info.message.trim(),
          AuthorDate: new Date(info.authorDate).toISOString(),
          CommitterDate: new Date(info.committerDate).toISOString(),
        },
        summary: firstLine,
        externalExecutionId: commit,
        revision: { revisionId: commit, revisionSummary: firstLine, created: info.committerDate },
      };
    } catch (error) {
      return { ok: false, message: `Could not fetch ${repository}@${effect.sourceRevision?.revisionValue ?? branch}: ${error instanceof Error ? error.message : String(error)}` };
    }
  },
};
