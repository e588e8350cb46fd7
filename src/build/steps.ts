/**
 * What each phase of a build does. The runner decides which phase runs (through the pure machine);
 * this class does the work of one phase and reports its outcome. It also keeps what the build
 * produced (artifacts, reports, exported variables) for the build record.
 */
import path from 'node:path';
import { BUILDSPEC_PHASES, type BuildspecPhaseName } from '../core/buildspec.js';
import { buildPhaseSucceeded, type BuildPhaseState, type PhaseContext, type PhaseType } from '../core/build-phases.js';
import { assembleEnvironment, codebuildVariables } from './environment.js';
import { helperBinDir } from './helpers.js';
import { Masker, type BuildLog } from '../executors/command-log.js';
import { resolveParameters } from './parameters.js';
import { runPhaseCommands } from './phase-commands.js';
import type { BuildRequest } from './build-request.js';
import { BuildShells } from '../executors/shells.js';
import { uploadArtifacts } from './upload.js';
import type { UploadedArtifact } from './build-request.js';
import { buildScriptRunner, prepareCacheStaging, prepareOutputStaging, restoreBuildCache, saveBuildCache } from './build-cache.js';
import type { OutsideCollector } from './outside-paths.js';
import type { CacheStaging } from './cache-staging.js';
import { collectReports, type BuildReport } from './build-reports.js';

export type StepResult =
  | { readonly outcome: 'SUCCEEDED' }
  | { readonly outcome: 'FAILED' | 'FAULT'; readonly context: PhaseContext; readonly failureText?: string }
  | { readonly outcome: 'INTERRUPTED' };

const SUCCEEDED: StepResult = { outcome: 'SUCCEEDED' };

export class BuildSteps {
  interrupted: () => boolean = () => false;
  shells: BuildShells | undefined;
  primaryArtifact: UploadedArtifact | undefined;
  secondaryArtifacts: UploadedArtifact[] = [];
  reports: BuildReport[] = [];
  exportedVariables: { name: string; value: string }[] = [];
  private masker = new Masker([]);
  private imageEnvironment: Readonly<Record<string, string>> = {};
  private cacheStaging: CacheStaging | undefined;
  /** Where the build copies artifact and report paths outside the source (outside-paths.ts). */
  private outputStaging: CacheStaging | undefined;

  constructor(
    private readonly request: BuildRequest,
    readonly log: BuildLog,
  ) {}

  mask(text: string): string {
    return this.masker.mask(text);
  }

  async provision(): Promise<StepResult> {
    const { executor, identity } = this.request;
    this.log.system(`Running on nagare (${executor.description})`);
    const { buildspec } = this.request;
    if (buildspec.cache && this.request.cacheRoot) this.cacheStaging = await prepareCacheStaging(this.request);
    if (buildspec.artifacts || Object.keys(buildspec.reports).length > 0) this.outputStaging = await prepareOutputStaging(this.request);
    const staging = [this.cacheStaging, this.outputStaging].flatMap((dir) => (dir ? [dir.dir] : []));
    const mounts = [identity.sourceDir, ...Object.values(identity.secondarySources), helperBinDir(), ...staging];
    await executor.start(mounts);
    this.imageEnvironment = await executor.baseEnvironment();
    return SUCCEEDED;
  }

  async downloadSource(): Promise<StepResult> {
    const { identity, buildspec } = this.request;
    this.log.system('Phase is DOWNLOAD_SOURCE');
    this.log.system(`CODEBUILD_SRC_DIR=${identity.sourceDir}`);
    this.log.system(`YAML location is ${this.request.buildspecLocation}`);
    this.log.system('Processing environment variables');
    const resolved = resolveParameters(buildspec.env, this.request.parameters);
    if (!resolved.ok) {
      return { outcome: 'FAILED', context: { statusCode: 'CLIENT_ERROR', message: resolved.message } };
    }
    this.masker = new Masker([...resolved.secrets, ...(this.request.secretValues ?? []), ...awsCredentialValues(this.request.overrides)]);
    this.log.setMasker(this.masker);
    const env = assembleEnvironment({
      image: this.imageEnvironment,
      codebuild: codebuildVariables(identity),
      buildspec: { ...buildspec.env.variables, ...resolved.variables },
      overrides: this.request.overrides,
      helperBinDir: helperBinDir(),
    });
    this.shells = new BuildShells({ executor: this.request.executor, version: buildspec.version, shell: buildspec.env.shell, initial: { env, cwd: identity.sourceDir } });
    this.log.system(`Moving to directory ${identity.sourceDir}`);
    const phases = BUILDSPEC_PHASES.filter((name) => buildspec.phases[name]);
    this.log.system(`Phases found in YAML: ${phases.length}`);
    for (const name of phases) this.log.system(` ${name.toUpperCase()}: ${buildspec.phases[name]?.commands.length ?? 0} commands`);
    if (buildspec.cache && this.cacheStaging) {
      for (const line of await restoreBuildCache(buildspec.cache, this.request, this.shells, this.cacheStaging)) this.log.system(line);
    }
    return SUCCEEDED;
  }

