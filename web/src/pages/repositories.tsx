/** Hosted repositories: clone URL, branches, recent pushes and the pipeline executions they started. */
import { client } from '../api.js';
import { useLive } from '../live.js';
import { Empty, ErrorNote, Loading, Status, Time, useData } from '../ui.js';

interface Repository { readonly name: string; readonly description?: string; readonly cloneUrlHttp: string; readonly mirrorOf?: string; readonly defaultBranch?: string }
interface Push { readonly sequence: number; readonly ref: string; readonly newCommit?: string; readonly pushedAt: number; readonly pusher: string }
interface Started { readonly pipeline: string; readonly pipelineExecutionId: string; readonly status: string; readonly revisionId: string }

export function RepositoriesPage(): preact.JSX.Element {
  const { data, error, reload } = useData(async () => (await client.listRepositories()).repositories as unknown as Repository[], []);
  useLive((change) => change.type === 'Pushed', reload);
  return (
    <>
      <h1>Repositories</h1>
      {error !== undefined && <ErrorNote error={error} />}
      {data === undefined ? <Loading /> : data.length === 0 ? (
        <Empty title="No repositories yet">
          <p>Create one and push to it:</p>
          <pre><code>{`nagare repo create my-app\ngit remote add nagare ${window.location.origin}/git/my-app\ngit push nagare main`}</code></pre>
        </Empty>
      ) : (
        <ul class="cards">
          {data.map((r) => (
            <li key={r.name} class="card">
              <a href={`/repositories/${encodeURIComponent(r.name)}`}><strong>{r.name}</strong></a>
              {r.description ? <p>{r.description}</p> : null}
              <p class="muted small"><code>{r.cloneUrlHttp}</code>{r.mirrorOf ? ` · mirror of ${r.mirrorOf}` : ''}</p>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

async function executionsByCommit(): Promise<Started[]> {
  const { pipelines } = await client.listPipelines();
  const lists = await Promise.all(pipelines.map(async (p) => {
    const { executions } = await client.listPipelineExecutions(String(p.name), 50);
    return executions.flatMap((e) => (e.sourceRevisions as { revisionId: string }[]).map((r) => ({ pipeline: String(p.name), pipelineExecutionId: String(e.pipelineExecutionId), status: String(e.status), revisionId: r.revisionId })));
  }));
  return lists.flat();
}

export function RepositoryPage({ name }: { name: string }): preact.JSX.Element {
  const { data, error, reload } = useData(async () => {
    const [found, pushes, started] = await Promise.all([client.getRepository(name), client.listPushEvents(name, 1000), executionsByCommit()]);
    return { repository: found.repository as unknown as Repository, branches: found.branches, pushes: (pushes.pushEvents as unknown as Push[]).slice(-20).reverse(), started };
  }, [name]);
  useLive((change) => change.repositoryName === name || change.type === 'PipelineExecutionChanged', reload);
  if (data === undefined) return <>{error !== undefined ? <ErrorNote error={error} /> : <Loading />}</>;
  return (
    <>
      <nav aria-label="Breadcrumb" class="crumbs"><a href="/repositories">Repositories</a> / {name}</nav>
      <h1>{name}</h1>
      <p>Clone: <code>{data.repository.cloneUrlHttp}</code></p>
      <h2>Branches</h2>
      {data.branches.length === 0 ? <p class="muted">No branches yet: <code>git push {data.repository.cloneUrlHttp} main</code></p> : <ul class="plain">{data.branches.map((b) => <li key={b}><code>{b}</code></li>)}</ul>}
      <h2>Recent pushes</h2>
      {data.pushes.length === 0 ? <p class="muted">Nothing pushed yet.</p> : (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <thead><tr><th scope="col">Commit</th><th scope="col">Ref</th><th scope="col">Pushed by</th><th scope="col">When</th><th scope="col">Executions started</th></tr></thead>
            <tbody>
              {data.pushes.map((push) => (
                <tr key={push.sequence}>
                  <td><code>{push.newCommit?.slice(0, 12) ?? 'deleted'}</code></td>
                  <td>{push.ref.replace(/^refs\/heads\//, '')}</td>
                  <td>{push.pusher}</td>
                  <td><Time iso={push.pushedAt} /></td>
                  <td>{data.started.filter((s) => push.newCommit !== undefined && s.revisionId === push.newCommit).map((s) => (
                    <a key={s.pipelineExecutionId} href={`/pipelines/${encodeURIComponent(s.pipeline)}/executions/${encodeURIComponent(s.pipelineExecutionId)}`}>{s.pipeline} <Status status={s.status} /></a>
                  ))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
