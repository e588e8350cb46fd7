/** Sample values for the store contract. */
import assert from 'node:assert/strict';
import { isNagareError, type ErrorCode } from '../../src/core/errors.js';
import type { BuildProject } from '../../src/core/project.js';
import type { BuildJob } from '../../src/core/build-job.js';
import { submittedBuild, type BuildRecord } from '../../src/core/build-life.js';
import type { StoredBuild } from '../../src/core/store.js';

/** A time past 2^31 ms and past 2^32, so a 32-bit or string column would show. */
export const T0 = 1_750_000_000_000;

export function sampleProject(name: string, overrides: Partial<BuildProject> = {}): BuildProject {
  return {
    name,
    arn: `arn:aws:codebuild:local:000000000000:project/${name}`,
    description: 'a sample project — with ünïcode',
    source: { type: 'GIT', location: 'https://git.example/repo.git', buildspec: undefined, gitCloneDepth: 1 },
    sourceVersion: 'main',
    environment: { type: 'LINUX_CONTAINER', image: 'shell', computeType: 'BUILD_GENERAL1_SMALL', environmentVariables: [{ name: 'A', value: '1', type: 'PLAINTEXT' }], privilegedMode: false },
    artifacts: { type: 'NO_ARTIFACTS' },
    secondaryArtifacts: [],
    cache: { type: 'LOCAL', modes: ['LOCAL_CUSTOM_CACHE'] },
    timeoutInMinutes: 60,
    queuedTimeoutInMinutes: 480,
    concurrentBuildLimit: undefined,
    tags: [{ key: 'team', value: 'ci' }],
    created: T0,
    lastModified: T0,
    ...overrides,
  };
}

export function sampleBuild(id: string, overrides: Partial<StoredBuild> = {}): StoredBuild {
  return {
    id,
    projectName: id.split(':')[0] ?? id,
    buildNumber: 1,
    buildStatus: 'IN_PROGRESS',
    currentPhase: 'QUEUED',
    startTime: T0,
    endTime: undefined,
    stopRequested: false,
    logBytes: 0,
    logNextSequence: 0,
    record: sampleRecord(id),
    ...overrides,
  };
}

export function sampleJob(id: string, projectName: string, queuedAt: number) {
  return { id, kind: 'build' as const, projectName, queuedAt, payload: { buildId: `${projectName}:${id}` } };
}

/** Asserts that `work` rejects with a NagareError of `code`. */
export async function rejectsWith(work: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(work, (error: unknown) => {
    assert.ok(isNagareError(error), `expected a NagareError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

export function sampleBuildJob(buildId: string): BuildJob {
  const projectName = buildId.split(':')[0] ?? buildId;
  return {
    buildId, buildNumber: 1, projectName, initiator: 'tester', startTime: T0, region: 'local', accountId: '000000000000',
    source: { type: 'NO_SOURCE', location: undefined, sourceVersion: undefined, gitCloneDepth: undefined },
    buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo]\n', image: 'shell', environmentVariables: [],
    artifacts: { type: 'NO_ARTIFACTS' }, secondaryArtifacts: [], cacheEnabled: false, timeoutInMinutes: 60,
  };
}

/** The record of a build just queued, as the server stores it (core/build-life.ts). */
export function sampleRecord(buildId: string, overrides: Partial<BuildRecord> = {}): BuildRecord {
  return { ...submittedBuild(sampleBuildJob(buildId), T0).record, ...overrides };
}
