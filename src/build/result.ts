/**
 * The build record, shaped like the AWS CodeBuild `Build` object (BatchGetBuilds) so that tools
 * reading CodeBuild output read nagare's. Times are ISO 8601 strings as the AWS CLI prints them.
 */
import type { BuildPhaseState, PhaseContext, PhaseType, StatusType } from '../core/build-phases.js';
import { buildArn, type BuildIdentity } from './environment.js';
import type { BuildReport } from './build-reports.js';
import type { BuildRequest } from './build-request.js';
import type { BuildSteps } from './steps.js';

export interface BuildPhaseRecord {
  readonly phaseType: PhaseType;
  readonly phaseStatus?: StatusType;
  readonly startTime: string;
  readonly endTime?: string;
  readonly durationInSeconds?: number;
  readonly contexts?: readonly PhaseContext[];
}

export interface ArtifactRecord {
  readonly location: string;
  readonly sha256sum: string;
  readonly artifactIdentifier?: string;
}

export interface BuildRecord {
  readonly id: string;
  readonly arn: string;
  readonly buildNumber: number;
  readonly startTime: string;
  readonly endTime: string;
  readonly currentPhase: PhaseType;
  readonly buildStatus: StatusType;
  readonly sourceVersion?: string;
  readonly resolvedSourceVersion?: string;
  readonly projectName: string;
  readonly phases: readonly BuildPhaseRecord[];
  readonly source: { readonly type: string; readonly location: string; readonly buildspec: string };
  readonly artifacts?: ArtifactRecord;
  readonly secondaryArtifacts: readonly ArtifactRecord[];
  readonly environment: { readonly type: 'LINUX_CONTAINER'; readonly image: string; readonly computeType: 'BUILD_GENERAL1_SMALL'; readonly environmentVariables: readonly { name: string; value: string; type: 'PLAINTEXT' }[] };
  readonly timeoutInMinutes: number;
  readonly buildComplete: boolean;
  readonly initiator: string;
  readonly exportedEnvironmentVariables: readonly { readonly name: string; readonly value: string }[];
  /** nagare's addition: the report summaries (CodeBuild returns report ARNs and a separate API). */
  readonly reports: readonly BuildReport[];
}

export interface RecordInput {
  readonly request: BuildRequest;
  readonly state: BuildPhaseState;
  readonly steps: BuildSteps;
  readonly codebuild: Readonly<Record<string, string>>;
  readonly mask: (text: string) => string;
}

export function toBuildRecord({ request, state, steps, mask }: RecordInput): BuildRecord {
  const { identity } = request;
  const phases = state.phases.map((p): BuildPhaseRecord => ({
    phaseType: p.phaseType,
    ...(p.phaseStatus ? { phaseStatus: p.phaseStatus } : {}),
    startTime: iso(p.startTime),
    ...(p.endTime === undefined ? {} : { endTime: iso(p.endTime), durationInSeconds: Math.round((p.endTime - p.startTime) / 1000) }),
    ...(p.contexts.length > 0 ? { contexts: p.contexts.map((c) => ({ statusCode: c.statusCode, message: mask(c.message) })) } : {}),
  }));
  const artifact = (a: { location: string; sha256sum: string; artifactIdentifier: string | undefined }): ArtifactRecord => ({
    location: a.location,
    sha256sum: a.sha256sum,
    ...(a.artifactIdentifier ? { artifactIdentifier: a.artifactIdentifier } : {}),
  });
  return {
    id: identity.buildId,
    arn: buildArn(identity),
    buildNumber: identity.buildNumber,
    startTime: iso(identity.startTime),
    endTime: iso(state.phases.at(-1)?.startTime ?? identity.startTime),
    currentPhase: state.currentPhase,
    buildStatus: state.buildStatus,
    ...(identity.sourceVersion ? { sourceVersion: identity.sourceVersion } : {}),
    ...(identity.resolvedSourceVersion ? { resolvedSourceVersion: identity.resolvedSourceVersion } : {}),
    projectName: identity.projectName,
    phases,
    source: sourceOf(identity, request.buildspecLocation),
    ...(steps.primaryArtifact ? { artifacts: artifact(steps.primaryArtifact) } : {}),
    secondaryArtifacts: steps.secondaryArtifacts.map(artifact),
    environment: {
      type: 'LINUX_CONTAINER',
      image: identity.image,
      computeType: 'BUILD_GENERAL1_SMALL',
      // Names only matter to a reader; values of overrides may be sensitive, so they are masked.
      environmentVariables: Object.entries(request.overrides).map(([name, value]) => ({ name, value: mask(value), type: 'PLAINTEXT' as const })),
    },
    timeoutInMinutes: request.timeoutInMinutes,
    buildComplete: state.currentPhase === 'COMPLETED',
    initiator: identity.initiator,
    exportedEnvironmentVariables: steps.exportedVariables,
    reports: steps.reports,
  };
}

function sourceOf(identity: BuildIdentity, buildspec: string): BuildRecord['source'] {
  return { type: identity.sourceRepoUrl ? 'GIT' : 'NO_SOURCE', location: identity.sourceRepoUrl ?? identity.sourceDir, buildspec };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
