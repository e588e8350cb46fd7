/**
 * One pipeline execution: its stages and actions (run order, status, duration, link to the build),
 * artifacts, variables, and the manual approval waiting in it with Approve / Reject; retry a failed
 * stage, enable or disable a stage's inbound transition, stop the execution.
 */
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { client } from '../api.js';
import { useLive } from '../live.js';
import { ErrorNote, Loading, Status, duration, useAction, useData } from '../ui.js';

interface ActionDetail {
  readonly stageName: string;
  readonly actionName: string;
  readonly status: string;
  readonly startTime: string;
  readonly lastUpdateTime: string;
  readonly input: { actionTypeId: { category: string; provider: string }; inputArtifacts: readonly { name: string }[] };
  readonly output: { outputArtifacts: readonly { name: string }[]; executionResult: { externalExecutionId?: string; externalExecutionSummary?: string; errorDetails?: { message?: string } }; outputVariables: Record<string, string> };
}
interface Definition { readonly stages: readonly { name: string; actions: readonly { name: string; runOrder?: number }[] }[] }
interface StageState {
  readonly stageName: string;
  readonly inboundTransitionState: { enabled: boolean; disabledReason?: string };
  readonly latestExecution?: { pipelineExecutionId: string; status: string };
  readonly actionStates: readonly { actionName: string; latestExecution?: { status: string; token?: string }; approval?: { customData?: string; externalEntityLink?: string } }[];
}
interface Execution {
  readonly status: string;
  readonly statusSummary?: string;
  readonly trigger: { triggerType: string; triggerDetail?: string };
  readonly artifactRevisions: readonly { name: string; revisionId?: string; revisionSummary?: string }[];
  readonly variables: readonly { name: string; resolvedValue: string }[];
}

const ENDED = new Set(['Succeeded', 'Failed', 'Stopped', 'Abandoned', 'Rejected']);

