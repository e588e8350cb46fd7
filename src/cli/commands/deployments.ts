/**
 * `nagare app|deployment-group|deploy|instance`: CodeDeploy on a nagare server. Each command sends
 * the CodeDeploy operation of the same name through the native API (`/api/v1/deploy`), so its
 * `--json` output is what `aws deploy` prints.
 */
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { resolveArtifactFiles, writeArtifactZip } from '../../build/artifacts.js';
import { NagareError } from '../../core/errors.js';
import type { ClientFlags } from '../../config/server-config.js';
import type { Json, NagareClient } from '../../client/nagare-client.js';
import { clientFrom, table, text, withClientOptions } from '../client-options.js';
import type { CommandOutcome } from '../outcome.js';

type Done = (outcome: CommandOutcome) => void;

/** `Key=a,Value=b,Type=KEY_AND_VALUE` (as the AWS CLI's shorthand) into an object. */
export function shorthand(value: string, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new NagareError('CONFIG_INVALID', `${flag}: '${part}' is not Name=value (e.g. Key=env,Value=prod,Type=KEY_AND_VALUE)`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** `K=V,K2=V2` into CodeDeploy tags. */
export function tagList(value: string): { Key: string; Value: string }[] {
  return value.split(',').filter(Boolean).map((pair) => {
    const eq = pair.indexOf('=');
    return eq < 0 ? { Key: pair, Value: '' } : { Key: pair.slice(0, eq), Value: pair.slice(eq + 1) };
  });
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

async function allPages(client: NagareClient, operation: string, input: Json, field: string): Promise<unknown[]> {
  const items: unknown[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.codeDeploy<Json>(operation, { ...input, ...(nextToken ? { nextToken } : {}) });
    items.push(...((page[field] as unknown[] | undefined) ?? []));
    nextToken = page.nextToken as string | undefined;
  } while (nextToken);
  return items;
}

export function registerDeploymentCommands(program: Command, done: Done): void {
  registerApplicationCommands(program, done);
  registerGroupCommands(program, done);
  registerDeployCommands(program, done);
  registerInstanceCommands(program, done);
}

function registerApplicationCommands(program: Command, done: Done): void {
  const app = program.command('app').description('Manage CodeDeploy applications');
  withClientOptions(app.command('create <name>')).description('Create an application (compute platform Server)').action(async (name: string, flags: ClientFlags) => {
    const { client, config } = clientFrom(flags);
    const value = await client.codeDeploy('CreateApplication', { applicationName: name, computePlatform: 'Server' });
    done({ kind: 'output', json: config.json, value, text: `Created application ${name}\n` });
  });
  withClientOptions(app.command('list')).description('List applications').action(async (flags: ClientFlags) => {
    const { client, config } = clientFrom(flags);
    const names = await allPages(client, 'ListApplications', {}, 'applications');
    done({ kind: 'output', json: config.json, value: { applications: names }, text: names.map((n) => `${text(n)}\n`).join('') });
  });
  withClientOptions(app.command('show <name>')).description('Show an application and its deployment groups').action(async (name: string, flags: ClientFlags) => {
    const { client, config } = clientFrom(flags);
    const { application } = await client.codeDeploy<{ application: Json }>('GetApplication', { applicationName: name });
    const groups = await allPages(client, 'ListDeploymentGroups', { applicationName: name }, 'deploymentGroups');
    done({ kind: 'output', json: config.json, value: { application, deploymentGroups: groups }, text: `Name:              ${name}\nId:                ${text(application.applicationId)}\nDeployment groups: ${groups.map(text).join(', ')}\n` });
  });
  withClientOptions(app.command('delete <name>')).description('Delete an application with its deployment groups').action(async (name: string, flags: ClientFlags) => {
    const { client, config } = clientFrom(flags);
    await client.codeDeploy('DeleteApplication', { applicationName: name });
    done({ kind: 'output', json: config.json, value: { deleted: name }, text: `Deleted application ${name}\n` });
  });
}

interface GroupFlags extends ClientFlags {
  applicationName?: string;
  deploymentGroupName?: string;
  newDeploymentGroupName?: string;
  deploymentConfigName?: string;
  onPremisesTagFilters?: string[];
  ec2TagFilters?: string[];
  autoRollback?: string;
  serviceRoleArn?: string;
  file?: string;
}

async function groupBody(flags: GroupFlags): Promise<Json> {
  const fromFile = flags.file === undefined ? {} : (JSON.parse(await readFile(flags.file, 'utf8')) as Json);
  // The JSON of `aws deploy create-deployment-group --cli-input-json` names its application; a flag overrides it.
  const applicationName = flags.applicationName ?? fromFile.applicationName;
  if (typeof applicationName !== 'string' || applicationName === '') throw new NagareError('CONFIG_INVALID', 'name the application: --application-name NAME, or applicationName in the -f JSON');
  return {
    ...fromFile,
    applicationName,
    ...(flags.deploymentConfigName ? { deploymentConfigName: flags.deploymentConfigName } : {}),
    ...(flags.serviceRoleArn ? { serviceRoleArn: flags.serviceRoleArn } : {}),
    ...(flags.onPremisesTagFilters ? { onPremisesInstanceTagFilters: flags.onPremisesTagFilters.map((f) => shorthand(f, '--on-premises-tag-filters')) } : {}),
    ...(flags.ec2TagFilters ? { ec2TagFilters: flags.ec2TagFilters.map((f) => shorthand(f, '--ec2-tag-filters')) } : {}),
    ...(flags.autoRollback ? { autoRollbackConfiguration: { enabled: true, events: flags.autoRollback.split(',') } } : {}),
  };
}

function groupOptions(command: Command): Command {
  return withClientOptions(command)
    .option('--application-name <name>', 'the application (or applicationName in the -f JSON)')
    .option('--deployment-config-name <name>', 'CodeDeployDefault.OneAtATime (default), HalfAtATime, AllAtOnce or a custom one')
    .option('--on-premises-tag-filters <Key=…,Value=…,Type=…>', 'an instance tag filter (repeatable; any one matches)', collect)
    .option('--ec2-tag-filters <Key=…,Value=…,Type=…>', 'read as on-premises tag filters (repeatable)', collect)
    .option('--auto-rollback <events>', 'roll back automatically on DEPLOYMENT_FAILURE and/or DEPLOYMENT_STOP_ON_REQUEST (comma list)')
    .option('--service-role-arn <arn>', 'kept for AWS compatibility; nagare does not assume roles')
    .option('-f, --file <json>', 'the CreateDeploymentGroup/UpdateDeploymentGroup JSON (flags override it)');
}

function registerGroupCommands(program: Command, done: Done): void {
  const group = program.command('deployment-group').description('Manage deployment groups: which instances an application deploys to, and how');
  groupOptions(group.command('create')).option('--deployment-group-name <name>', 'the group').action(async (flags: GroupFlags) => {
    const { client, config } = clientFrom(flags);
    const body = await groupBody(flags);
    if (flags.deploymentGroupName) body.deploymentGroupName = flags.deploymentGroupName;
    const value = await client.codeDeploy('CreateDeploymentGroup', body);
    done({ kind: 'output', json: config.json, value, text: `Created deployment group ${text(body.deploymentGroupName)}\n` });
  });
  groupOptions(group.command('update'))
    .requiredOption('--deployment-group-name <name>', 'the group to change (currentDeploymentGroupName)')
    .option('--new-deployment-group-name <name>', 'rename it')
    .action(async (flags: GroupFlags) => {
      const { client, config } = clientFrom(flags);
      const body = { ...(await groupBody(flags)), currentDeploymentGroupName: flags.deploymentGroupName, ...(flags.newDeploymentGroupName ? { newDeploymentGroupName: flags.newDeploymentGroupName } : {}) };
      const value = await client.codeDeploy('UpdateDeploymentGroup', body);
      done({ kind: 'output', json: config.json, value, text: `Updated deployment group ${text(flags.newDeploymentGroupName ?? flags.deploymentGroupName)}\n` });
    });
  withClientOptions(group.command('list')).requiredOption('--application-name <name>', 'the application').description('List an application\'s deployment groups').action(async (flags: GroupFlags) => {
    const { client, config } = clientFrom(flags);
    const names = await allPages(client, 'ListDeploymentGroups', { applicationName: flags.applicationName }, 'deploymentGroups');
    done({ kind: 'output', json: config.json, value: { deploymentGroups: names }, text: names.map((n) => `${text(n)}\n`).join('') });
  });
  for (const verb of ['show', 'delete'] as const) {
    withClientOptions(group.command(`${verb} <name>`))
      .requiredOption('--application-name <name>', 'the application')
      .description(verb === 'show' ? 'Show a deployment group' : 'Delete a deployment group (nothing is removed from its instances)')
      .action(async (name: string, flags: GroupFlags) => {
        const { client, config } = clientFrom(flags);
        const input = { applicationName: flags.applicationName, deploymentGroupName: name };
        if (verb === 'delete') {
          await client.codeDeploy('DeleteDeploymentGroup', input);
          done({ kind: 'output', json: config.json, value: { deleted: name }, text: `Deleted deployment group ${name}\n` });
          return;
        }
        const { deploymentGroupInfo: g } = await client.codeDeploy<{ deploymentGroupInfo: Json }>('GetDeploymentGroup', input);
        const last = g.lastSuccessfulDeployment as Json | undefined;
        done({ kind: 'output', json: config.json, value: g, text: `Name:              ${name}\nConfig:            ${text(g.deploymentConfigName)}\nTag filters:       ${JSON.stringify(g.onPremisesInstanceTagFilters)} ${JSON.stringify(g.ec2TagFilters)}\nAuto rollback:     ${JSON.stringify(g.autoRollbackConfiguration)}\nLast successful:   ${text(last?.deploymentId)}\n` });
      });
  }
}

/** One line per instance, then its lifecycle events with status and duration; the end of scripts.log on failure. */
export function describeDeployment(info: Json, targets: readonly Json[]): string {
  const lines = [`${text(info.deploymentId)}  ${text(info.status)}  ${text(info.applicationName)}/${text(info.deploymentGroupName)}  ${text(info.deploymentConfigName)}`];
  const error = info.errorInformation as Json | undefined;
  if (error) lines.push(`  ${text(error.code)}: ${text(error.message)}`);
  const rollback = info.rollbackInfo as Json | undefined;
  if (rollback?.rollbackMessage) lines.push(`  rollback: ${text(rollback.rollbackMessage)}`);
  for (const target of targets) {
    const t = target.instanceTarget as Json;
    lines.push(`  ${text(t.targetId)}  ${text(t.status)}`);
    for (const e of (t.lifecycleEvents as Json[] | undefined) ?? []) {
      const start = e.startTime as number | undefined;
      const end = e.endTime as number | undefined;
      const took = start !== undefined && end !== undefined ? `  ${(end - start).toFixed(1)} s` : '';
      lines.push(`    ${text(e.lifecycleEventName).padEnd(18)} ${text(e.status)}${took}`);
      const d = e.diagnostics as Json | undefined;
      if (e.status === 'Failed' && d) lines.push(`      ${text(d.errorCode)}: ${text(d.message)}`, ...text(d.logTail).split('\n').filter(Boolean).map((l) => `      | ${l}`));
    }
  }
  return `${lines.join('\n')}\n`;
}

async function deploymentState(client: NagareClient, deploymentId: string): Promise<{ info: Json; targets: Json[] }> {
  const { deploymentInfo: info } = await client.codeDeploy<{ deploymentInfo: Json }>('GetDeployment', { deploymentId });
  const { targetIds } = await client.codeDeploy<{ targetIds: string[] }>('ListDeploymentTargets', { deploymentId });
  const targets = targetIds.length === 0 ? [] : (await client.codeDeploy<{ deploymentTargets: Json[] }>('BatchGetDeploymentTargets', { deploymentId, targetIds: targetIds.slice(0, 25) })).deploymentTargets;
  return { info, targets };
}

const ENDED = new Set(['Succeeded', 'Failed', 'Stopped']);
const statusOf = (status: unknown) => (status === 'Succeeded' ? 'SUCCEEDED' : status === 'Stopped' ? 'STOPPED' : status === 'Failed' ? 'FAILED' : undefined);

function registerDeployCommands(program: Command, done: Done): void {
  // `deploy local` (src/cli/commands/deploy-local.ts) shares the command: whichever registers first makes it.
  const deploy = program.commands.find((c) => c.name() === 'deploy') ?? program.command('deploy').description('CodeDeploy deployments: push revisions, deploy them to deployment groups, follow them');
  withClientOptions(deploy.command('push'))
    .description('Zip a directory holding an appspec.yml into the server\'s revision store, register it, and print the location to deploy')
    .requiredOption('--application-name <name>', 'the application')
    .requiredOption('--source <dir>', 'the revision\'s directory (appspec.yml at its root)')
    .option('--s3-location <key>', 'the key in the revision store (default <application>/<directory name>.zip)')
    .option('--description <text>', 'the revision\'s description')
    .action(async (flags: ClientFlags & { applicationName: string; source: string; s3Location?: string; description?: string }) => {
      const { client, config } = clientFrom(flags);
      const selection = await resolveArtifactFiles({ files: ['**/*'], name: undefined, discardPaths: false, baseDirectory: undefined, excludePaths: [], enableSymlinks: false, s3Prefix: undefined }, flags.source);
      if (!selection.ok) throw new NagareError('CONFIG_INVALID', `Cannot read ${flags.source}: ${selection.context.message}`);
      const zip = path.join(os.tmpdir(), `nagare-push-${process.pid}.zip`);
      try {
        await writeArtifactZip(selection.entries, zip);
        const key = flags.s3Location?.replace(/^key=/, '') ?? `${flags.applicationName}/${path.basename(path.resolve(flags.source))}.zip`;
        const { revision } = await client.pushRevision(flags.applicationName, await readFile(zip), { key, bundleType: 'zip', description: flags.description });
        const s3 = revision.s3Location as Json;
        const hint = `To deploy with this revision, run:\nnagare deploy create --application-name ${flags.applicationName} --s3-location bucket=${text(s3.bucket)},key=${text(s3.key)},bundleType=zip,eTag=${text(s3.eTag)} --deployment-group-name <deployment-group-name>\n`;
        done({ kind: 'output', json: config.json, value: revision, text: hint });
      } finally {
        await rm(zip, { force: true });
      }
    });

  withClientOptions(deploy.command('create'))
    .description('Deploy a revision to a deployment group')
    .requiredOption('--application-name <name>', 'the application')
    .requiredOption('--deployment-group-name <name>', 'the group')
    .option('--s3-location <bucket=…,key=…,bundleType=…,eTag=…>', 'a revision in the server\'s revision store')
    .option('--github-location <repository=…,commitId=…>', 'a commit of a hosted repository')
    .option('--deployment-config-name <name>', 'overrides the group\'s configuration')
    .option('--file-exists-behavior <DISALLOW|OVERWRITE|RETAIN>', 'what Install does with files already there')
    .option('--ignore-application-stop-failures', 'an ApplicationStop failure does not fail the instance')
    .option('--description <text>', 'description')
    .option('--follow', 'draw the instances and their lifecycle events until the deployment ends')
    .action(async (flags: ClientFlags & { applicationName: string; deploymentGroupName: string; s3Location?: string; githubLocation?: string; deploymentConfigName?: string; fileExistsBehavior?: string; ignoreApplicationStopFailures?: boolean; description?: string; follow?: boolean }) => {
      const { client, config } = clientFrom(flags);
      const revision = flags.s3Location
        ? { revisionType: 'S3', s3Location: shorthand(flags.s3Location, '--s3-location') }
        : flags.githubLocation
          ? { revisionType: 'GitHub', gitHubLocation: shorthand(flags.githubLocation, '--github-location') }
          : undefined;
      const { deploymentId } = await client.codeDeploy<{ deploymentId: string }>('CreateDeployment', {
        applicationName: flags.applicationName,
        deploymentGroupName: flags.deploymentGroupName,
        ...(revision ? { revision } : {}),
        ...(flags.deploymentConfigName ? { deploymentConfigName: flags.deploymentConfigName } : {}),
        ...(flags.fileExistsBehavior ? { fileExistsBehavior: flags.fileExistsBehavior } : {}),
        ...(flags.ignoreApplicationStopFailures ? { ignoreApplicationStopFailures: true } : {}),
        ...(flags.description ? { description: flags.description } : {}),
      });
      if (!flags.follow) {
        done({ kind: 'output', json: config.json, value: { deploymentId }, text: `${deploymentId}\n` });
        return;
      }
      await follow(client, deploymentId, config.json, done);
    });

  withClientOptions(deploy.command('status <deploymentId>'))
    .description('Show a deployment: each instance with its lifecycle events (status, duration, the end of scripts.log on failure)')
    .option('--follow', 'redraw until the deployment ends')
    .action(async (deploymentId: string, flags: ClientFlags & { follow?: boolean }) => {
      const { client, config } = clientFrom(flags);
      if (flags.follow) return follow(client, deploymentId, config.json, done);
      const { info, targets } = await deploymentState(client, deploymentId);
      done({ kind: 'output', json: config.json, value: { deploymentInfo: info, deploymentTargets: targets }, text: describeDeployment(info, targets), buildStatus: statusOf(info.status) });
    });

  withClientOptions(deploy.command('list'))
    .description('List deployments, newest first')
    .option('--application-name <name>', 'only this application')
    .option('--deployment-group-name <name>', 'only this group (with --application-name)')
    .action(async (flags: ClientFlags & { applicationName?: string; deploymentGroupName?: string }) => {
      const { client, config } = clientFrom(flags);
      const { deployments } = await client.codeDeploy<{ deployments: string[] }>('ListDeployments', { ...(flags.applicationName ? { applicationName: flags.applicationName } : {}), ...(flags.deploymentGroupName ? { deploymentGroupName: flags.deploymentGroupName } : {}) });
      const infos = deployments.length === 0 ? [] : (await client.codeDeploy<{ deploymentsInfo: Json[] }>('BatchGetDeployments', { deploymentIds: deployments.slice(0, 25) })).deploymentsInfo;
      const rows = infos.map((d) => [text(d.deploymentId), text(d.status), `${text(d.applicationName)}/${text(d.deploymentGroupName)}`, text(d.creator), new Date(Number(d.createTime) * 1000).toISOString()]);
      done({ kind: 'output', json: config.json, value: { deployments: infos }, text: table(['ID', 'STATUS', 'GROUP', 'CREATOR', 'CREATED'], rows) });
    });

  withClientOptions(deploy.command('stop <deploymentId>'))
    .description('Stop a deployment; instances running events are cancelled')
    .option('--auto-rollback-enabled', 'roll back to the last good revision')
    .action(async (deploymentId: string, flags: ClientFlags & { autoRollbackEnabled?: boolean }) => {
      const { client, config } = clientFrom(flags);
      const value = await client.codeDeploy<{ status: string; statusMessage: string }>('StopDeployment', { deploymentId, ...(flags.autoRollbackEnabled ? { autoRollbackEnabled: true } : {}) });
      done({ kind: 'output', json: config.json, value, text: `${value.status}: ${value.statusMessage}\n` });
    });
}

/** Polls the deployment, printing its drawing whenever it changes, until it ends. */
async function follow(client: NagareClient, deploymentId: string, json: boolean, done: Done): Promise<void> {
  let last = '';
  for (;;) {
    const { info, targets } = await deploymentState(client, deploymentId);
    const drawing = describeDeployment(info, targets);
    if (!json && drawing !== last) process.stdout.write(`${drawing}\n`);
    last = drawing;
    if (ENDED.has(String(info.status))) {
      done({ kind: 'output', json, value: { deploymentInfo: info, deploymentTargets: targets }, text: '', buildStatus: statusOf(info.status) });
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function registerInstanceCommands(program: Command, done: Done): void {
  const instance = program.command('instance').description('On-premises instances: hosts running `nagare agent --instance-name`');
  withClientOptions(instance.command('list'))
    .description('List registered instances with their tags')
    .option('--deregistered', 'list deregistered instances instead')
    .action(async (flags: ClientFlags & { deregistered?: boolean }) => {
      const { client, config } = clientFrom(flags);
      const { instanceNames } = await client.codeDeploy<{ instanceNames: string[] }>('ListOnPremisesInstances', { registrationStatus: flags.deregistered ? 'Deregistered' : 'Registered' });
      const infos = instanceNames.length === 0 ? [] : (await client.codeDeploy<{ instanceInfos: Json[] }>('BatchGetOnPremisesInstances', { instanceNames })).instanceInfos;
      const rows = infos.map((i) => [text(i.instanceName), ((i.tags as { Key: string; Value: string }[] | undefined) ?? []).map((t) => `${t.Key}=${t.Value}`).join(',')]);
      done({ kind: 'output', json: config.json, value: { instanceInfos: infos }, text: table(['NAME', 'TAGS'], rows) });
    });
  withClientOptions(instance.command('tag <name>'))
    .description('Add or replace tags on an instance')
    .requiredOption('--tags <K=V,…>', 'the tags')
    .action(async (name: string, flags: ClientFlags & { tags: string }) => {
      const { client, config } = clientFrom(flags);
      await client.codeDeploy('AddTagsToOnPremisesInstances', { instanceNames: [name], tags: tagList(flags.tags) });
      done({ kind: 'output', json: config.json, value: { instanceName: name, tags: tagList(flags.tags) }, text: `Tagged ${name}\n` });
    });
  withClientOptions(instance.command('untag <name>'))
    .description('Remove tags (by key, or key=value) from an instance')
    .requiredOption('--tags <K[=V],…>', 'the tags')
    .action(async (name: string, flags: ClientFlags & { tags: string }) => {
      const { client, config } = clientFrom(flags);
      const tags = flags.tags.split(',').filter(Boolean).map((pair) => (pair.includes('=') ? { Key: pair.slice(0, pair.indexOf('=')), Value: pair.slice(pair.indexOf('=') + 1) } : { Key: pair }));
      await client.codeDeploy('RemoveTagsFromOnPremisesInstances', { instanceNames: [name], tags });
      done({ kind: 'output', json: config.json, value: { instanceName: name, removed: tags }, text: `Untagged ${name}\n` });
    });
}
