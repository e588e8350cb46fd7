/**
 * ListCuratedEnvironmentImages: the images nagare's agents can run, in CodeBuild's
 * `EnvironmentPlatform` shape. `shell` (the agent host, no container) always; `nagare/base:latest`
 * and any other Docker image when a connected agent has Docker (its `docker` label). nagare has no
 * curated catalogue: a Docker agent runs whatever image a project names, so the base image stands
 * for them, with a description saying so.
 */
import type { AwsOperation } from './codebuild-operations.js';

export const CODEBUILD_IMAGE_OPERATIONS: Readonly<Record<string, AwsOperation>> = {
  async ListCuratedEnvironmentImages(services) {
    const agents = await services.agents.list();
    const connected = agents.filter((a) => a.health === 'CONNECTED');
    const docker = connected.some((a) => a.labels.includes('docker'));
    const images = [
      { name: 'shell', description: `Commands run on the agent host's shell, without a container (${connected.length} connected agent${connected.length === 1 ? '' : 's'})`, versions: ['shell'] },
      ...(docker ? [{ name: 'nagare/base:latest', description: 'busybox base image built by scripts/build-base-image.sh; agents with Docker run any image a project names', versions: ['nagare/base:latest'] }] : []),
    ];
    return { platforms: [{ platform: 'DEBIAN', languages: [{ language: 'STANDARD', images }] }] };
  },
};
