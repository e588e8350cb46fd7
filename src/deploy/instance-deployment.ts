/**
 * One deployment on one instance, as the CodeDeploy agent runs it (§2.5, §2.13): the requested
 * lifecycle events in order, each a result. DownloadBundle unpacks the revision (keeping at most
 * five revisions of the group), Install copies its files and applies permissions, and the hook
 * events run the appspec's scripts — ApplicationStop, BeforeBlockTraffic and AfterBlockTraffic
 * from the last successful install's revision, the others from this one. The first failed event
 * ends the deployment on this instance; the events after it are Skipped.
 *
 * This is the interface the agent calls for a deployment job, and what `nagare deploy local`
 * runs. A failed event is a result, never an exception; an exception means nagare itself failed.
 */
import { mkdir, rm } from 'node:fs/promises';
import type { AppSpec, FileExistsBehavior } from '../core/appspec.js';
import { PREVIOUS_REVISION_EVENTS, SCRIPTABLE_EVENTS, type LifecycleEventName } from '../core/appspec.js';
import { isNagareError, SpecErrors } from '../core/errors.js';
import { DeploymentRoot } from './deployment-root.js';
import { runHookScripts, type HookFailure } from './hook-scripts.js';
import { loadAppSpec, readLogTail } from './revision.js';
import { installFiles, InstallError } from './install.js';
import { forgetInterruptedEvent, interruptedEvents, markEventEnded, markEventStarted } from './ongoing-events.js';
import { applyPermissions } from './permissions.js';
import { unpackBundle } from './bundle.js';

export interface InstanceDeploymentRequest {
  readonly deploymentId: string; readonly applicationName: string;
  readonly deploymentGroupName: string; readonly deploymentGroupId: string;
  readonly bundle: { readonly path: string; readonly type: 'zip' | 'tar' | 'tgz' | 'directory' };
  readonly deploymentRoot: string;
  readonly fileExistsBehavior: 'DISALLOW' | 'OVERWRITE' | 'RETAIN';
  readonly ignoreApplicationStopFailures: boolean;
  /** The lifecycle events to run in order (CodeDeploy's names, e.g. 'ApplicationStop','DownloadBundle','BeforeInstall','Install','AfterInstall','ApplicationStart','ValidateService'). */
  readonly events: readonly string[];
}
export interface LifecycleEventResult { readonly name: string; readonly status: 'Succeeded' | 'Failed' | 'Skipped'; readonly startTime: number; readonly endTime: number; readonly diagnostics?: { readonly errorCode: string; readonly scriptName: string; readonly message: string; readonly logTail: string } }

/** At most this many deployment directories per group are kept, the new one included (decision 12). */
export const MAX_REVISIONS = 5;

/**
 * Runs `request.events` in order and returns one result per event. `onEvent` is called as each
 * result is known (live progress); `signal` stops the running script (its event fails) and skips
 * the rest; `now` is the clock of the results' times. Rejects only when nagare itself cannot go on:
 * the deployment root cannot be written, or a group or deployment id is not a plain name (TypeError;
 * ids name directories, so the caller checks them first).
 */
export async function runInstanceDeployment(
  request: InstanceDeploymentRequest,
  options: {
    readonly signal?: AbortSignal; readonly onEvent?: (result: LifecycleEventResult) => void; readonly now?: () => number;
    /** The environment hook scripts inherit (the agent's own); default: this process's, without NAGARE_* variables. */
    readonly environment?: Readonly<Record<string, string>>;
  },
): Promise<readonly LifecycleEventResult[]> {
  const now = options.now ?? Date.now;
  const root = new DeploymentRoot(request.deploymentRoot);
  const deploymentDir = root.deploymentDir(request.deploymentGroupId, request.deploymentId);
  await mkdir(deploymentDir, { recursive: true });
  const environment = options.environment ?? inheritedEnvironment();
  const appSpecs = new Map<string, Promise<AppSpec>>();
  // Each revision's appspec is read once per deployment (DownloadBundle checks it, the hooks and Install use it).
  const appSpecOf = (revisionDir: string): Promise<AppSpec> => {
    let loaded = appSpecs.get(revisionDir);
    if (loaded === undefined) {
      loaded = loadAppSpec(revisionDir);
      appSpecs.set(revisionDir, loaded);
    }
    return loaded;
  };
  const context: EventContext = { request, root, deploymentDir, signal: options.signal, environment, appSpecOf };
  const results: LifecycleEventResult[] = [];
  let failed = false;
  for (const name of request.events) {
    const startTime = now();
    if (failed || options.signal?.aborted) {
      const skipped: LifecycleEventResult = { name, status: 'Skipped', startTime, endTime: startTime };
      results.push(skipped);
      options.onEvent?.(skipped);
      continue;
    }
    await markEventStarted(request.deploymentRoot, { deploymentId: request.deploymentId, deploymentGroupId: request.deploymentGroupId, event: name, startTime });
    await root.logDeployment(request.deploymentId, `Executing ${name}`);
    const outcome = await runEvent(name, context);
    const result = await toResult(name, outcome, startTime, now(), context);
    await root.logDeployment(request.deploymentId, `${name} ${result.status}${result.diagnostics ? `: ${result.diagnostics.message}` : ''}`);
    await markEventEnded(request.deploymentRoot, request.deploymentId);
    failed = result.status === 'Failed';
    results.push(result);
    options.onEvent?.(result);
  }
  return results;
}

