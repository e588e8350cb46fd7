/** `nagare build start|list|show|stop|logs`: builds on a nagare server. */
import type { Command } from 'commander';
import type { StatusType } from '../../core/build-phases.js';
import type { ClientFlags } from '../../config/server-config.js';
import type { Json, NagareClient } from '../../client/nagare-client.js';
import { NagareError } from '../../core/errors.js';
import { blockingWrite } from '../blocking-write.js';
import { clientFrom, table, text, withClientOptions } from '../client-options.js';
import type { CommandOutcome } from '../outcome.js';
import { describeBuild, registerBuildResultCommands } from './build-results.js';

interface StartFlags extends ClientFlags {
  readonly follow?: boolean;
  readonly sourceVersion?: string;
  readonly envVar?: string[];
  readonly buildspec?: string;
  readonly image?: string;
  readonly timeout?: string;
  readonly stopOnInterrupt?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerRemoteBuildCommands(build: Command, done: (outcome: CommandOutcome) => void): void {
  withClientOptions(build.command('start <project>'))
    .description('Start a build of a project on the server')
    .option('-f, --follow', 'follow the log until the build ends; exit with its status (Ctrl-C detaches, exit 5)')
    .option('--stop-on-interrupt', 'with --follow, Ctrl-C stops the build instead of detaching')
    .option('--source-version <ref>', 'branch, tag or commit to build')
    .option('--env-var <NAME=VALUE>', 'environment variable override (repeatable)', collect)
    .option('--buildspec <path-or-yaml>', 'buildspec override')
    .option('--image <image>', 'image override')
    .option('--timeout <minutes>', 'timeout override in minutes (5–2160)')
    .action(async (project: string, flags: StartFlags) => {
      const { client, config } = clientFrom(flags);
      const overrides: Json = {
        ...(flags.sourceVersion ? { sourceVersion: flags.sourceVersion } : {}),
        ...(flags.buildspec ? { buildspecOverride: flags.buildspec } : {}),
        ...(flags.image ? { imageOverride: flags.image } : {}),
        ...(flags.timeout ? { timeoutInMinutesOverride: wholeNumber(flags.timeout, '--timeout', 5, 2160, 'minutes') } : {}),
        ...(flags.envVar ? { environmentVariablesOverride: flags.envVar.map(toVariable) } : {}),
      };
      const { build: started } = await client.startBuild(project, overrides);
      const id = text(started.id);
      if (!flags.follow) {
        done({ kind: 'output', json: config.json, value: started, text: `Started build ${id} (#${text(started.buildNumber)})\n` });
        return;
      }
      process.stderr.write(`Started build ${id}; following its log\n`);
      const status = await followUntilInterrupted(client, id, config.json ? 2 : 1, flags.stopOnInterrupt ?? false);
      if (status === DETACHED) {
        done({ kind: 'detached', text: detachedMessage(id) });
        return;
      }
      const { build: finished } = await client.getBuild(id);
      done({ kind: 'output', json: config.json, value: finished, text: `\nBuild ${id} ${status}\n`, buildStatus: status as StatusType });
    });

  withClientOptions(build.command('list'))
    .description('List recent builds, newest first')
    .option('-p, --project <name>', 'only this project\'s builds')
    .option('-n, --limit <count>', 'how many', '20')
    .action(async (flags: ClientFlags & { project?: string; limit: string }) => {
      const { client, config } = clientFrom(flags);
      const { builds } = await client.listBuilds(flags.project, wholeNumber(flags.limit, '-n/--limit', 1, 100, 'builds'));
      const rows = builds.map((b) => [text(b.id), text(b.buildNumber), text(b.buildStatus), text(b.currentPhase), text(b.startTime), text(b.initiator)]);
      done({ kind: 'output', json: config.json, value: builds, text: table(['ID', '#', 'STATUS', 'PHASE', 'STARTED', 'INITIATOR'], rows) });
    });

  withClientOptions(build.command('show <id>'))
    .description('Show a build: source, times, phases with their contexts, artifacts, reports, exported variables')
    .action(async (id: string, flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const { build: found } = await client.getBuild(id);
      done({ kind: 'output', json: config.json, value: found, text: describeBuild(found) });
    });

  registerBuildResultCommands(build, done);

  withClientOptions(build.command('stop <id>'))
    .description('Stop a queued or running build')
    .action(async (id: string, flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const { build: stopped } = await client.stopBuild(id);
      done({ kind: 'output', json: config.json, value: stopped, text: `Stop requested for ${id} (now ${text(stopped.buildStatus)})\n` });
    });

  withClientOptions(build.command('logs <id>'))
    .description('Print a build\'s log')
    .option('-f, --follow', 'keep printing until the build ends (Ctrl-C detaches, exit 5)')
    .option('--stop-on-interrupt', 'with --follow, Ctrl-C stops the build instead of detaching')
    .action(async (id: string, flags: ClientFlags & { follow?: boolean; stopOnInterrupt?: boolean }) => {
      const { client } = clientFrom(flags);
      if (flags.follow) {
        const status = await followUntilInterrupted(client, id, 1, flags.stopOnInterrupt ?? false);
        if (status === DETACHED) done({ kind: 'detached', text: detachedMessage(id) });
        else done({ kind: 'output', json: false, value: null, text: '', buildStatus: status as StatusType });
        return;
      }
      done({ kind: 'output', json: false, value: null, text: await client.buildLog(id) });
    });
}

/** A flag's whole number within bounds; the error names the flag as the user typed it. */
function wholeNumber(value: string, flag: string, min: number, max: number, unit: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || number < min || number > max) throw new NagareError('CONFIG_INVALID', `${flag} must be a whole number of ${unit} from ${min} to ${max}, not '${value}'`);
  return number;
}

const DETACHED = Symbol('detached');

const detachedMessage = (id: string): string => `\ndetached; the build goes on — \`nagare build stop ${id}\` stops it\n`;

/**
 * Follows a build's log until it ends. Ctrl-C (SIGINT) detaches — the build goes on — unless
 * `stopOnInterrupt`, where it asks the server to stop the build and follows it to its end.
 */
async function followUntilInterrupted(client: NagareClient, id: string, fd: 1 | 2, stopOnInterrupt: boolean): Promise<string | typeof DETACHED> {
  const detach = new AbortController();
  const onInterrupt = (): void => {
    if (!stopOnInterrupt || detach.signal.aborted) {
      detach.abort();
      return;
    }
    process.stderr.write(`\nstopping build ${id} (Ctrl-C again detaches)\n`);
    stopOnInterrupt = false;
    client.stopBuild(id).catch((error: unknown) => {
      process.stderr.write(`could not stop ${id}: ${error instanceof Error ? error.message : String(error)}\n`);
      detach.abort();
    });
  };
  process.on('SIGINT', onInterrupt);
  try {
    return await client.followBuildLog(id, (text) => blockingWrite(fd, text), detach.signal);
  } catch (error) {
    if (detach.signal.aborted) return DETACHED;
    throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

function toVariable(assignment: string): Json {
  const eq = assignment.indexOf('=');
  return { name: eq === -1 ? assignment : assignment.slice(0, eq), value: eq === -1 ? '' : assignment.slice(eq + 1), type: 'PLAINTEXT' };
}
