/** Chooses an executor from the `--executor` flag; the CLI and the agent call this, nothing else. */
import type { Executor } from '../core/executor.js';
import { DockerExecutor } from './docker-executor.js';
import type { PullOptions } from './docker-images.js';
import { ShellExecutor } from './shell-executor.js';

export { DockerExecutor, type DockerExecutorOptions } from './docker-executor.js';
export { ShellExecutor, type ShellExecutorOptions } from './shell-executor.js';
export { dockerAnswers } from './docker-ping.js';
export { staticDockerClient, type PullOptions, type RegistryAuth } from './docker-images.js';

/** The image `--executor docker` uses when none is given (built by scripts/build-base-image.sh). */
export const DEFAULT_IMAGE = 'nagare/base:latest';

export interface ExecutorChoice {
  readonly kind: 'shell' | 'docker';
  /** Docker image; DEFAULT_IMAGE when absent. Ignored by the shell executor. */
  readonly image?: string | undefined;
  /** nagare's own environment, given by the config module. */
  readonly hostEnvironment: Readonly<Record<string, string>>;
  /** Where session directories go; the OS temporary directory when absent. */
  readonly stateDir?: string | undefined;
  /** Shell only: the user commands run as when the buildspec has no `run-as`. */
  readonly defaultUser?: string | undefined;
  /** Docker engine socket; /var/run/docker.sock when absent. */
  readonly socketPath?: string | undefined;
  /** Docker only: pull a missing image from its registry, with progress lines. */
  readonly pull?: PullOptions | undefined;
  /** Docker only: `privilegedMode`, the engine's socket (and a static docker client) for the build. */
  readonly privileged?: { readonly dockerClient: string | undefined } | undefined;
}

export function createExecutor(choice: ExecutorChoice): Executor {
  const stateDir = choice.stateDir === undefined ? {} : { stateDir: choice.stateDir };
  switch (choice.kind) {
    case 'shell':
      return new ShellExecutor({ hostEnvironment: choice.hostEnvironment, ...stateDir, defaultUser: choice.defaultUser });
    case 'docker':
      return new DockerExecutor({
        image: choice.image ?? DEFAULT_IMAGE,
        ...stateDir,
        ...(choice.socketPath === undefined ? {} : { socketPath: choice.socketPath }),
        ...(choice.pull === undefined ? {} : { pull: choice.pull }),
        ...(choice.privileged === undefined ? {} : { privileged: choice.privileged }),
      });
  }
}
