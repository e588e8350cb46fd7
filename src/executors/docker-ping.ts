/** Whether a Docker engine answers: agents advertise the `docker` label only when one does at start. */

/** True when the engine at `socketPath` answers a ping; false (never throws) when it does not. */
export async function dockerAnswers(socketPath = '/var/run/docker.sock'): Promise<boolean> {
  // Loaded lazily, as in docker-executor.ts: dockerode costs ~150 ms to load.
  const { default: DockerClient } = await import('dockerode');
  try {
    await new DockerClient({ socketPath, timeout: 5000 }).ping();
    return true;
  } catch {
    // No engine, or no right to its socket: either way this agent cannot run Docker builds.
    return false;
  }
}
