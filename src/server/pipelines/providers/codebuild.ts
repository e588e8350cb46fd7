/** CodeBuild actions (Build and Test): a build of the configured project, with EnvironmentVariables as overrides. */
import type { EnvironmentVariable } from '../../../core/project.js';
import { buildActionProvider } from './build-action.js';

export const codeBuildProvider = buildActionProvider({
  provider: 'CodeBuild',
  actionTypes: [{ category: 'Build', owner: 'AWS' }, { category: 'Test', owner: 'AWS' }],
  projectName: (_pipelineName, configuration) => configuration.ProjectName ?? '',
  startInput: (_services, { effect }) => Promise.resolve({
    projectName: effect.configuration.ProjectName ?? '',
    environmentVariablesOverride: parseEnvironmentVariables(effect.configuration.EnvironmentVariables),
  }),
});

/** The spec checked the JSON's shape (spec/pipeline-providers.ts). */
function parseEnvironmentVariables(json: string | undefined): EnvironmentVariable[] {
  if (!json) return [];
  const parsed = JSON.parse(json) as { name: string; value: string; type?: EnvironmentVariable['type'] }[];
  return parsed.map((v) => ({ name: v.name, value: v.value, type: v.type ?? 'PLAINTEXT' }));
}
