/**
 * nagare's projects and builds in the shapes of the AWS CodeBuild API reference (`Project`,
 * `Build`, `BuildPhase`, `PhaseContext`, `BuildArtifacts`, `EnvironmentVariable` …). AWS JSON 1.1
 * sends timestamps as epoch seconds (the SDK turns them into Dates), so milliseconds are divided.
 *
 * Secrets never leave: PARAMETER_STORE and SECRETS_MANAGER variables carry their reference (the
 * parameter name or secret id) in `value`, as AWS shows them; resolved values exist only on agents.
 */
import type { StoredArtifact } from '../../core/build-job.js';
import type { PhaseRecord } from '../../core/build-phases.js';
import type { BuildProject, EnvironmentVariable, ProjectArtifacts } from '../../core/project.js';
import type { Fleet, StoredBuild, StoredBuildBatch } from '../../core/store.js';
import { artifactUrl, logUrl } from '../native-views.js';
import { reportEntries } from './codebuild-reports.js';

type Json = Record<string, unknown>;

/** What a build's shape needs to know besides the build itself. */
export interface BuildShapeContext {
  /** The URL the server is reached at, for artifact and log links. */
  readonly publicUrl: string;
  readonly region: string;
  readonly accountId: string;
  /** The build's project when it still exists (for settings the build record does not keep). */
  readonly project: BuildProject | undefined;
}

export function epochSeconds(ms: number): number;
export function epochSeconds(ms: number | undefined): number | undefined;
export function epochSeconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}

/** AWS `EnvironmentVariable`: for PARAMETER_STORE and SECRETS_MANAGER the value is the reference. */
export function environmentVariableShape(variable: EnvironmentVariable): Json {
  return { name: variable.name, value: variable.value, type: variable.type };
}

function projectArtifactsShape(artifacts: ProjectArtifacts): Json {
  return { ...artifacts };
}

export function projectShape(project: BuildProject): Json {
  return {
    name: project.name,
    arn: project.arn,
    description: project.description,
    source: { ...project.source },
    sourceVersion: project.sourceVersion,
    artifacts: projectArtifactsShape(project.artifacts),
    secondaryArtifacts: project.secondaryArtifacts.map(projectArtifactsShape),
    cache: { type: project.cache.type, modes: project.cache.type === 'LOCAL' ? [...project.cache.modes] : undefined },
    environment: {
      type: project.environment.type,
      image: project.environment.image,
      computeType: project.environment.computeType,
      environmentVariables: project.environment.environmentVariables.map(environmentVariableShape),
      privilegedMode: project.environment.privilegedMode,
      ...(project.environment.registryCredential ? { registryCredential: { ...project.environment.registryCredential } } : {}),
      ...(project.environment.fleet ? { fleet: { fleetArn: project.environment.fleet.fleetArn } } : {}),
      imagePullCredentialsType: 'CODEBUILD',
    },
    timeoutInMinutes: project.timeoutInMinutes,
    queuedTimeoutInMinutes: project.queuedTimeoutInMinutes,
    concurrentBuildLimit: project.concurrentBuildLimit,
    tags: project.tags.map((t) => ({ key: t.key, value: t.value })),
    serviceRole: project.serviceRole,
    encryptionKey: project.encryptionKey,
    logsConfig: project.logsConfig ?? { cloudWatchLogs: { status: 'ENABLED' }, s3Logs: { status: 'DISABLED' } },
    created: epochSeconds(project.created),
    lastModified: epochSeconds(project.lastModified),
    badge: { badgeEnabled: false },
    projectVisibility: 'PRIVATE',
  };
}

