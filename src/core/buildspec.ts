/**
 * The compiled buildspec: what src/spec produces from a `buildspec.yml` after validation, and what
 * the build runner consumes. Plain readonly data; every default is already applied, so nothing
 * downstream re-reads the YAML. Field names follow the buildspec keys (reference §1.3–1.11).
 */
import type { BatchSpec } from './build-batch.js';
import type { SourcePosition } from './errors.js';

export type BuildspecVersion = '0.1' | '0.2';

/** The four buildspec phases, in the order they run. */
export const BUILDSPEC_PHASES = ['install', 'pre_build', 'build', 'post_build'] as const;
export type BuildspecPhaseName = (typeof BUILDSPEC_PHASES)[number];

/** `on-failure`: absent means the default transition table of reference §1.7. */
export type OnFailure =
  | { readonly kind: 'ABORT' }
  | { readonly kind: 'CONTINUE' }
  /** `count` more attempts (0–100, default 3) while the failure message matches `pattern`. */
  | { readonly kind: 'RETRY'; readonly count: number; readonly pattern: string };

export interface PhaseSpec {
  readonly runAs: string | undefined;
  readonly onFailure: OnFailure | undefined;
  /** install only; values may contain `$VAR` references, expanded by the shell at run time. */
  readonly runtimeVersions: Readonly<Record<string, string>>;
  readonly commands: readonly string[];
  readonly finally: readonly string[];
  /** Where the phase is defined, for messages. */
  readonly position: SourcePosition | undefined;
}

export interface EnvSpec {
  /** `sh` when absent (decision 7). */
  readonly shell: string;
  /** Literal values: no expansion at definition time. */
  readonly variables: Readonly<Record<string, string>>;
  /** variable name → parameter name */
  readonly parameterStore: Readonly<Record<string, string>>;
  /** variable name → `secret-id[:json-key[:version-stage[:version-id]]]` */
  readonly secretsManager: Readonly<Record<string, SecretReference>>;
  readonly exportedVariables: readonly string[];
  readonly gitCredentialHelper: boolean;
}

export interface SecretReference {
  readonly secretId: string;
  readonly jsonKey: string | undefined;
  readonly versionStage: string | undefined;
  readonly versionId: string | undefined;
  /** The reference as written, for messages. */
  readonly raw: string;
}

export interface ArtifactSpec {
  readonly files: readonly string[];
  readonly name: string | undefined;
  readonly discardPaths: boolean;
  readonly baseDirectory: string | undefined;
  readonly excludePaths: readonly string[];
  readonly enableSymlinks: boolean;
  readonly s3Prefix: string | undefined;
}

export interface ArtifactsSpec {
  /** undefined when the buildspec has secondary artifacts only (a CLIENT_ERROR at upload time). */
  readonly primary: ArtifactSpec | undefined;
  readonly secondary: Readonly<Record<string, ArtifactSpec>>;
}

export const TEST_REPORT_FORMATS = ['JUNITXML', 'CUCUMBERJSON', 'NUNITXML', 'NUNIT3XML', 'TESTNGXML', 'VISUALSTUDIOTRX'] as const;
export const COVERAGE_REPORT_FORMATS = ['CLOVERXML', 'COBERTURAXML', 'JACOCOXML', 'SIMPLECOV'] as const;
export type ReportFormat = (typeof TEST_REPORT_FORMATS)[number] | (typeof COVERAGE_REPORT_FORMATS)[number];

export interface ReportGroupSpec {
  readonly files: readonly string[];
  readonly baseDirectory: string | undefined;
  readonly discardPaths: boolean;
  /** Upper-cased; JUNITXML when absent. */
  readonly fileFormat: ReportFormat;
}

export interface CacheSpec {
  readonly key: string | undefined;
  readonly fallbackKeys: readonly string[];
  /** Both restore and save when absent. */
  readonly restore: boolean;
  readonly save: boolean;
  readonly paths: readonly string[];
}

export interface BuildSpec {
  readonly version: BuildspecVersion;
  readonly runAs: string | undefined;
  readonly env: EnvSpec;
  readonly proxy: { readonly uploadArtifacts: boolean; readonly logs: boolean };
  readonly phases: Readonly<Partial<Record<BuildspecPhaseName, PhaseSpec>>>;
  readonly reports: Readonly<Record<string, ReportGroupSpec>>;
  readonly artifacts: ArtifactsSpec | undefined;
  readonly cache: CacheSpec | undefined;
  /** The `batch` section: this buildspec starts a batch of builds (core/build-batch.ts). */
  readonly batch: BatchSpec | undefined;
  /** The file name used in messages (a path, or `<inline>`). */
  readonly file: string;
  /**
   * What CodeBuild lets pass but a person should hear of (unknown keys at the top level and
   * under `env`), in source order: printed before the build and by `nagare build --validate`.
   */
  readonly warnings: readonly BuildspecWarning[];
}

export interface BuildspecWarning {
  readonly code: 'SPEC_UNKNOWN_KEY';
  readonly message: string;
  readonly position: SourcePosition;
}
