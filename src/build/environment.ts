/**
 * The build's environment variables. Precedence, highest first (reference §1.4): overrides (the
 * `nagare build` flags and env file, later StartBuild's override and the project), then the
 * buildspec's `env`, then the variables CodeBuild itself sets (§1.8), then the image's own.
 */
export interface BuildIdentity {
  readonly buildId: string;
  readonly buildNumber: number;
  readonly projectName: string;
  readonly region: string;
  readonly accountId: string;
  readonly initiator: string;
  readonly image: string;
  readonly sourceDir: string;
  readonly startTime: number;
  readonly sourceVersion: string | undefined;
  readonly resolvedSourceVersion: string | undefined;
  readonly sourceRepoUrl: string | undefined;
  /** Extra sources: identifier → directory (`CODEBUILD_SRC_DIR_<identifier>`). */
  readonly secondarySources: Readonly<Record<string, string>>;
  /** W3C traceparent, so that tools inside the build continue the trace (absent for `nagare build`). */
  readonly traceParent?: string | undefined;
  /** Where a person sees this build (CODEBUILD_BUILD_URL): the server's page of it, or the local log file. */
  readonly buildUrl: string | undefined;
  /** Set when the build is one entry of a build batch. */
  readonly batch?: BatchMembership | undefined;
}

export interface BatchMembership {
  /** The entry's identifier in the batchspec (CODEBUILD_BATCH_BUILD_IDENTIFIER). */
  readonly identifier: string;
  readonly batchArn: string;
}

export function buildArn(identity: BuildIdentity): string {
  return `arn:aws:codebuild:${identity.region}:${identity.accountId}:build/${identity.buildId}`;
}

export function projectArn(identity: BuildIdentity): string {
  return `arn:aws:codebuild:${identity.region}:${identity.accountId}:project/${identity.projectName}`;
}

/** The `CODEBUILD_*` and region variables of reference §1.8 that mean something here. */
export function codebuildVariables(identity: BuildIdentity): Record<string, string> {
  const vars: Record<string, string> = {
    AWS_DEFAULT_REGION: identity.region,
    AWS_REGION: identity.region,
    CODEBUILD_BUILD_ARN: buildArn(identity),
    CODEBUILD_BUILD_ID: identity.buildId,
    CODEBUILD_BUILD_IMAGE: identity.image,
    CODEBUILD_BUILD_NUMBER: String(identity.buildNumber),
    CODEBUILD_BUILD_SUCCEEDING: '1',
    CODEBUILD_INITIATOR: identity.initiator,
    CODEBUILD_LOG_PATH: identity.buildId.slice(identity.buildId.indexOf(':') + 1),
    CODEBUILD_PROJECT_ARN: projectArn(identity),
    CODEBUILD_SRC_DIR: identity.sourceDir,
    CODEBUILD_START_TIME: String(identity.startTime),
  };
  if (identity.buildUrl !== undefined) vars.CODEBUILD_BUILD_URL = identity.buildUrl;
  if (identity.sourceVersion !== undefined) vars.CODEBUILD_SOURCE_VERSION = identity.sourceVersion;
  if (identity.resolvedSourceVersion !== undefined) vars.CODEBUILD_RESOLVED_SOURCE_VERSION = identity.resolvedSourceVersion;
  if (identity.sourceRepoUrl !== undefined) vars.CODEBUILD_SOURCE_REPO_URL = identity.sourceRepoUrl;
  for (const [id, dir] of Object.entries(identity.secondarySources)) vars[`CODEBUILD_SRC_DIR_${id}`] = dir;
  if (identity.traceParent !== undefined) {
    vars.TRACEPARENT = identity.traceParent;
    vars.NAGARE_TRACE_ID = identity.traceParent.split('-')[1] ?? '';
  }
  if (identity.batch) {
    vars.CODEBUILD_BATCH_BUILD_IDENTIFIER = identity.batch.identifier;
    // Not in AWS's list of variables, but the batch's ARN is what a build needs to find its siblings.
    vars.CODEBUILD_BATCH_BUILD_ARN = identity.batch.batchArn;
    vars.CODEBUILD_BUILD_BATCH_TRIGGERED = 'true';
  }
  return vars;
}

export interface EnvironmentLayers {
  readonly image: Readonly<Record<string, string>>;
  readonly codebuild: Readonly<Record<string, string>>;
  readonly buildspec: Readonly<Record<string, string>>;
  readonly overrides: Readonly<Record<string, string>>;
  /** Directory holding helper commands such as `codebuild-hash-files`, put first on PATH. */
  readonly helperBinDir: string | undefined;
}

export function assembleEnvironment(layers: EnvironmentLayers): Record<string, string> {
  const env: Record<string, string> = { ...layers.image, ...layers.codebuild, ...layers.buildspec, ...layers.overrides };
  // CODEBUILD_ names are reserved: nothing overrides what nagare sets.
  Object.assign(env, layers.codebuild);
  if (layers.helperBinDir) env.PATH = env.PATH ? `${env.PATH}:${layers.helperBinDir}` : layers.helperBinDir;
  return env;
}