/** AWS `BuildPhase`; `durationInSeconds` once the phase has ended, as AWS gives it. */
export function phaseShape(phase: PhaseRecord): Json {
  return {
    phaseType: phase.phaseType,
    phaseStatus: phase.phaseStatus,
    startTime: epochSeconds(phase.startTime),
    endTime: epochSeconds(phase.endTime),
    durationInSeconds: phase.endTime === undefined ? undefined : Math.round((phase.endTime - phase.startTime) / 1000),
    contexts: phase.phaseType === 'COMPLETED' ? undefined : phase.contexts.map((c) => ({ statusCode: c.statusCode, message: c.message })),
  };
}

/** AWS `BuildArtifacts`: `location` is a nagare URL that downloads the zip. */
function buildArtifactsShape(artifact: StoredArtifact, publicUrl: string, buildId: string): Json {
  return {
    location: artifactUrl(publicUrl, buildId, artifact.name),
    sha256sum: artifact.sha256sum,
    artifactIdentifier: artifact.artifactIdentifier,
    overrideArtifactName: false,
    encryptionDisabled: true,
  };
}

export function buildShape(build: StoredBuild, context: BuildShapeContext): Json {
  const data = build.record;
  const { job } = data;
  const project = context.project;
  const publicUrl = context.publicUrl;
  return {
    id: build.id,
    arn: `arn:aws:codebuild:${job.region}:${job.accountId}:build/${build.id}`,
    buildNumber: build.buildNumber,
    startTime: epochSeconds(build.startTime),
    endTime: epochSeconds(build.endTime),
    currentPhase: build.currentPhase,
    buildStatus: build.buildStatus,
    buildComplete: build.currentPhase === 'COMPLETED',
    sourceVersion: job.source.sourceVersion,
    resolvedSourceVersion: data.resolvedSourceVersion,
    projectName: build.projectName,
    phases: data.phases.map(phaseShape),
    source: {
      type: job.source.type,
      location: job.source.location,
      buildspec: job.buildspec,
      gitCloneDepth: job.source.gitCloneDepth,
    },
    secondarySources: [],
    secondarySourceVersions: [],
    artifacts: data.artifacts ? buildArtifactsShape(data.artifacts, publicUrl, build.id) : { location: '' },
    secondaryArtifacts: data.secondaryArtifacts.map((a) => buildArtifactsShape(a, publicUrl, build.id)),
    cache: { type: project?.cache.type ?? (job.cacheEnabled ? 'LOCAL' : 'NO_CACHE') },
    environment: {
      type: 'LINUX_CONTAINER',
      image: job.image,
      computeType: project?.environment.computeType ?? 'BUILD_GENERAL1_SMALL',
      environmentVariables: job.environmentVariables.map(environmentVariableShape),
      privilegedMode: project?.environment.privilegedMode ?? false,
      imagePullCredentialsType: 'CODEBUILD',
      ...((job.fleetArn ?? project?.environment.fleet?.fleetArn) === undefined ? {} : { fleet: { fleetArn: job.fleetArn ?? project?.environment.fleet?.fleetArn } }),
    },
    logs: logsShape(build, project, publicUrl),
    ...(project?.serviceRole === undefined ? {} : { serviceRole: project.serviceRole }),
    ...(project?.encryptionKey === undefined ? {} : { encryptionKey: project.encryptionKey }),
    timeoutInMinutes: job.timeoutInMinutes,
    queuedTimeoutInMinutes: job.queuedTimeoutInMinutes ?? project?.queuedTimeoutInMinutes,
    initiator: job.initiator,
    exportedEnvironmentVariables: data.exportedEnvironmentVariables.map((v) => ({ name: v.name, value: v.value })),
    reportArns: reportEntries(build, context.region, context.accountId).map((e) => e.arn),
    ...(job.batch ? { buildBatchArn: job.batch.batchArn } : {}),
  };
}

