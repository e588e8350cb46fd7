/**
 * CodeDeploy deployments, newest first, filtered by application, deployment group and status (on
 * the server). Deployments publish no event on the live feed: the page asks again every few
 * seconds while one it shows is still running, and every 15 s otherwise.
 */
import { client } from '../api.js';
import { useLive } from '../live.js';
import { navigate } from '../router.js';
import { Empty, ErrorNote, Loading, Status, Time, duration, useData, usePeriodicRefresh } from '../ui.js';

const STATUSES = ['', 'Created', 'Queued', 'InProgress', 'Succeeded', 'Failed', 'Stopped'];
const ENDED = new Set(['Succeeded', 'Failed', 'Stopped']);

export const deploymentHref = (id: string): string => `/deployments/${encodeURIComponent(id)}`;

export function DeploymentsPage({ query }: { query: URLSearchParams }): preact.JSX.Element {
  const application = query.get('application') ?? '';
  const group = query.get('group') ?? '';
  const status = query.get('status') ?? '';
  const next = query.get('nextToken') ?? undefined;
  const { data, error, reload } = useData(() => client.listDeployments({ application, group: application === '' ? undefined : group, status, limit: 25, nextToken: next }), [application, group, status, next]);
  useLive((change) => change.type === 'DeploymentChanged', reload);
  usePeriodicRefresh(reload, data?.deployments.some((d) => !ENDED.has(d.status)) ? 3_000 : 15_000);
  const filter = (event: Event): void => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const params = new URLSearchParams();
    for (const key of ['application', 'group', 'status']) {
      const got = form.get(key);
      const value = typeof got === 'string' ? got.trim() : '';
      if (value !== '') params.set(key, value);
    }
    navigate(`/deployments${params.size > 0 ? `?${params.toString()}` : ''}`);
  };
  const filtered = application !== '' || status !== '';
  return (
    <>
      <h1>Deployments</h1>
      <p class="muted">CodeDeploy deployments of revisions to deployment groups. What is deployed where: <a href="/fleet">Fleet</a>.</p>
      <form class="filters" onSubmit={filter} aria-label="Filter deployments">
        {/* Uncontrolled, keyed by the URL's value, as on the builds page: a live update must not undo what is typed. */}
        <label>Application <input name="application" key={`application-${application}`} defaultValue={application} /></label>
        <label>Deployment group <input name="group" key={`group-${group}`} defaultValue={group} /></label>
        <label>Status <select name="status" key={`status-${status}`}>{STATUSES.map((s) => <option key={s} value={s} selected={s === status}>{s === '' ? 'Any status' : s}</option>)}</select></label>
        <button type="submit">Filter</button>
      </form>
      {error !== undefined && <ErrorNote error={error} />}
      {data === undefined ? (error === undefined ? <Loading /> : null) : data.deployments.length === 0 ? (
        filtered ? <Empty title="No deployments match"><p>Change the filters, or <a href="/deployments">show every deployment</a>.</p></Empty> : (
          <Empty title="No deployments yet">
            <p>Create an application and a deployment group, push a revision and deploy it:</p>
            <pre class="block">{'nagare app create shop\nnagare deployment-group create --application-name shop --deployment-group-name prod \\\n  --on-premises-tag-filters Key=env,Value=prod,Type=KEY_AND_VALUE\nnagare deploy push --application-name shop --source ./my-app\nnagare deploy create --application-name shop --deployment-group-name prod --s3-location …'}</pre>
            <p>Hosts take part by running <code>nagare agent --instance-name NAME --tags env=prod</code>. A pipeline's CodeDeploy action deploys too.</p>
          </Empty>
        )
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Deployments table">
          <table>
            <thead><tr><th scope="col">Deployment</th><th scope="col">Application / group</th><th scope="col">Status</th><th scope="col">Instances</th><th scope="col">Revision</th><th scope="col">Created</th><th scope="col">Duration</th></tr></thead>
            <tbody>
              {data.deployments.map((d) => (
                <tr key={d.deploymentId}>
                  <td><a href={deploymentHref(d.deploymentId)}><code>{d.deploymentId}</code></a>{d.creator === 'codeDeployRollback' ? <span class="muted small"> rollback</span> : null}</td>
                  <td><a href={`/deployments?application=${encodeURIComponent(d.applicationName)}&group=${encodeURIComponent(d.deploymentGroupName)}`}>{d.applicationName} / {d.deploymentGroupName}</a></td>
                  <td><Status status={d.status} /></td>
                  <td class="small">{d.overview.Succeeded} succeeded{d.overview.Failed > 0 ? `, ${d.overview.Failed} failed` : ''}{d.overview.InProgress > 0 ? `, ${d.overview.InProgress} running` : ''}{d.overview.Pending > 0 ? `, ${d.overview.Pending} pending` : ''}{d.overview.Skipped > 0 ? `, ${d.overview.Skipped} skipped` : ''}</td>
                  <td><code class="small">{d.revision.label}</code></td>
                  <td><Time iso={d.createTime} /></td>
                  <td>{duration(d.startTime ?? d.createTime, ENDED.has(d.status) ? d.completeTime ?? d.createTime : undefined)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data?.nextToken !== undefined && <p><a href={`/deployments?${new URLSearchParams({ ...(application ? { application } : {}), ...(group ? { group } : {}), ...(status ? { status } : {}), nextToken: data.nextToken }).toString()}`}>Older deployments</a></p>}
    </>
  );
}
