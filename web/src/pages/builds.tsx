/**
 * Builds, newest first, filtered on the server by project, status and initiator (exactly as builds
 * record it; the initiators of the page shown are offered), every filter in the URL.
 */
import { client } from '../api.js';
import { useLive } from '../live.js';
import { navigate } from '../router.js';
import { batchHref } from './build-batch.js';
import { Empty, ErrorNote, Loading, Status, Time, duration, useAction, useData } from '../ui.js';

export interface BuildSummary {
  readonly id: string;
  readonly projectName: string;
  readonly buildNumber?: number;
  readonly buildStatus: string;
  readonly currentPhase: string;
  readonly initiator?: string;
  readonly startTime: string;
  readonly endTime?: string;
  readonly resolvedSourceVersion?: string;
  readonly batch?: { readonly id: string; readonly identifier: string };
}

const STATUSES = ['', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'FAULT', 'STOPPED', 'TIMED_OUT'];

export function BuildsPage({ query }: { query: URLSearchParams }): preact.JSX.Element {
  const project = query.get('project') ?? '';
  const status = query.get('status') ?? '';
  const initiator = query.get('initiator') ?? '';
  const next = query.get('nextToken') ?? undefined;
  const { data, error, reload } = useData(async () => {
    const [page, projects] = await Promise.all([client.listBuilds(project || undefined, 100, next, { status, initiator }), client.listProjects()]);
    return { builds: page.builds as unknown as BuildSummary[], nextToken: page.nextToken, projects: projects.projects.map((p) => String(p.name)) };
  }, [project, status, initiator, next]);
  useLive((change) => change.buildId !== undefined, reload);
  const start = useAction(reload);
  const filter = (event: Event): void => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const params = new URLSearchParams();
    for (const key of ['project', 'status', 'initiator']) {
      const got = form.get(key);
      const value = typeof got === 'string' ? got : '';
      if (value !== '') params.set(key, value);
    }
    navigate(`/builds${params.size > 0 ? `?${params.toString()}` : ''}`);
  };
  const shown = data?.builds;
  const initiators = [...new Set(shown?.flatMap((b) => (b.initiator === undefined ? [] : [b.initiator])))].sort();
  return (
    <>
      <h1>Builds</h1>
      <form class="filters" onSubmit={filter} aria-label="Filter builds">
        {/* Uncontrolled, keyed by the URL's value: a live update re-rendering the page must not undo what
            is being typed or chosen before Filter; a new URL starts them afresh. */}
        <label>Project <select name="project" key={`project-${project}`}>
          <option value="">All projects</option>
          {data?.projects.map((p) => <option key={p} value={p} selected={p === project}>{p}</option>)}
        </select></label>
        <label>Status <select name="status" key={`status-${status}`}>{STATUSES.map((s) => <option key={s} value={s} selected={s === status}>{s === '' ? 'Any status' : s}</option>)}</select></label>
        <label>Initiator <input name="initiator" key={`initiator-${initiator}`} defaultValue={initiator} list="build-initiators" placeholder="exactly, e.g. admin" /></label>
        <datalist id="build-initiators">{initiators.map((i) => <option key={i} value={i} />)}</datalist>
        <button type="submit">Filter</button>
        {project !== '' && <button type="button" disabled={start.busy} onClick={() => start.run(async () => navigate(`/builds/${encodeURIComponent(String((await client.startBuild(project)).build.id))}`))}>Start a build of {project}</button>}
      </form>
      {start.error !== undefined && <ErrorNote error={start.error} />}
      {error !== undefined && <ErrorNote error={error} />}
      {shown === undefined ? <Loading /> : shown.length === 0 ? (
        <Empty title="No builds here">
          <p>Create a project and start a build: <code>nagare project create --name NAME …</code> then <code>nagare start NAME</code>, or push to a repository a pipeline watches. Or change the filters.</p>
        </Empty>
      ) : (
        <div class="table-wrap" tabIndex={0}>
          <table>
            <thead><tr><th scope="col">Build</th><th scope="col">Status</th><th scope="col">Phase</th><th scope="col">Initiator</th><th scope="col">Started</th><th scope="col">Duration</th></tr></thead>
            <tbody>
              {shown.map((build) => (
                <tr key={build.id}>
                  <td><a href={`/builds/${encodeURIComponent(build.id)}`}>{build.projectName}{build.buildNumber !== undefined ? ` #${build.buildNumber}` : ''}</a>{build.batch ? <span class="small"> · <code>{build.batch.identifier}</code> of <a href={batchHref(build.batch.id)}>a batch</a></span> : null}</td>
                  <td><Status status={build.buildStatus} /></td>
                  <td>{build.currentPhase}</td>
                  <td>{build.initiator ?? '—'}</td>
                  <td><Time iso={build.startTime} /></td>
                  <td>{duration(build.startTime, build.endTime)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data?.nextToken !== undefined && <p><a href={`/builds?${new URLSearchParams({ ...(project ? { project } : {}), ...(status ? { status } : {}), ...(initiator ? { initiator } : {}), nextToken: data.nextToken }).toString()}`}>Older builds</a></p>}
    </>
  );
}
