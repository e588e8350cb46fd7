/** Every pipeline as a row of stage boxes coloured by its latest execution, like the CodePipeline console. */
import { client } from '../api.js';
import { useLive } from '../live.js';
import { Empty, ErrorNote, Loading, Status, Time, statusTone as toneClass, useData } from '../ui.js';

interface StageState {
  readonly stageName: string;
  readonly latestExecution?: { pipelineExecutionId: string; status: string };
  readonly inboundTransitionState?: { enabled: boolean };
}

interface PipelineRow {
  readonly name: string;
  readonly stages: readonly StageState[];
  readonly latest?: { pipelineExecutionId: string; status: string; startTime?: string };
}

/** One call: the list carries each stage's latest status (pages of 100 pipelines, followed to the end). */
async function loadPipelines(): Promise<PipelineRow[]> {
  const rows: PipelineRow[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.listPipelines(nextToken);
    for (const pipeline of page.pipelines) {
      const latest = pipeline.latestExecution as PipelineRow['latest'];
      const stages = (pipeline.stageSummaries as { stageName: string; transitionEnabled: boolean; latestExecution?: { pipelineExecutionId: string; status: string } }[])
        .map((s) => ({ stageName: s.stageName, inboundTransitionState: { enabled: s.transitionEnabled }, ...(s.latestExecution ? { latestExecution: s.latestExecution } : {}) }));
      rows.push({ name: String(pipeline.name), stages, ...(latest ? { latest } : {}) });
    }
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return rows;
}

export function PipelinesPage(): preact.JSX.Element {
  const { data, error, reload } = useData(loadPipelines, []);
  useLive((change) => change.pipelineName !== undefined, reload);
  return (
    <>
      <h1>Pipelines</h1>
      {error !== undefined && <ErrorNote error={error} />}
      {data === undefined ? <Loading /> : data.length === 0 ? (
        <Empty title="No pipelines yet">
          <p>Describe one in a file (see <code>examples/</code>) and apply it:</p>
          <pre><code>nagare pipeline apply pipeline.yml</code></pre>
          <p>Then push a commit to its source repository, or run <code>nagare pipeline start NAME</code>.</p>
        </Empty>
      ) : (
        <ul class="pipelines">
          {data.map((pipeline) => (
            <li key={pipeline.name} class="pipeline-row">
              <div class="pipeline-head">
                <a href={`/pipelines/${encodeURIComponent(pipeline.name)}`}><strong>{pipeline.name}</strong></a>
                <Status status={pipeline.latest?.status} />
                <span class="muted">{pipeline.latest ? <>started <Time iso={pipeline.latest.startTime} /></> : 'never run'}</span>
              </div>
              <ol class="stages" aria-label={`Stages of ${pipeline.name}`}>
                {pipeline.stages.map((stage) => (
                  <li key={stage.stageName} class={`stage-box tone-${stage.latestExecution ? toneClass(stage.latestExecution.status) : 'idle'}`}>
                    <span class="stage-name">{stage.stageName}</span>
                    <Status status={stage.latestExecution?.status} />
                    {stage.inboundTransitionState?.enabled === false && <span class="muted small">transition disabled</span>}
                  </li>
                ))}
              </ol>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
