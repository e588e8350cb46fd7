/**
 * Getting a build's image into the engine (issue 9): the local engine first, then a pull from the
 * image's registry, with the pull's progress as lines for the build log. A private registry's
 * credential comes from the caller (a project's `registryCredential`, resolved by whoever holds
 * the secret); it goes to the engine only and is never logged.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { NagareError } from '../core/errors.js';
import type { DockerEngine } from './docker-engine.js';

/** Basic credentials of a registry, as the engine takes them. */
export interface RegistryAuth {
  readonly username: string;
  readonly password: string;
  /** The registry's host[:port]; taken from the image name when absent. */
  readonly serveraddress?: string;
}

export interface PullOptions {
  readonly auth?: RegistryAuth | undefined;
  /** One line per step of the pull (a layer's state, the final status). */
  readonly onProgress: (line: string) => void;
}

/** Steps repeated many times per layer; the log gets the others (waiting, complete, digest, status). */
const CHATTY = new Set(['Downloading', 'Extracting', 'Verifying Checksum']);

/** Pulls `image`, reporting progress; rejects with EXEC_IMAGE_NOT_FOUND saying the registry's answer. */
export async function pullImage(engine: DockerEngine, image: string, options: PullOptions): Promise<void> {
  const auth = options.auth ? { username: options.auth.username, password: options.auth.password, serveraddress: options.auth.serveraddress ?? registryOf(image) } : undefined;
  options.onProgress(`Pulling image ${image}${options.auth ? ' with a registry credential' : ''}`);
  try {
    await engine.pull(image, auth, (event) => {
      if (event.status && !CHATTY.has(event.status)) options.onProgress(event.id ? `${event.id}: ${event.status}` : event.status);
    });
  } catch (error) {
    throw new NagareError('EXEC_IMAGE_NOT_FOUND', `image ${image} is not in the local Docker engine and could not be pulled: ${error instanceof Error ? error.message : String(error)}`, { details: { image }, cause: error });
  }
}

/** The registry part of an image name: `host[:port]` before the first `/` when it looks like one, else Docker Hub. */
export function registryOf(image: string): string {
  const first = image.split('/')[0] ?? '';
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'https://index.docker.io/v1/';
}

/**
 * The host's `docker` client found on `searchPath` (a PATH value), when it is a statically linked
 * executable that runs in any Linux image (privileged builds get it mounted); undefined otherwise.
 */
export async function staticDockerClient(searchPath: string | undefined): Promise<string | undefined> {
  for (const dir of (searchPath ?? '').split(':').filter((entry) => path.isAbsolute(entry))) {
    const file = path.join(dir, 'docker');
    const handle = await open(file, 'r').catch(() => undefined);
    if (!handle) continue;
    try {
      const head = Buffer.alloc(4096);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      const start = head.subarray(0, bytesRead);
      // An ELF file naming a program interpreter (ld-linux, ld-musl) is dynamically linked.
      const elf = start.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
      return elf && !start.includes('/ld-') ? file : undefined;
    } finally {
      await handle.close();
    }
  }
  return undefined;
}
