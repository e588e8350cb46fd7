/**
 * What the native API returns: the same AWS field names as `nagare build --json` (ISO times),
 * from the stored records. Secrets never appear: typed variables show their reference only.
 */
import type { PhaseRecord } from '../core/build-phases.js';
import type { BuildProject } from '../core/project.js';
import type { StoredBuild } from '../core/store.js';

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

export function phaseView(p: PhaseRecord): Record<string, unknown> {
  return {
    phaseType: p.phaseType,
    ...(p.phaseStatus ? { phaseStatus: p.phaseStatus } : {}),
    startTime: iso(p.startTime),
    ...(p.endTime === undefined ? {} : { endTime: iso(p.endTime), durationInSeconds: Math.round((p.endTime - p.startTime) / 1000) }),
    ...(p.contexts.length > 0 ? { contexts: p.contexts } : {}),
  };
}

/** Where the native API serves a build's artifact zip (the AWS shapes link there too). */
export function artifactUrl(publicUrl: string, buildId: string, name: string): string {
  return `${publicUrl}/api/v1/builds/${encodeURIComponent(buildId)}/artifacts/${encodeURIComponent(name)}`;
}

/** Where the native API serves a build's log. */
export function logUrl(publicUrl: string, buildId: string): string {
  return `${publicUrl}/api/v1/builds/${encodeURIComponent(buildId)}/logs`;
}

export function buildView(build: StoredBuild, publicUrl: string): Record<string, unknown> {
  const data = build.record;
  const link = (name: string): string => artifactUrl(publicUrl, build.id, name);
  return {
    id: build.id,
    arn: `arn:aws:codebuild:${data.job.region}:${data.job.accountId}:build/${build.id}`,
    buildNumber: build.buildNumber,
    projectName: build.projectName,
    buildStatus: build.buildStatus,
    currentPhase: build.currentPhase,
    buildComplete: build.currentPhase === 'COMPLETED',
    startTime: iso(build.startTime),
    ...(build.endTime === undefined ? {} : { endTime: iso(build.endTime) }),
    initiator: data.job.initiator,
    ...(data.job.source.sourceVersion ? { sourceVersion: data.job.source.sourceVersion } : {}),
    ...(data.resolvedSourceVersion ? { resolvedSourceVersion: data.resolvedSourceVersion } : {}),
    source: { type: data.job.source.type, ...(data.job.source.location ? { location: data.job.source.location } : {}), ...(data.job.buildspec ? { buildspec: data.job.buildspec } : {}) },
    environment: { type: 'LINUX_CONTAINER', image: data.job.image, environmentVariables: data.job.environmentVariables },
    timeoutInMinutes: data.job.timeoutInMinutes,
    phases: data.phases.map(phaseView),
    ...(data.artifacts ? { artifacts: { name: data.artifacts.name, location: link(data.artifacts.name), sha256sum: data.artifacts.sha256sum, bytes: data.artifacts.bytes } } : {}),
    secondaryArtifacts: data.secondaryArtifacts.map((a) => ({ artifactIdentifier: a.artifactIdentifier, name: a.name, location: link(a.name), sha256sum: a.sha256sum, bytes: a.bytes })),
    exportedEnvironmentVariables: data.exportedEnvironmentVariables,
    reports: data.reports,
    logs: { deepLink: logUrl(publicUrl, build.id), bytes: build.logBytes },
    stopRequested: build.stopRequested,
  };
}

export function projectView(project: BuildProject): Record<string, unknown> {
  return { ...project, created: iso(project.created), lastModified: iso(project.lastModified) };
}
