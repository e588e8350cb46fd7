/**
 * GetPipelineState's `entityUrl` and `revisionUrl`: where the thing an action works on lives. AWS
 * links its console; nagare links its own API resources: the hosted repository of a CodeCommit
 * source (and an archive of the revision), the project of a CodeBuild action.
 */
import type { PipelineDefinition } from '../core/pipeline.js';

type StageState = { readonly stageName: string; readonly actionStates: readonly Record<string, unknown>[] };

export function withEntityUrls<S extends StageState>(stages: readonly S[], definition: PipelineDefinition, publicUrl: string): S[] {
  const api = `${publicUrl}/api/v1`;
  return stages.map((stage) => {
    const declared = definition.stages.find((s) => s.name === stage.stageName);
    return {
      ...stage,
      actionStates: stage.actionStates.map((state) => {
        const action = declared?.actions.find((a) => a.name === state.actionName);
        if (!action) return state;
        const { provider } = action.actionTypeId;
        const repository = action.configuration.RepositoryName;
        const project = action.configuration.ProjectName;
        if (provider === 'CodeCommit' && repository) {
          const revision = (state.currentRevision as { revisionId?: string } | undefined)?.revisionId;
          const base = `${api}/repositories/${encodeURIComponent(repository)}`;
          return { ...state, entityUrl: base, ...(revision ? { revisionUrl: `${base}/archive/${encodeURIComponent(revision)}` } : {}) };
        }
        if (provider === 'CodeBuild' && project) return { ...state, entityUrl: `${api}/projects/${encodeURIComponent(project)}` };
        return state;
      }),
    };
  });
}
