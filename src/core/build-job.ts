/**
 * What an agent needs to run one build, as the server hands it out with a lease. A snapshot taken
 * at StartBuild: later changes to the project do not change a queued build.
 */
import type { EnvironmentVariable, ProjectArtifacts, SourceType } from './project.js';

export interface BuildJob {
  readonly buildId: string;
  readonly buildNumber: number;
  readonly projectName: string;
  readonly initiator: string;
  /** Epoch ms of StartBuild. */
  readonly startTime: number;
  readonly region: string;
  readonly accountId: string;
  readonly source: {
    readonly type: SourceType;
    /** Git URL or path for GIT; undefined for NO_SOURCE. */
    readonly location: string | undefined;
    /** Branch, tag or commit to check out; the default branch when undefined. */
    readonly sourceVersion: string | undefined;
    readonly gitCloneDepth: number | undefined;
  };
  /** A path in the source, or the inline buildspec itself; `buildspec.yml` when undefined. */
  readonly buildspec: string | undefined;
  /** `shell` for the agent's host shell, otherwise a Docker image. */
  readonly image: string;
  /** The project's `privilegedMode`: a Docker build gets the agent's engine (needs the `docker` label). */
  readonly privilegedMode?: boolean | undefined;
  /** The project's registryCredential: the secret holding `{"username","password"}` for the image's registry. */
  readonly registryCredential?: string | undefined;
  /** Project variables with StartBuild's overrides applied (override wins). */
  readonly environmentVariables: readonly EnvironmentVariable[];
  readonly artifacts: ProjectArtifacts;
  readonly secondaryArtifacts: readonly ProjectArtifacts[];
  readonly cacheEnabled: boolean;
  readonly timeoutInMinutes: number;
  /**
   * CODEPIPELINE source: the action's input artifacts (zips in the blob store). The primary one is
   * unpacked into CODEBUILD_SRC_DIR, the others into CODEBUILD_SRC_DIR_<name>.
   */
  readonly inputArtifacts?: readonly { readonly name: string; readonly blobKey: string }[] | undefined;
  readonly primarySource?: string | undefined;
  /** How long it may wait in the queue (the project's, or StartBuild's override); absent in builds queued before it was kept. */
  readonly queuedTimeoutInMinutes?: number | undefined;
  /** StartBuild's fleetOverride (an ARN): the build runs in that fleet rather than the project's. */
  readonly fleetArn?: string | undefined;
  /** Set when a pipeline action started the build; its result goes back to that action. */
  readonly pipelineAction?: PipelineActionRef | undefined;
  /**
   * The W3C `traceparent` of the build (`00-<trace id>-<span id>-01`): builds of one pipeline
   * execution share the trace id. Given to the build as TRACEPARENT and NAGARE_TRACE_ID.
   */
  readonly traceParent?: string | undefined;
  /** The span the build's span is a child of (its pipeline action attempt's, or an API caller's), for exported spans. */
  readonly parentSpanId?: string | undefined;
  /** Set when the build is one entry of a build batch (CODEBUILD_BATCH_BUILD_IDENTIFIER). */
  readonly batch?: { readonly identifier: string; readonly batchArn: string } | undefined;
}

export interface PipelineActionRef {
  readonly pipelineName: string;
  readonly executionId: string;
  readonly stageName: string;
  readonly actionName: string;
  readonly attempt: number;
}

/** Artifacts of a finished build as the server records them (blob keys, not host paths). */
export interface StoredArtifact {
  readonly artifactIdentifier: string | undefined;
  readonly blobKey: string;
  readonly sha256sum: string;
  readonly bytes: number;
  readonly name: string;
}
