/**
 * `nagare pipeline apply|list|show|delete|start|stop|status|history|retry|disable-transition|
 * enable-transition` and `nagare approve|reject`: CodePipeline pipelines on a nagare server. A
 * definition file is validated here first (so its errors carry file, line and column), then sent
 * as it is.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { ClientFlags } from '../../config/server-config.js';
import { NagareError } from '../../core/errors.js';
import { parsePipeline } from '../../spec/pipeline.js';
import { clientFrom, withClientOptions } from '../client-options.js';
import type { CommandOutcome } from '../outcome.js';
import { style } from '../output.js';
import { describeApply, drawPipelineState, executionsTable, pipelinesTable } from './pipelines-view.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerPipelineCommands(program: Command, done: (outcome: CommandOutcome) => void): void {
  const pipeline = program.command('pipeline').description('Manage and run CodePipeline pipelines on a nagare server');

  withClientOptions(pipeline.command('apply'))
    .description('Create or update a pipeline from a definition file (JSON or YAML, as get-pipeline prints it) and print what changes')
    .requiredOption('-f, --file <file>', 'the pipeline definition')
    .action(async (flags: ClientFlags & { file: string }) => {
      const { client, config } = clientFrom(flags);
      const text = await readFile(flags.file, 'utf8').catch((error: unknown) => {
        throw new NagareError('CONFIG_FILE_NOT_FOUND', `Cannot read ${flags.file}: ${error instanceof Error ? error.message : String(error)}`);
      });
      parsePipeline(text, flags.file);
      const applied = await client.applyPipeline(text, flags.file);
      done({ kind: 'output', json: config.json, value: applied, text: describeApply(applied) });
    });

  withClientOptions(pipeline.command('list'))
    .description('List pipelines with their latest execution')
    .action(async (flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const { pipelines } = await client.listPipelines();
      done({ kind: 'output', json: config.json, value: pipelines, text: pipelinesTable(pipelines) });
    });

  withClientOptions(pipeline.command('show <name>'))
    .description('Print a pipeline\'s definition (JSON, as apply reads it)')
    .action(async (name: string, flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const found = await client.getPipeline(name);
      done({ kind: 'output', json: config.json, value: found, text: `${JSON.stringify({ pipeline: found.pipeline }, null, 2)}\n` });
    });

  withClientOptions(pipeline.command('delete <name>'))
    .description('Delete a pipeline and its execution history')
    .action(async (name: string, flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      await client.deletePipeline(name);
      done({ kind: 'output', json: config.json, value: { deleted: name }, text: `Deleted pipeline ${name}\n` });
    });

  withClientOptions(pipeline.command('start <name>'))
    .description('Start an execution (sources fetch their branch\'s latest commit)')
    .option('--variable <NAME=VALUE>', 'pipeline variable override (repeatable)', collect)
    .action(async (name: string, flags: ClientFlags & { variable?: string[] }) => {
      const { client, config } = clientFrom(flags);
      const started = await client.startPipeline(name, Object.fromEntries((flags.variable ?? []).map(assignment)));
      done({ kind: 'output', json: config.json, value: started, text: `Started execution ${started.pipelineExecutionId} of ${name}\n` });
    });

  withClientOptions(pipeline.command('stop <name> <execution-id>'))
    .description('Stop an execution: let running actions finish, or --abandon them')
    .option('--abandon', 'abandon the running actions')
    .option('--reason <text>', 'why')
    .action(async (name: string, id: string, flags: ClientFlags & { abandon?: boolean; reason?: string }) => {
      const { client, config } = clientFrom(flags);
      const stopped = await client.stopPipelineExecution(name, id, { abandon: flags.abandon ?? false, ...(flags.reason ? { reason: flags.reason } : {}) });
      done({ kind: 'output', json: config.json, value: stopped, text: `Stopping execution ${id} of ${name}${flags.abandon ? ' (abandoning running actions)' : ''}\n` });
    });

  withClientOptions(pipeline.command('status <name>'))
    .description('Draw the stages, their actions and the latest execution')
    .action(async (name: string, flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const state = await client.pipelineState(name);
      done({ kind: 'output', json: config.json, value: state, text: drawPipelineState(state, style(config.color)) });
    });

  withClientOptions(pipeline.command('history <name>'))
    .description('List a pipeline\'s executions, newest first')
    .action(async (name: string, flags: ClientFlags) => {
      const { client, config } = clientFrom(flags);
      const { executions } = await client.listPipelineExecutions(name);
      done({ kind: 'output', json: config.json, value: executions, text: executionsTable(executions) });
    });

  withClientOptions(pipeline.command('retry <name> <stage>'))
    .description('Retry a failed stage of the latest execution in it (or --execution)')
    .option('--execution <id>', 'the execution to retry')
    .option('--all-actions', 'rerun every action of the stage, not only the failed ones')
    .action(async (name: string, stage: string, flags: ClientFlags & { execution?: string; allActions?: boolean }) => {
      const { client, config } = clientFrom(flags);
      const retried = await client.retryStage(name, stage, { ...(flags.execution ? { executionId: flags.execution } : {}), mode: flags.allActions ? 'ALL_ACTIONS' : 'FAILED_ACTIONS' });
      done({ kind: 'output', json: config.json, value: retried, text: `Retrying stage ${stage} of execution ${retried.pipelineExecutionId}\n` });
    });

  for (const enabled of [false, true]) {
    withClientOptions(pipeline.command(`${enabled ? 'enable' : 'disable'}-transition <name> <stage>`))
      .description(enabled ? 'Let executions enter the stage again' : 'Hold executions in front of the stage')
      .option('--reason <text>', 'why (shown in the status)')
      .action(async (name: string, stage: string, flags: ClientFlags & { reason?: string }) => {
        const { client, config } = clientFrom(flags);
        const changed = await client.setStageTransition(name, stage, enabled, flags.reason);
        done({ kind: 'output', json: config.json, value: changed, text: `Inbound transition of ${stage} ${enabled ? 'enabled' : 'disabled'}\n` });
      });
  }

  for (const [verb, status] of [['approve', 'Approved'], ['reject', 'Rejected']] as const) {
    withClientOptions(program.command(`${verb} <pipeline> <stage> <action>`))
      .description(`${verb === 'approve' ? 'Approve' : 'Reject'} the manual approval waiting at a pipeline's stage and action`)
      .requiredOption('--summary <text>', 'the comment recorded with the decision')
      .option('--wait <seconds>', 'if the approval is not waiting yet, wait up to this long for the pipeline to reach it')
      .action(async (name: string, stage: string, action: string, flags: ClientFlags & { summary: string; wait?: string }) => {
        const { client, config } = clientFrom(flags);
        const waitSeconds = flags.wait === undefined ? 0 : Number(flags.wait);
        if (!Number.isFinite(waitSeconds) || waitSeconds < 0 || waitSeconds > 86_400) throw new NagareError('CONFIG_INVALID', `--wait must be a number of seconds from 0 to 86400, not '${flags.wait}'`);
        const deadline = Date.now() + waitSeconds * 1000;
        const decide = (): ReturnType<typeof client.putApprovalResult> => client.putApprovalResult(name, { stage, action, status, summary: flags.summary });
        const decided = await retryWhileNotWaiting(decide, deadline);
        done({ kind: 'output', json: config.json, value: decided, text: `${status} ${stage}/${action} of ${name}${decided.pipelineExecutionId ? ` (execution ${decided.pipelineExecutionId})` : ''}\n` });
      });
  }
}

/** Asks again every second while the answer is "no approval is waiting here" and time is left. */
async function retryWhileNotWaiting<T>(decide: () => Promise<T>, deadline: number): Promise<T> {
  for (;;) {
    try {
      return await decide();
    } catch (error) {
      const notWaiting = error instanceof NagareError && error.details.awsException === 'InvalidApprovalTokenException';
      if (!notWaiting || Date.now() + 1000 > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function assignment(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new NagareError('CONFIG_INVALID', `--variable takes NAME=VALUE, not '${text}'`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}