/** The BuildBatch of BatchGetBuildBatches and the batch operations (digest §5.2–5.5). */
export function buildBatchShape(batch: StoredBuildBatch, builds: ReadonlyMap<string, StoredBuild>, context: { region: string; accountId: string }): Json {
  const { state } = batch;
  const buildArn = (id: string): string => `arn:aws:codebuild:${context.region}:${context.accountId}:build/${id}`;
  const summary = (id: string, status: string): Json => {
    const build = builds.get(id);
    return { arn: buildArn(id), requestedOn: epochSeconds(build?.startTime), buildStatus: build?.currentPhase === 'COMPLETED' ? build.buildStatus : status === 'PENDING' ? 'PENDING' : 'IN_PROGRESS' };
  };
  return {
    id: batch.id,
    arn: state.arn,
    startTime: epochSeconds(batch.startTime),
    endTime: epochSeconds(batch.endTime),
    currentPhase: state.phases.at(-1)?.phaseType,
    buildBatchStatus: batch.status,
    sourceVersion: state.sourceVersion,
    projectName: batch.projectName,
    phases: state.phases.map((phase) => ({
      phaseType: phase.phaseType,
      ...(phase.phaseStatus ? { phaseStatus: phase.phaseStatus } : {}),
      startTime: epochSeconds(phase.startTime),
      ...(phase.endTime === undefined ? {} : { endTime: epochSeconds(phase.endTime), durationInSeconds: Math.round((phase.endTime - phase.startTime) / 1000) }),
    })),
    buildTimeoutInMinutes: state.timeoutInMinutes,
    complete: batch.status !== 'IN_PROGRESS',
    initiator: state.initiator,
    buildBatchNumber: batch.batchNumber,
    buildBatchConfig: { combineArtifacts: state.combineArtifacts, restrictions: { maximumBuildsAllowed: 100 } },
    buildGroups: state.groups.map((group) => {
      const [current, ...prior] = [...group.buildIds].reverse();
      return {
        identifier: group.entry.identifier,
        dependsOn: [...group.entry.dependOn],
        ignoreFailure: group.entry.ignoreFailure,
        ...(current === undefined ? { currentBuildSummary: { buildStatus: group.status === 'PENDING' ? 'PENDING' : group.status } } : { currentBuildSummary: summary(current, group.status) }),
        priorBuildSummaryList: prior.reverse().map((id) => summary(id, 'ENDED')),
      };
    }),
    debugSessionEnabled: false,
  };
}

/**
 * `Build.logs` as CodeBuild fills it: the CloudWatch group (`/aws/codebuild/<project>` unless the
 * project names one) and stream (the build's UUID, after the project's stream prefix), with the
 * deep link to nagare's own copy of the log.
 */
function logsShape(build: StoredBuild, project: BuildProject | undefined, publicUrl: string): Json {
  const uuid = build.id.slice(build.id.indexOf(':') + 1);
  const cloudWatch = project?.logsConfig?.cloudWatchLogs;
  return {
    groupName: cloudWatch?.groupName ?? `/aws/codebuild/${build.projectName}`,
    streamName: cloudWatch?.streamName ? `${cloudWatch.streamName}/${uuid}` : uuid,
    deepLink: logUrl(publicUrl, build.id),
    cloudWatchLogs: cloudWatch ?? { status: 'ENABLED' },
    s3Logs: project?.logsConfig?.s3Logs ?? { status: 'DISABLED' },
  };
}

/** The Fleet of BatchGetFleets / CreateFleet: nagare's fleets are ACTIVE from creation (it provisions nothing). */
export function fleetShape(fleet: Fleet): Json {
  return {
    arn: fleet.arn,
    name: fleet.name,
    id: fleet.id,
    created: epochSeconds(fleet.created),
    lastModified: epochSeconds(fleet.lastModified),
    status: { statusCode: 'ACTIVE', message: 'Agents join with nagare agent --fleet ' + fleet.name },
    baseCapacity: fleet.baseCapacity,
    environmentType: fleet.environmentType,
    computeType: fleet.computeType,
    ...(fleet.overflowBehavior ? { overflowBehavior: fleet.overflowBehavior } : {}),
    tags: fleet.tags.map((t) => ({ key: t.key, value: t.value })),
  };
}
