/**
 * How `nagare pipeline status|history|list|apply` draw pipelines for people: one line per stage
 * with its status, one line per action under it with a symbol and a colour, ⏸ and the custom data
 * for a waiting approval. Colours only when the client config allows them (a terminal, no NO_COLOR).
 */
import type { Json } from '../../client/nagare-client.js';
import { table, text } from '../client-options.js';
import type { Style } from '../output.js';

const SYMBOLS: Readonly<Record<string, string>> = { Succeeded: '✔', Failed: '✘', InProgress: '●', Stopping: '●', Stopped: '■', Abandoned: '■', Cancelled: '■', Superseded: '↷' };

const asList = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const asJson = (value: unknown): Json | undefined => (typeof value === 'object' && value !== null ? (value as Json) : undefined);

export function colourOf(status: string, s: Style): (value: string) => string {
  if (status === 'Succeeded') return s.green;
  if (status === 'InProgress' || status === 'Stopping') return s.yellow;
  if (status === 'Failed' || status === 'Abandoned' || status === 'Stopped') return s.red;
  return s.dim;
}

const short = (id: string): string => id.slice(0, 8);

/** The state of `GET /pipelines/:name/state`, drawn. */
export function drawPipelineState(state: Json, s: Style): string {
  const latest = asJson(state.latestExecution);
  const latestId = text(latest?.pipelineExecutionId);
  const status = text(latest?.status);
  const head = `Pipeline ${s.bold(text(state.pipelineName))} (version ${text(state.pipelineVersion)})` + (latest ? `  execution ${latestId}  ${colourOf(status, s)(status)}` : '  never run');
  const stages = asList(state.stageStates);
  const lines = [head];
  stages.forEach((stage, index) => {
    const last = index === stages.length - 1;
    const stageExecution = asJson(stage.latestExecution);
    const stageStatus = text(stageExecution?.status);
    const other = stageExecution && text(stageExecution.pipelineExecutionId) !== latestId ? s.dim(` (execution ${short(text(stageExecution.pipelineExecutionId))})`) : '';
    lines.push(`${stages.length === 1 ? '─' : index === 0 ? '┌' : last ? '└' : '├'}─ ${s.bold(text(stage.stageName))}${stageStatus ? `  ${colourOf(stageStatus, s)(stageStatus)}` : s.dim('  not run')}${other}`);
    const bar = last ? ' ' : '│';
    const transition = asJson(stage.inboundTransitionState);
    if (transition?.enabled === false) lines.push(`${bar}  ${s.red('⛔ inbound transition disabled')}${transition.disabledReason ? `: ${text(transition.disabledReason)}` : ''}`);
    const inbound = asList(stage.inboundExecutions);
    if (inbound.length > 0) lines.push(`${bar}  ${s.yellow('⧗ waiting to enter:')} ${inbound.map((e) => short(text(e.pipelineExecutionId))).join(', ')}`);
    for (const action of asList(stage.actionStates)) lines.push(`${bar}  ${actionLine(action, s)}`);
  });
  return `${lines.join('\n')}\n`;
}

function actionLine(action: Json, s: Style): string {
  const run = asJson(action.latestExecution);
  const name = text(action.actionName);
  if (!run) return s.dim(`· ${name}  not run`);
  const status = text(run.status);
  const approval = asJson(action.approval);
  if (status === 'InProgress' && run.token !== undefined) {
    const custom = approval?.customData ? `: ${text(approval.customData)}` : '';
    const link = approval?.externalEntityLink ? ` ${s.dim(text(approval.externalEntityLink))}` : '';
    const expires = approval?.expiresAt ? s.dim(` (expires ${text(approval.expiresAt)})`) : '';
    return `${s.yellow('⏸')} ${name}  ${s.yellow('waiting for approval')}${custom}${link}${expires}`;
  }
  const colour = colourOf(status, s);
  const revision = asJson(action.currentRevision);
  // The build id is often both the summary and the external execution id: each part once.
  const parts = [revision ? short(text(revision.revisionId)) : '', text(run.summary), text(asJson(run.errorDetails)?.message), text(run.externalExecutionId)];
  const detail = parts.filter((part, i) => part !== '' && !parts.slice(0, i).some((earlier) => earlier.includes(part)));
  return `${colour(SYMBOLS[status] ?? '?')} ${name}  ${colour(status)}${detail.length > 0 ? `  ${s.dim(detail.join(' · '))}` : ''}`;
}

/** `GET /pipelines/:name/executions` as a table, newest first. */
export function executionsTable(executions: readonly Json[]): string {
  const rows = executions.map((e) => {
    const trigger = asJson(e.trigger);
    const revision = asList(e.sourceRevisions)[0];
    return [text(e.pipelineExecutionId), text(e.status), text(trigger?.triggerType), text(e.startTime), text(e.lastUpdateTime), revision ? short(text(revision.revisionId)) : '', text(e.statusSummary)];
  });
  return table(['EXECUTION', 'STATUS', 'TRIGGER', 'STARTED', 'UPDATED', 'REVISION', 'SUMMARY'], rows);
}

export function pipelinesTable(pipelines: readonly Json[]): string {
  const rows = pipelines.map((p) => {
    const latest = asJson(p.latestExecution);
    return [text(p.name), text(p.version), text(p.executionMode), asList(p.stages).length.toString(), text(latest?.status), text(latest?.startTime)];
  });
  return table(['NAME', 'VERSION', 'MODE', 'STAGES', 'LAST STATUS', 'LAST STARTED'], rows);
}

/** `nagare pipeline apply`'s report: created or updated, and each change on its own line. */
export function describeApply(applied: { name: string; created: boolean; unchanged?: boolean; version: number; changes: readonly { summary: string }[] }): string {
  const head = applied.created
    ? `Created pipeline ${applied.name} (version 1)`
    : applied.unchanged === true
      ? `Pipeline ${applied.name} unchanged: the definition is the one applied (version ${applied.version}); nothing done`
      : applied.changes.length === 0
        ? `Updated pipeline ${applied.name} to version ${applied.version} (no change in stages or actions)`
        : `Updated pipeline ${applied.name} to version ${applied.version}`;
  return `${[head, ...applied.changes.map((c) => `  ${c.summary}`)].join('\n')}\n`;
}
