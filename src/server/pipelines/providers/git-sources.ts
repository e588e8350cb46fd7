/**
 * Git source actions: CodeCommit (a hosted repository), GitHub (`ThirdParty`/`GitHub` v1) and
 * `CodeStarSourceConnection` (a mirrored repository, core/pipeline-sources.ts). The commit (the
 * pushed one, or the branch's head) goes into the artifact store under decision 17's key, as a zip
 * of its tree or, with `OutputArtifactFormat: CODEBUILD_CLONE_REF`, as a zipped git clone; with
 * the provider's output variables. Done at once, so its result never comes from an event; there is
 * nothing to stop when it is abandoned.
 */
import { randomBytes } from 'node:crypto';
import type { ActionCategory, ActionOwner } from '../../../core/pipeline.js';
import { gitSourceOf, resolveSourceRepository } from '../../../core/pipeline-sources.js';
import type { ActionProvider } from './action-provider.js';

/** Decision 17: `<pipeline>/<artifact>/<random 7 chars>`, under the blob store's artifact-store folder. */
export function pipelineArtifactKey(pipelineName: string, artifactName: string): string {
  const random = randomBytes(8).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 7);
  return `artifact-store/${pipelineName}/${artifactName}/${random}`;
}

function gitSourceProvider(provider: string, actionTypes: readonly { category: ActionCategory; owner: ActionOwner }[]): ActionProvider {
  return {
    provider,
    actionTypes,
    resultEvents: [],
    resultFrom: () => undefined,
    abandon: () => Promise.resolve(),
    async run(services, { pipelineName, effect }) {
      const source = gitSourceOf(effect);
      if (!source) return { ok: false, message: `${provider} is not a git source` };
      const needsMirror = source.repositoryName === undefined;
      const repositories = needsMirror ? (await services.repositories.listAll()).map((r) => ({ name: r.name, mirrorUrl: r.mirror?.url })) : [];
      const resolved = resolveSourceRepository(source, repositories);
      if (!resolved.ok) return { ok: false, message: resolved.message };
      const repository = resolved.name;
      try {
        const commit = effect.sourceRevision?.revisionValue ?? (await services.repositories.resolveRef(repository, source.branch));
        const info = await services.repositories.commitInfo(repository, commit);
        const outputArtifacts: Record<string, string> = {};
        for (const name of effect.outputArtifactNames) {
          const key = pipelineArtifactKey(pipelineName, name);
          const body = source.format === 'CODEBUILD_CLONE_REF'
            ? await services.repositories.cloneArchive(repository, commit, source.branch)
            : await services.repositories.archive(repository, commit);
          await services.context.blobs.put(key, body);
          outputArtifacts[name] = key;
        }
        const firstLine = info.message.split('\n')[0] ?? '';
        const common = {
          CommitId: commit,
          BranchName: source.branch,
          CommitMessage: info.message.trim(),
          AuthorDate: new Date(info.authorDate).toISOString(),
          CommitterDate: new Date(info.committerDate).toISOString(),
        };
        const named = source.fullRepositoryId === undefined
          ? { RepositoryName: repository }
          : { FullRepositoryName: source.fullRepositoryId, RepositoryName: repository, ...(effect.configuration.ConnectionArn ? { ConnectionArn: effect.configuration.ConnectionArn } : {}) };
        return {
          ok: true,
          outputArtifacts,
          outputVariables: { ...common, ...named },
          summary: firstLine,
          externalExecutionId: commit,
          revision: { revisionId: commit, revisionSummary: firstLine, created: info.committerDate },
        };
      } catch (error) {
        return { ok: false, message: `Could not fetch ${repository}@${effect.sourceRevision?.revisionValue ?? source.branch}: ${error instanceof Error ? error.message : String(error)}` };
      }
    },
  };
}

export const codeCommitProvider = gitSourceProvider('CodeCommit', [{ category: 'Source', owner: 'AWS' }]);
/** GitHub version 1 (OAuth app) sources, read from the repository's mirror. */
export const gitHubProvider = gitSourceProvider('GitHub', [{ category: 'Source', owner: 'ThirdParty' }]);
/** GitHub, GitHub Enterprise, Bitbucket and GitLab through a connection, read from the repository's mirror. */
export const codeStarConnectionProvider = gitSourceProvider('CodeStarSourceConnection', [{ category: 'Source', owner: 'AWS' }]);
