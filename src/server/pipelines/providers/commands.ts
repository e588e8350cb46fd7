/**
 * Commands actions (Compute): the commands run as the build phase of a build of one project per
 * pipeline, created on first use, with the shell executor.
 */
import { NagareError } from '../../../core/errors.js';
import type { Services } from '../../services.js';
import { buildActionProvider } from './build-action.js';

export const commandsProvider = buildActionProvider({
  provider: 'Commands',
  actionTypes: [{ category: 'Compute', owner: 'AWS' }],
  projectName: (pipelineName) => commandsProjectName(pipelineName),
  async startInput(services, { pipelineName, effect }) {
    const buildspecOverride = ['version: 0.2', 'phases:', '  build:', '    commands:', ...effect.commands.map((c) => `      - ${JSON.stringify(c)}`), ''].join('\n');
    return { projectName: await commandsProject(services, pipelineName), buildspecOverride, imageOverride: 'shell' };
  },
});

/** Commands actions run as builds of one hidden-in-plain-sight project per pipeline. */
function commandsProjectName(pipelineName: string): string {
  return `codepipeline-${pipelineName.replace(/[^A-Za-z0-9_-]/g, '-')}-commands`.slice(0, 255);
}

async function commandsProject(services: Services, pipelineName: string): Promise<string> {
  const name = commandsProjectName(pipelineName);
  const existing = await services.context.store.projects.get(name);
  if (!existing) {
    await services.projects.create({
      name,
      description: `Commands actions of pipeline ${pipelineName}`,
      source: { type: 'NO_SOURCE', buildspec: 'version: 0.2\nphases:\n  build:\n    commands: ["true"]\n' },
      environment: { image: 'shell' },
      artifacts: { type: 'NO_ARTIFACTS' },
    }).catch((error: unknown) => {
      // Created meanwhile by another action of the same pipeline: that one is as good.
      if (!(error instanceof NagareError && error.code === 'API_ALREADY_EXISTS')) throw error;
    });
  }
  return name;
}
