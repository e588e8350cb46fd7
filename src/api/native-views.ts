/**
 * What the native API returns: the same AWS field names as `nagare build --json` (ISO times),
 * from the stored records. Secrets never appear: typed variables show their reference only.
 */
import type { PhaseRecord } from '../core/build-phases.js';
import type { BuildProject } from '../core/project.js';
import type { StoredBuild, StoredBuildBatch } from '../core/store.js';
import { batchIdOfArn, type BuildBatchView } from '../protocol/native-build-batches.js';

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
    ...(data.job.batch ? { batch: { id: batchIdOfArn(data.job.batch.batchArn), identifier: data.job.batch.identifier } } : {}),
  };
}

/** A build batch with its build groups and their builds' statuses; never its overrides. */
export function buildBatchView(batch: StoredBuildBatch, builds: ReadonlyMap<string, StoredBuild>): BuildBatchView {
  const { state } = batch;
  return {
    id: batch.id,
    projectName: batch.projectName,
    batchNumber: batch.batchNumber,
    status: batch.status,
    kind: state.kind,
    initiator: state.initiator,
    ...(state.sourceVersion === undefined ? {} : { sourceVersion: state.sourceVersion }),
    startTime: new Date(batch.startTime).toISOString(),
    ...(batch.endTime === undefined ? {} : { endTime: new Date(batch.endTime).toISOString() }),
    phases: state.phases.map((phase) => ({
      phaseType: phase.phaseType,
      ...(phase.phaseStatus === undefined ? {} : { phaseStatus: phase.phaseStatus }),
      startTime: new Date(phase.startTime).toISOString(),
      ...(phase.endTime === undefined ? {} : { endTime: new Date(phase.endTime).toISOString() }),
    })),
    groups: state.groups.map((group) => ({
      identifier: group.entry.identifier,
      dependsOn: [...group.entry.dependOn],
      ignoreFailure: group.entry.ignoreFailure,
      status: group.status,
      builds: group.buildIds.map((id) => {
        const build = builds.get(id);
        return { id, buildStatus: build?.buildStatus ?? 'IN_PROGRESS', ...(build?.buildNumber === undefined ? {} : { buildNumber: build.buildNumber }) };
      }),
    })),
  };
}

export function projectView(project: BuildProject): Record<string, unknown> {
  return { ...project, created: iso(project.created), lastModified: iso(project.lastModified) };
}
