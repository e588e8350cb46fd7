/**
 * What the build runner is asked to do (`runBuild`), shared by the runner and the steps that do
 * each phase's work; on its own so that they need not import each other.
 */
import type { BuildSpec } from '../core/buildspec.js';
import type { BuildPhaseState } from '../core/build-phases.js';
import type { Executor } from '../core/executor.js';
import type { LogSink } from '../executors/command-log.js';
import type { BuildIdentity } from './environment.js';
import type { ParameterSource } from './parameters.js';

export interface UploadedArtifact {
  readonly artifactIdentifier: string | undefined;
  /** Absolute path of the zip file. */
  readonly location: string;
  readonly sha256sum: string;
  readonly bytes: number;
  readonly files: number;
}

export interface BuildRequest {
  readonly identity: BuildIdentity;
  readonly buildspec: BuildSpec;
  /** Where the buildspec came from, for the log (`buildspec.yml`, `<inline>`). */
  readonly buildspecLocation: string;
  readonly executor: Executor;
  /** Highest-precedence variables (flags, env file; later StartBuild overrides and the project). */
  readonly overrides: Readonly<Record<string, string>>;
  /** Values to mask in the log besides the buildspec's parameters (a project's typed variables). */
  readonly secretValues?: readonly string[] | undefined;
  readonly parameters: ParameterSource;
  readonly artifactsDir: string;
  /**
   * Where each artifact zip goes once written (an agent uploads it to its server), inside
   * UPLOAD_ARTIFACTS: a rejection fails that phase with the reason. Resolves with a line for the log.
   */
  readonly artifactSink?: ((artifact: UploadedArtifact) => Promise<string>) | undefined;
  readonly reportsDir: string | undefined;
  readonly cacheRoot: string | undefined;
  /**
   * A path, not yet existing, where the runner creates the build's cache staging directory (mode
   * 1777, visible to the build) when the buildspec has a cache; under the OS temporary directory
   * when absent. Agents put it in the build's own directory.
   */
  readonly cacheStagingDir?: string | undefined;
  /** The largest cache save in bytes; 5 GiB when absent. */
  readonly cacheLimitBytes?: number | undefined;
  readonly timeoutInMinutes: number;
  /** When PROVISIONING began: an agent's lease, not StartBuild (the server keeps QUEUED until then). */
  readonly provisioningStartsAt?: number | undefined;
  readonly log: LogSink;
  readonly clock: () => number;
  /** Aborting it stops the build (StopBuild, Ctrl-C). */
  readonly signal?: AbortSignal | undefined;
  /** How long a stopped command gets between SIGTERM and SIGKILL (decision 4: 10 s). */
  readonly killGraceMs?: number;
  /**
   * Called after every phase change, e.g. so that an agent can report live phases to the server.
   * The contexts' messages are masked, since the state is meant to leave the build.
   */
  readonly onPhaseChange?: (state: BuildPhaseState) => void;
  /** Bytes of log kept (finding 11); later output is dropped with a marker line. Default 256 MiB. */
  readonly logLimitBytes?: number | undefined;
}
