/**
 * A build project, after the CodeBuild `Project` model (CreateProject / BatchGetProjects), as the
 * server keeps it. Validated at the edges (native API, AWS API, CLI) into this shape.
 */

export type SourceType = 'NO_SOURCE' | 'GIT' | 'CODECOMMIT' | 'CODEPIPELINE';

export interface ProjectSource {
  readonly type: SourceType;
  /** Git URL or local path of a repository (GIT); absent for NO_SOURCE. */
  readonly location: string | undefined;
  /** Path relative to the source root, or an inline buildspec (required for NO_SOURCE). */
  readonly buildspec: string | undefined;
  readonly gitCloneDepth: number | undefined;
}

export type EnvironmentVariableType = 'PLAINTEXT' | 'PARAMETER_STORE' | 'SECRETS_MANAGER';

export interface EnvironmentVariable {
  readonly name: string;
  /** The value itself (PLAINTEXT) or the parameter name / secret reference. */
  readonly value: string;
  readonly type: EnvironmentVariableType;
}

export interface RegistryCredential {
  /** The secret's name or ARN. */
  readonly credential: string;
  readonly credentialProvider: 'SECRETS_MANAGER';
}

export interface ProjectEnvironment {
  /** Always LINUX_CONTAINER for now. */
  readonly type: 'LINUX_CONTAINER';
  /** `shell` runs on the agent's host; anything else is a Docker image. */
  readonly image: string;
  readonly computeType: string;
  readonly environmentVariables: readonly EnvironmentVariable[];
  readonly privilegedMode: boolean;
  /**
   * CodeBuild's `registryCredential`: the image is pulled with the nagare secret `credential`
   * (its value JSON `{"username","password"}`), the only provider being SECRETS_MANAGER.
   */
  readonly registryCredential?: RegistryCredential | undefined;
  /** CodeBuild's `environment.fleet`: builds run only on the agents of this fleet. */
  readonly fleet?: { readonly fleetArn: string } | undefined;
}

export interface ProjectArtifacts {
  readonly type: 'NO_ARTIFACTS' | 'S3' | 'CODEPIPELINE';
  readonly artifactIdentifier?: string;
  readonly name?: string;
  readonly location?: string;
  readonly path?: string;
  readonly namespaceType?: 'NONE' | 'BUILD_ID';
  readonly packaging?: 'NONE' | 'ZIP';
  readonly overrideArtifactName?: boolean;
}

export interface ProjectCache {
  readonly type: 'NO_CACHE' | 'LOCAL' | 'S3';
  readonly modes: readonly string[];
}

/**
 * CodeBuild's `logsConfig`: where AWS would send the build log. nagare keeps every log itself; the
 * setting is kept and returned, and names the log group and stream a build reports (`Build.logs`).
 */
export interface ProjectLogsConfig {
  readonly cloudWatchLogs?: { readonly status: 'ENABLED' | 'DISABLED'; readonly groupName?: string | undefined; readonly streamName?: string | undefined } | undefined;
  readonly s3Logs?: { readonly status: 'ENABLED' | 'DISABLED'; readonly location?: string | undefined; readonly encryptionDisabled?: boolean | undefined; readonly bucketOwnerAccess?: string | undefined } | undefined;
}

export interface Tag {
  readonly key: string;
  readonly value: string;
}

export interface BuildProject {
  readonly name: string;
  readonly arn: string;
  readonly description: string | undefined;
  readonly source: ProjectSource;
  readonly sourceVersion: string | undefined;
  readonly environment: ProjectEnvironment;
  readonly artifacts: ProjectArtifacts;
  readonly secondaryArtifacts: readonly ProjectArtifacts[];
  readonly cache: ProjectCache;
  /** 5–2160, default 60. */
  readonly timeoutInMinutes: number;
  /** 5–480, default 480. */
  readonly queuedTimeoutInMinutes: number;
  readonly concurrentBuildLimit: number | undefined;
  readonly tags: readonly Tag[];
  /**
   * Kept and returned as given, as AWS does; nagare runs builds with the agent's rights and keeps
   * artifacts unencrypted on its own store, so neither changes how a build runs.
   */
  readonly serviceRole?: string | undefined;
  readonly encryptionKey?: string | undefined;
  readonly logsConfig?: ProjectLogsConfig | undefined;
  /** Epoch milliseconds. */
  readonly created: number;
  readonly lastModified: number;
}

export const PROJECT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/;
export const DEFAULT_TIMEOUT_MINUTES = 60;
export const DEFAULT_QUEUED_TIMEOUT_MINUTES = 480;
