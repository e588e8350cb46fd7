/**
 * Where a build's blobs live, which agents may run it, and its first stored form. Its life after
 * that is core/build-life.ts's machine.
 */
import type { BuildJob } from '../../core/build-job.js';
import { submittedBuild } from '../../core/build-life.js';
import { buildLabels, DOCKER_LABEL, fleetNameOf, type JobRouting } from '../../core/job-routing.js';
import type { BuildProject } from '../../core/project.js';
import type { StoredBuild } from '../../core/store.js';

/** A new build waiting in the queue (SUBMITTED done, QUEUED running; core/build-life.ts). */
export function queuedBuild(job: BuildJob, at: number): StoredBuild {
  return { ...submittedBuild(job, at), id: job.buildId, projectName: job.projectName, buildNumber: job.buildNumber, startTime: at, stopRequested: false, logBytes: 0, logNextSequence: 0 };
}

export function logBlobKey(buildId: string, sequence: number): string {
  return `logs/${safeId(buildId)}/${String(sequence).padStart(8, '0')}`;
}

export function artifactBlobKey(buildId: string, name: string): string {
  return `artifacts/${safeId(buildId)}/${name}`;
}

/** Build ids hold a `:`; blob keys allow it, but keep one spelling everywhere. */
function safeId(buildId: string): string {
  return buildId.replace(/[^A-Za-z0-9._:=@+-]/g, '_');
}

/**
 * Which agents may run a build: a Docker image needs the `docker` label; a project with
 * `environment.fleet` runs only in that fleet (the fleet as it is now, for a re-queued orphan too),
 * and StartBuild's fleetOverride wins over the project's.
 */
export function buildJobRouting(job: BuildJob, project: BuildProject | undefined): JobRouting {
  const fleetArn = job.fleetArn ?? project?.environment.fleet?.fleetArn;
  // A privileged build needs an engine even when its image is `shell` (and is then refused there).
  const labels = job.privilegedMode && !buildLabels(job.image).includes(DOCKER_LABEL) ? [...buildLabels(job.image), DOCKER_LABEL] : buildLabels(job.image);
  return { kind: 'build', labels, fleet: fleetArn === undefined ? undefined : fleetNameOf(fleetArn), target: undefined };
}