interface EventContext {
  readonly request: InstanceDeploymentRequest;
  readonly root: DeploymentRoot;
  readonly deploymentDir: string;
  readonly signal: AbortSignal | undefined;
  readonly environment: Readonly<Record<string, string>>;
  readonly appSpecOf: (revisionDir: string) => Promise<AppSpec>;
}

type EventOutcome =
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'skipped' }
  | { readonly kind: 'failed'; readonly failure: HookFailure; readonly ignorable: boolean };

async function runEvent(name: string, context: EventContext): Promise<EventOutcome> {
  try {
    switch (name) {
      case 'DownloadBundle': return await downloadBundle(context);
      case 'Install': return await install(context);
      case 'BlockTraffic':
      case 'AllowTraffic':
        // The service (de)registers the instance with its load balancer; nothing runs on the host.
        return { kind: 'succeeded' };
      default: {
        const event = SCRIPTABLE_EVENTS.find((known) => known === name);
        if (event === undefined) return unknownError(`${name} is not a lifecycle event of an EC2/on-premises deployment`);
        return await runHooks(event, context);
      }
    }
  } catch (error) {
    return unknownError(describeError(error));
  }
}

async function downloadBundle(context: EventContext): Promise<EventOutcome> {
  const { request, root, deploymentDir } = context;
  await root.pruneRevisions(request.deploymentGroupId, deploymentDir, MAX_REVISIONS);
  // A deployment delivered again (an agent restarted before reporting) unpacks from scratch.
  await rm(root.archiveDir(deploymentDir), { recursive: true, force: true });
  await unpackBundle(request.bundle, root.archiveDir(deploymentDir), `${deploymentDir}/bundle.tar`);
  await root.recordMostRecentInstall(request.deploymentGroupId, deploymentDir);
  // A malformed appspec fails here, before anything is installed, with every problem listed.
  await context.appSpecOf(root.archiveDir(deploymentDir));
  return { kind: 'succeeded' };
}

async function install(context: EventContext): Promise<EventOutcome> {
  const { request, root, deploymentDir } = context;
  const revisionDir = root.archiveDir(deploymentDir);
  const appSpec = await context.appSpecOf(revisionDir);
  const installed = await installFiles({
    appSpec,
    revisionDir,
    fileExistsBehavior: fileExistsBehaviorOf(appSpec, request.fileExistsBehavior),
    cleanupFile: root.cleanupFile(request.deploymentGroupId),
    installFile: root.installFile(request.deploymentGroupId),
  });
  await applyPermissions(appSpec.permissions, installed);
  // "Last successful" is recorded at the end of Install, not of the deployment (§2.5).
  await root.recordLastSuccessfulInstall(request.deploymentGroupId, deploymentDir);
  return { kind: 'succeeded' };
}

/** The appspec's `file_exists_behavior` wins over the deployment's (§2.2). */
function fileExistsBehaviorOf(appSpec: AppSpec, deployment: FileExistsBehavior): FileExistsBehavior {
  return appSpec.fileExistsBehavior ?? deployment;
}

