/**
 * `nagare deploy local`: runs a revision's appspec on this machine as `codedeploy-local` does,
 * with the very code the agent runs for a deployment job (deploy/instance-deployment.ts), printing
 * each lifecycle event as it ends.
 */
import type { Command } from 'commander';
import { compileDeployLocalConfig, type DeployLocalFlags } from '../../config/deploy-local-config.js';
import { runInstanceDeployment, type LifecycleEventResult } from '../../deploy/instance-deployment.js';
import { blockingWrite } from '../blocking-write.js';
import { style, type Style } from '../output.js';
import type { CommandOutcome, LocalDeploymentRecord } from '../outcome.js';

/** Adds `local` to the `deploy` command, creating that command if no other file has yet. */
export function registerDeployLocalCommand(program: Command, done: (outcome: CommandOutcome) => void): Command {
  const deploy = program.commands.find((command) => command.name() === 'deploy')
    ?? program.command('deploy').description('CodeDeploy deployments: run an appspec on this machine (deploy local)');
  return deploy
    .command('local')
    .description('Run a revision\'s appspec.yml on this machine as the CodeDeploy agent would (like codedeploy-local)')
    .option('-l, --bundle-location <path>', 'the revision: a directory, or a zip, tar or tgz file (default: the current directory)')
    .option('-t, --type <type>', 'bundle type: zip, tar, tgz or directory', 'directory')
    .option('-b, --file-exists-behavior <behavior>', 'DISALLOW, OVERWRITE or RETAIN, for destination files the last deployment did not install (the appspec\'s file_exists_behavior wins)', 'DISALLOW')
    .option('-g, --deployment-group <id>', 'deployment group id: names the directory under the deployment root', 'default-local-deployment-group')
    .option('--deployment-group-name <name>', 'DEPLOYMENT_GROUP_NAME given to hooks', 'LocalFleet')
    .option('-a, --application-name <name>', 'APPLICATION_NAME given to hooks (default: the bundle location)')
    .option('-e, --events <list>', 'comma-separated lifecycle events to run (DownloadBundle and Install are always run); default ApplicationStop … ValidateService')
    .option('--deployment-root <dir>', 'where revisions, logs and install records are kept (default /opt/nagare/deployment-root as root, else <state-dir>/deployment-root)')
    .option('--ignore-application-stop-failures', 'go on when ApplicationStop (from the last successful revision) fails')
    .option('--json', 'print the deployment and its lifecycle events as JSON on stdout; progress goes to stderr')
    .addHelpText('after', `
Exit status: 0 Succeeded, 1 Failed (an event failed), 2 invalid flags, 3 nagare failed, 130 stopped.
Hook output: <deployment-root>/<deployment-group>/<deployment-id>/logs/scripts.log

Examples:
  nagare deploy local --bundle-location examples/workshop-node --deployment-root /tmp/deployment-root
  nagare deploy local -l app.zip -t zip -e ApplicationStop,ApplicationStart --json`)
    .action(async (flags: DeployLocalFlags) => {
      done(await deployLocal(flags));
    });
}

async function deployLocal(flags: DeployLocalFlags): Promise<CommandOutcome> {
  const config = compileDeployLocalConfig(flags);
  const s = style(config.color && !config.json);
  const fd = config.json ? 2 : 1;
  const write = (text: string): void => blockingWrite(fd, text);
  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort();
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  write(`${s.bold('Deployment')} ${config.deploymentId} of ${config.bundle.path} (${config.bundle.type}) to group ${config.deploymentGroupId}\n`);
  try {
    const events = await runInstanceDeployment({
      deploymentId: config.deploymentId,
      applicationName: config.applicationName,
      deploymentGroupName: config.deploymentGroupName,
      deploymentGroupId: config.deploymentGroupId,
      bundle: config.bundle,
      deploymentRoot: config.deploymentRoot,
      fileExistsBehavior: config.fileExistsBehavior,
      ignoreApplicationStopFailures: config.ignoreApplicationStopFailures,
      events: config.events,
    }, { signal: controller.signal, environment: config.environment, onEvent: (result) => write(formatEvent(result, s)) });
    const failed = events.some((event) => event.status === 'Failed');
    const status = controller.signal.aborted ? 'Stopped' : failed ? 'Failed' : 'Succeeded';
    const scriptsLog = `${config.deploymentRoot}/${config.deploymentGroupId}/${config.deploymentId}/logs/scripts.log`;
    const record: LocalDeploymentRecord = {
      deploymentId: config.deploymentId,
      applicationName: config.applicationName,
      deploymentGroupName: config.deploymentGroupName,
      deploymentGroupId: config.deploymentGroupId,
      deploymentRoot: config.deploymentRoot,
      status,
      scriptsLog,
      lifecycleEvents: events,
    };
    const painted = status === 'Succeeded' ? s.green(status) : s.red(status);
    write(`${s.bold('Deployment')} ${config.deploymentId} ${painted}; hook output in ${scriptsLog}\n`);
    return { kind: 'deployment', record, json: config.json };
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}

/** `  ApplicationStart   Succeeded   0.3s`, and on failure the reason and the end of scripts.log. */
export function formatEvent(result: LifecycleEventResult, s: Style): string {
  const seconds = `${((result.endTime - result.startTime) / 1000).toFixed(1)}s`;
  const status = result.status === 'Succeeded' ? s.green(result.status) : result.status === 'Failed' ? s.red(result.status) : s.dim(result.status);
  let text = `  ${result.name.padEnd(20)} ${status}${' '.repeat(Math.max(1, 10 - result.status.length))}${s.dim(seconds)}\n`;
  const diagnostics = result.diagnostics;
  if (diagnostics !== undefined) {
    text += `    ${diagnostics.errorCode}: ${diagnostics.message.replace(/\n/g, '\n    ')}\n`;
    if (diagnostics.logTail !== '') text += s.dim(diagnostics.logTail.trimEnd().split('\n').slice(-10).map((line) => `    | ${line}`).join('\n')) + '\n';
  }
  return text;
}