function Approval({ name, stage, action, customData, link, done }: { name: string; stage: string; action: string; customData?: string | undefined; link?: string | undefined; done: () => void }): preact.JSX.Element {
  const [summary, setSummary] = useState('');
  const answer = useAction(done);
  const decide = (status: 'Approved' | 'Rejected'): void => answer.run(() => client.putApprovalResult(name, { stage, action, status, summary }));
  const field = `summary-${stage}-${action}`;
  return (
    <section class="approval" aria-label={`Approval ${action} waits`}>
      <h3>Waiting for approval: {action}</h3>
      {customData !== undefined && <p class="custom-data">{customData}</p>}
      {link !== undefined && /^https?:\/\//.test(link) && <p><a href={link} rel="noreferrer noopener" target="_blank">Review link</a></p>}
      <label for={field}>Summary</label>
      <textarea id={field} maxLength={512} value={summary} onInput={(e) => setSummary((e.currentTarget).value)} />
      <div class="actions">
        <button type="button" disabled={answer.busy} onClick={() => decide('Approved')}>Approve</button>
        <button type="button" class="danger" disabled={answer.busy} onClick={() => decide('Rejected')}>Reject</button>
      </div>
      {answer.error !== undefined && <ErrorNote error={answer.error} />}
    </section>
  );
}

export function ExecutionPage({ name, id }: { name: string; id: string }): preact.JSX.Element {
  const { data, error, reload } = useData(async () => {
    const [found, state, pipeline] = await Promise.all([client.getPipelineExecution(name, id), client.pipelineState(name), client.getPipeline(name)]);
    return {
      execution: found.execution as unknown as Execution,
      actions: found.actions as unknown as ActionDetail[],
      stages: state.stageStates as unknown as StageState[],
      definition: pipeline.pipeline as unknown as Definition,
    };
  }, [name, id]);
  useLive((change) => change.pipelineName === name, reload);
  const change = useAction(reload);
  if (data === undefined) return <>{error !== undefined ? <ErrorNote error={error} /> : <Loading />}</>;
  const { execution, actions, stages, definition } = data;
  const latestOf = (stage: string, action: string): ActionDetail | undefined => actions.find((a) => a.stageName === stage && a.actionName === action);
  return (
    <>
      <nav aria-label="Breadcrumb" class="crumbs"><a href="/pipelines">Pipelines</a> / <a href={`/pipelines/${encodeURIComponent(name)}`}>{name}</a> / <code>{id.slice(0, 8)}</code></nav>
      <h1>Execution <code>{id.slice(0, 8)}</code> <Status status={execution.status} /></h1>
      <p class="muted">{execution.trigger.triggerType}{execution.trigger.triggerDetail ? ` by ${execution.trigger.triggerDetail}` : ''}{execution.statusSummary ? ` · ${execution.statusSummary}` : ''}</p>
      <div class="actions">
        {!ENDED.has(execution.status) && <button type="button" class="danger" disabled={change.busy} onClick={() => change.run(() => client.stopPipelineExecution(name, id, { reason: 'stopped from the dashboard' }))}>Stop execution</button>}
        {change.error !== undefined && <ErrorNote error={change.error} />}
      </div>
      {error !== undefined && <ErrorNote error={error} />}
      <ol class="execution-stages">
        {definition.stages.map((stage, index) => {
          const state = stages.find((s) => s.stageName === stage.name);
          const here = state?.latestExecution?.pipelineExecutionId === id;
          const ran = stage.actions.map((a) => latestOf(stage.name, a.name)).filter((a) => a !== undefined);
          const status = here ? state?.latestExecution?.status : ran.length > 0 ? ran[0]?.status : undefined;
          const enabled = state?.inboundTransitionState.enabled ?? true;
          return (
            <li key={stage.name} class="stage-card">
              <div class="stage-card-head">
                <h2>{stage.name}</h2>
                <Status status={status} />
                {index > 0 && (
                  <button type="button" class="quiet" disabled={change.busy} onClick={() => change.run(() => client.setStageTransition(name, stage.name, !enabled, enabled ? 'disabled from the dashboard' : undefined))}>
                    {enabled ? 'Disable transition' : 'Enable transition'}
                  </button>
                )}
                {here && status === 'Failed' && <button type="button" disabled={change.busy} onClick={() => change.run(() => client.retryStage(name, stage.name, { executionId: id, mode: 'FAILED_ACTIONS' }))}>Retry failed actions</button>}
              </div>
              {!enabled && <p class="muted small">Inbound transition disabled{state?.inboundTransitionState.disabledReason ? `: ${state.inboundTransitionState.disabledReason}` : ''}</p>}
              <div class="table-wrap" tabIndex={0}>
                <table>
                  <thead><tr><th scope="col">Run order</th><th scope="col">Action</th><th scope="col">Status</th><th scope="col">Duration</th><th scope="col">Details</th></tr></thead>
                  <tbody>
                    {[...stage.actions].sort((a, b) => (a.runOrder ?? 1) - (b.runOrder ?? 1)).map((action) => {
                      const run = latestOf(stage.name, action.name);
                      const external = run?.output.executionResult.externalExecutionId;
                      const isBuild = run?.input.actionTypeId.provider === 'CodeBuild';
                      const isDeployment = run?.input.actionTypeId.provider === 'CodeDeploy';
                      return (
                        <tr key={action.name}>
                          <td>{action.runOrder ?? 1}</td>
                          <td>{action.name} <span class="muted small">{run ? `${run.input.actionTypeId.category}/${run.input.actionTypeId.provider}` : ''}</span></td>
                          <td><Status status={run?.status} /></td>
                          <td>{run ? duration(run.startTime, run.status === 'InProgress' ? undefined : run.lastUpdateTime) : '—'}</td>
                          <td>
                            {external !== undefined && isBuild ? ((run?.output.executionResult.externalExecutionSummary ?? run?.output.executionResult.errorDetails?.message ?? '').startsWith('Build batch ') ? <a href={`/builds/batches/${encodeURIComponent(external)}`}>Build batch {external.slice(-8)}</a> : <a href={`/builds/${encodeURIComponent(external)}`}>Build {external.slice(-8)}</a>) : null}
                            {external !== undefined && isDeployment ? <a href={`/deployments/${encodeURIComponent(external)}`}>Deployment {external}</a> : null}
                            {run?.output.executionResult.externalExecutionSummary ? <span class="muted"> {run.output.executionResult.externalExecutionSummary}</span> : null}
                            {run?.output.executionResult.errorDetails?.message ? <span class="error-text"> {run.output.executionResult.errorDetails.message}</span> : null}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
              {here && state?.actionStates.filter((a) => a.latestExecution?.status === 'InProgress' && a.latestExecution.token !== undefined).map((a) => (
                <Approval key={a.actionName} name={name} stage={stage.name} action={a.actionName} customData={a.approval?.customData} link={a.approval?.externalEntityLink} done={reload} />
              ))}
            </li>
          );
        })}
      </ol>
      <h2>Artifacts</h2>
      <ul class="plain">
        {execution.artifactRevisions.map((r) => <li key={r.name}><strong>{r.name}</strong> <code>{r.revisionId?.slice(0, 12)}</code> <span class="muted">{r.revisionSummary ?? ''}</span></li>)}
        {actions.flatMap((a) => a.output.outputArtifacts.map((o) => <li key={`${a.stageName}/${a.actionName}/${o.name}`}>{o.name} <span class="muted">from {a.stageName}/{a.actionName}</span></li>))}
      </ul>
      <h2>Variables</h2>
      {execution.variables.length === 0 && actions.every((a) => Object.keys(a.output.outputVariables).length === 0) ? <p class="muted">No variables.</p> : (
        <dl class="variables">
          {execution.variables.map((v) => <Fragment key={v.name}><dt>{v.name}</dt><dd>{v.resolvedValue}</dd></Fragment>)}
          {actions.flatMap((a) => Object.entries(a.output.outputVariables).map(([key, value]) => <Fragment key={`${a.stageName}/${a.actionName}/${key}`}><dt>{a.actionName}.{key}</dt><dd>{value}</dd></Fragment>))}
        </dl>
      )}
    </>
  );
}
