/** Whether a Docker engine answers: agents advertise the `docker` label only when one does at start. */
import { DockerEngine } from './docker-engine.js';

/** True when the engine at `socketPath` answers a ping; false (never throws) when it does not. */
export async function dockerAnswers(socketPath = '/var/run/docker.sock'): Promise<boolean> {
  try {
    await new DockerEngine(socketPath, 5000).ping();
    return true;
  } catch {
    // No engine, or no right to its socket: either way this agent cannot run Docker builds.
    return false;
  }
}