async function runHooks(event: LifecycleEventName, context: EventContext): Promise<EventOutcome> {
  const { request, root, deploymentDir } = context;
  const previous = PREVIOUS_REVISION_EVENTS.includes(event);
  const sourceDir = previous ? await previousRevision(context) : deploymentDir;
  // ApplicationStop and the block-traffic hooks of a first deployment have no revision to run.
  if (sourceDir === undefined) return { kind: 'skipped' };
  const revisionDir = root.archiveDir(sourceDir);
  const appSpec = await context.appSpecOf(revisionDir);
  const failure = await runHookScripts({
    event,
    scripts: appSpec.hooks[event] ?? [],
    revisionDir,
    scriptsLog: root.scriptsLog(deploymentDir),
    environment: hookEnvironment(event, request, context.environment),
    signal: context.signal,
  });
  return failure === undefined ? { kind: 'succeeded' } : { kind: 'failed', failure, ignorable: previous };
}

/** The last successful install's deployment dir; the most recent one when none succeeded and it is not this one. */
async function previousRevision(context: EventContext): Promise<string | undefined> {
  const { request, root, deploymentDir } = context;
  const last = await root.lastSuccessfulInstall(request.deploymentGroupId);
  if (last !== undefined) return last;
  const recent = await root.mostRecentInstall(request.deploymentGroupId);
  return recent !== undefined && recent !== deploymentDir ? recent : undefined;
}

/** The agent's environment plus the hook variables of §2.4 (local revisions get no BUNDLE_*). */
function hookEnvironment(event: string, request: InstanceDeploymentRequest, inherited: Readonly<Record<string, string>>): Record<string, string> {
  return {
    ...inherited,
    LIFECYCLE_EVENT: event,
    DEPLOYMENT_ID: request.deploymentId,
    APPLICATION_NAME: request.applicationName,
    DEPLOYMENT_GROUP_NAME: request.deploymentGroupName,
    DEPLOYMENT_GROUP_ID: request.deploymentGroupId,
  };
}

async function toResult(name: string, outcome: EventOutcome, startTime: number, endTime: number, context: EventContext): Promise<LifecycleEventResult> {
  if (outcome.kind === 'succeeded') return { name, status: 'Succeeded', startTime, endTime };
  if (outcome.kind === 'skipped') return { name, status: 'Skipped', startTime, endTime };
  const logTail = await readLogTail(context.root.scriptsLog(context.deploymentDir));
  const diagnostics = { ...outcome.failure, logTail };
  // ignoreApplicationStopFailures: the previous revision's broken stop script must not block the new one.
  if (outcome.ignorable && context.request.ignoreApplicationStopFailures) return { name, status: 'Succeeded', startTime, endTime, diagnostics };
  return { name, status: 'Failed', startTime, endTime, diagnostics };
}

/** Never nagare's own settings (a token, a database URL): hooks are the revision's code. */
function inheritedEnvironment(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith('NAGARE_')));
}

function unknownError(message: string): EventOutcome {
  return { kind: 'failed', failure: { errorCode: 'UnknownError', scriptName: '', message }, ignorable: false };
}

function describeError(error: unknown): string {
  if (error instanceof SpecErrors) return `The revision's appspec is invalid:\n${error.errors.map((problem) => problem.describe()).join('\n')}`;
  if (isNagareError(error)) return error.message;
  if (error instanceof InstallError) return error.message;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return error instanceof Error ? `${code ? `${code}: ` : ''}${error.message}` : String(error);
}

/**
 * The events that were running under `deploymentRoot` when the agent last stopped, each as a
 * Failed result (the agent's code 7: a script cut short by a restart is not run again), and
 * forgotten once returned. The agent calls it at start and reports the results to the server.
 */
export async function takeInterruptedEvents(deploymentRoot: string, now: () => number = Date.now): Promise<{ deploymentId: string; deploymentGroupId: string; result: LifecycleEventResult }[]> {
  const taken = [];
  for (const marker of await interruptedEvents(deploymentRoot)) {
    // The CodeDeploy agent's words for its code 7 (FAILED_AFTER_RESTART), then what ran.
    const message = `Failed: Failing in-progress lifecycle event after an agent restart. The agent stopped while ${marker.event} of deployment ${marker.deploymentId} was running (error code 7); the event is not run again`;
    const result: LifecycleEventResult = {
      name: marker.event, status: 'Failed', startTime: marker.startTime, endTime: now(),
      diagnostics: { errorCode: 'UnknownError', scriptName: '', message, logTail: '' },
    };
    taken.push({ deploymentId: marker.deploymentId, deploymentGroupId: marker.deploymentGroupId, result });
    await forgetInterruptedEvent(deploymentRoot, marker.deploymentId);
  }
  return taken;
}
