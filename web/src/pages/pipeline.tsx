/** One pipeline: its stages now and its executions (trigger, commit, who, when, duration). */
import { client } from '../api.js';
import { useLive } from '../live.js';
import { Empty, ErrorNote, Loading, Status, Time, duration, useAction, useData } from '../ui.js';

interface ExecutionSummary {
  readonly pipelineExecutionId: string;
  readonly status: string;
  readonly startTime: string;
  readonly lastUpdateTime: string;
  readonly trigger: { triggerType: string; triggerDetail?: string };
  readonly sourceRevisions: readonly { actionName: string; revisionId: string; revisionSummary?: string }[];
}

const ENDED = new Set(['Succeeded', 'Failed', 'Stopped', 'Superseded', 'Cancelled']);

export function PipelinePage({ name }: { name: string }): preact.JSX.Element {
  const { data, error, reload } = useData(async () => {
    const [state, history] = await Promise.all([client.pipelineState(name), client.listPipelineExecutions(name, 50)]);
    return { state, executions: history.executions as unknown as ExecutionSummary[] };
  }, [name]);
  useLive((change) => change.pipelineName === name, reload);
  const start = useAction(reload);
  return (
    <>
      <nav aria-label="Breadcrumb" class="crumbs"><a href="/pipelines">Pipelines</a> / {name}</nav>
      <h1>{name}</h1>
      <div class="actions">
        <button type="button" disabled={start.busy} onClick={() => start.run(() => client.startPipeline(name))}>Release change</button>
        {start.error !== undefined && <ErrorNote error={start.error} />}
      </div>
      {error !== undefined && <ErrorNote error={error} />}
      {data === undefined ? <Loading /> : (
        <>
          <h2>Executions</h2>
          {data.executions.length === 0 ? (
            <Empty title="No executions yet">
              <p>Push a commit to the pipeline's source repository, or press <em>Release change</em>.</p>
            </Empty>
          ) : (
            <div class="table-wrap" tabIndex={0}>
              <table>
                <thead><tr><th scope="col">Execution</th><th scope="col">Status</th><th scope="col">Trigger</th><th scope="col">Commit</th><th scope="col">Started</th><th scope="col">Duration</th></tr></thead>
                <tbody>
                  {data.executions.map((execution) => {
                    const revision = execution.sourceRevisions[0];
                    return (
                      <tr key={execution.pipelineExecutionId}>
                        <td><a href={`/pipelines/${encodeURIComponent(name)}/executions/${encodeURIComponent(execution.pipelineExecutionId)}`}><code>{execution.pipelineExecutionId.slice(0, 8)}</code></a></td>
                        <td><Status status={execution.status} /></td>
                        <td>{execution.trigger.triggerType}{execution.trigger.triggerDetail ? <span class="muted"> · {execution.trigger.triggerDetail}</span> : null}</td>
                        <td>{revision ? <><code>{revision.revisionId.slice(0, 10)}</code> <span class="muted">{revision.revisionSummary ?? ''}</span></> : <span class="muted">—</span>}</td>
                        <td><Time iso={execution.startTime} /></td>
                        <td>{duration(execution.startTime, ENDED.has(execution.status) ? execution.lastUpdateTime : undefined)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </>
  );
}