  async buildspecPhase(name: BuildspecPhaseName, succeeding: boolean): Promise<StepResult> {
    const phase = this.request.buildspec.phases[name];
    const shells = this.shells;
    if (!phase || !shells) return SUCCEEDED;
    await shells.setVariable('CODEBUILD_BUILD_SUCCEEDING', succeeding ? '1' : '0');
    if (Object.keys(phase.runtimeVersions).length > 0) {
      this.log.system('Skipping install of runtimes. Runtime version selection is not supported by this build image.');
    }
    const user = phase.runAs ?? this.request.buildspec.runAs;
    const result = await runPhaseCommands({ phase, user, shells, log: this.log, interrupted: this.interrupted });
    if (result.outcome === 'FAILED') return { outcome: 'FAILED', context: result.context, failureText: result.failureText };
    return result;
  }

  async uploadArtifacts(state: BuildPhaseState): Promise<StepResult> {
    const { buildspec } = this.request;
    if (buildspec.cache && this.cacheStaging && this.shells) {
      if (buildPhaseSucceeded(state)) for (const line of await saveBuildCache(buildspec.cache, this.request, this.shells, this.cacheStaging)) this.log.system(line);
      else this.log.system('Skipping cache save: the BUILD phase did not succeed');
    }
    if (!buildspec.artifacts) return SUCCEEDED;
    const uploaded = await uploadArtifacts(buildspec.artifacts, this.request, this.shells, this.log, this.outsideCollector());
    if (!uploaded.ok) return { outcome: 'FAILED', context: uploaded.context };
    this.primaryArtifact = uploaded.primary;
    this.secondaryArtifacts = uploaded.secondary;
    const sink = this.request.artifactSink;
    for (const artifact of sink ? [...(uploaded.primary ? [uploaded.primary] : []), ...uploaded.secondary] : []) {
      try {
        this.log.system(await sink!(artifact));
      } catch (error) {
        const message = `Could not upload ${path.basename(artifact.location)}: ${error instanceof Error ? error.message : String(error)}`;
        this.log.system(message);
        return { outcome: 'FAILED', context: { statusCode: 'CLIENT_ERROR', message } };
      }
    }
    return SUCCEEDED;
  }

  async finalize(): Promise<StepResult> {
    const { buildspec, identity } = this.request;
    if (Object.keys(buildspec.reports).length > 0) {
      const shells = this.interrupted() ? undefined : this.shells;
      this.reports = await collectReports(buildspec.reports, identity, this.request.reportsDir, shells, this.log, shells && this.outsideCollector());
    }
    return SUCCEEDED;
  }

  /** Exported variables take their value at the end of the last phase that ran (decision 10). */
  async afterPhase(phase: PhaseType, _state: BuildPhaseState): Promise<void> {
    const names = this.request.buildspec.env.exportedVariables;
    if (names.length === 0 || !this.shells || this.interrupted()) return;
    if (!['INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD'].includes(phase)) return;
    const values = await this.shells.variables(names, this.request.buildspec.runAs);
    this.exportedVariables = names.map((name) => ({ name, value: this.masker.mask(values[name] ?? '') }));
  }

  private outsideCollector(): OutsideCollector | undefined {
    if (!this.outputStaging || !this.shells) return undefined;
    return { stagingDir: this.outputStaging.dir, run: buildScriptRunner(this.shells, this.request.buildspec.runAs) };
  }

  async terminate(graceMs: number): Promise<void> {
    await this.shells?.terminate(graceMs);
  }

  async dispose(): Promise<void> {
    try {
      // The executor ends every shell it opened: a Docker one lets idle shells end with the container.
      this.shells?.close();
      await this.request.executor.dispose(0);
    } finally {
      await this.cacheStaging?.dispose();
      await this.outputStaging?.dispose();
    }
  }
}

/** AWS credentials given to a build are masked like secrets (reference §1.4). */
export function awsCredentialValues(overrides: Readonly<Record<string, string>>): string[] {
  return ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'].flatMap((name) => (overrides[name] ? [overrides[name]] : []));
}
