/**
 * The fleet in one screen: what is deployed where (application → deployment group → instances →
 * the revision each serves, with its agent's health: last heartbeat, current job), then every
 * agent with its fleet, labels, tags and jobs. Health changes with time (an agent not seen for two
 * minutes is LOST) and deployments publish nothing on the live feed: the page asks again every 15 s,
 * and when a build changes.
 */
import { client } from '../api.js';
import { useLive } from '../live.js';
import { Empty, ErrorNote, Loading, Status, Time, useData, usePeriodicRefresh } from '../ui.js';
import { deploymentOfJob, type AgentJobView, type FleetGroupView, type FleetInstanceView } from '../../../src/protocol/native-deployments.js';
import { deploymentHref } from './deployments.js';

function JobLink({ job }: { job: AgentJobView }): preact.JSX.Element {
  if (job.deploymentId !== undefined) return <a href={deploymentHref(job.deploymentId)}>deployment {job.deploymentId}</a>;
  return <a href={`/builds/${encodeURIComponent(job.id)}`}>build {job.id.slice(-8)}</a>;
}

function Jobs({ jobs }: { jobs: readonly AgentJobView[] }): preact.JSX.Element {
  if (jobs.length === 0) return <span class="muted">idle</span>;
  return <>{jobs.map((job, index) => <span key={job.id}>{index > 0 ? ', ' : ''}<JobLink job={job} /></span>)}</>;
}

function InstanceRow({ instance }: { instance: FleetInstanceView }): preact.JSX.Element {
  const last = instance.lastDeployment;
  return (
    <tr>
      <th scope="row">{instance.instanceName} <span class="muted small">{Object.entries(instance.tags).map(([k, v]) => `${k}=${v}`).join(', ')}</span></th>
      <td>
        {instance.serves ? <code>{instance.serves.label}</code> : <span class="muted">none yet</span>}
        {last && <span class="small"> · <a href={deploymentHref(last.deploymentId)}>{last.deploymentId}</a>{last.succeeded ? '' : <span class="error-text"> failed here{last.revision ? <> (<code>{last.revision.label}</code>)</> : null}</span>}</span>}
      </td>
      <td>{instance.agent ? <Status status={instance.agent.health} /> : <span class="muted">no agent</span>}</td>
      <td>{instance.agent ? <Time iso={instance.agent.lastSeenAt} /> : '—'}</td>
      <td>{instance.agent ? <Jobs jobs={instance.agent.currentJobs} /> : '—'}</td>
    </tr>
  );
}

function InstancesTable({ label, instances }: { label: string; instances: readonly FleetInstanceView[] }): preact.JSX.Element {
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={label}>
      <table>
        <thead><tr><th scope="col">Instance</th><th scope="col">Serves revision</th><th scope="col">Agent</th><th scope="col">Last heartbeat</th><th scope="col">Current job</th></tr></thead>
        <tbody>{instances.map((instance) => <InstanceRow key={instance.instanceName} instance={instance} />)}</tbody>
      </table>
    </div>
  );
}

function Group({ application, group }: { application: string; group: FleetGroupView }): preact.JSX.Element {
  const attempted = group.lastAttemptedDeployment;
  return (
    <li class="group">
      <h4>Deployment group <a href={`/deployments?application=${encodeURIComponent(application)}&group=${encodeURIComponent(group.deploymentGroupName)}`}>{group.deploymentGroupName}</a></h4>
      <p class="muted small">
        {group.deploymentConfigName}
        {group.targetRevision ? <> · target revision <code>{group.targetRevision.label}</code></> : ' · nothing deployed yet'}
        {attempted ? <> · last deployment <a href={deploymentHref(attempted.deploymentId)}>{attempted.deploymentId}</a> <Status status={attempted.status} /></> : null}
      </p>
      {group.instances.length === 0 ? <p class="muted">No registered instance has this group’s tags yet.</p> : <InstancesTable label={`Instances of ${application} / ${group.deploymentGroupName}`} instances={group.instances} />}
    </li>
  );
}

/** `from` pages the applications, `instancesFrom` the registered instances (200 a page) under them. */
function DeployedWhere({ from, instancesFrom }: { from: string | undefined; instancesFrom: string | undefined }): preact.JSX.Element {
  const { data, error, reload } = useData(() => client.deployedFleet(from, instancesFrom), [from, instancesFrom]);
  useLive((change) => change.type === 'BuildStateChanged' || change.type === 'DeploymentChanged', reload);
  usePeriodicRefresh(reload, 15_000);
  return (
    <section aria-labelledby="deployed-where">
      <h2 id="deployed-where">Deployed where</h2>
      {error !== undefined && <ErrorNote error={error} />}
      {data === undefined ? (error === undefined ? <Loading /> : null) : data.applications.length === 0 && data.instancesInNoGroup.length === 0 ? (
        <Empty title="No applications or instances yet">
          <p>Start an agent for each host with its tags (<code>nagare agent --instance-name web-1 --tags env=prod</code>), then create an application and a deployment group that picks them: see <a href="/deployments">Deployments</a>.</p>
        </Empty>
      ) : (
        <ul class="hierarchy">
          {data.applications.map((application) => (
            <li key={application.applicationName} class="application">
              <h3 class="application-name">Application {application.applicationName}</h3>
              {application.deploymentGroups.length === 0 ? <p class="muted">No deployment group yet: <code>nagare deployment-group create --application-name {application.applicationName} …</code></p> : (
                <ul class="groups">{application.deploymentGroups.map((group) => <Group key={group.deploymentGroupName} application={application.applicationName} group={group} />)}</ul>
              )}
            </li>
          ))}
          {data.instancesInNoGroup.length > 0 && (
            <li class="application">
              <h3 class="application-name">Instances in no deployment group</h3>
              <InstancesTable label="Instances in no deployment group" instances={data.instancesInNoGroup} />
            </li>
          )}
        </ul>
      )}
      {data?.instancesNextToken !== undefined && <p><a href={`/fleet?${new URLSearchParams({ ...(from === undefined ? {} : { applications: from }), instances: data.instancesNextToken }).toString()}`}>More instances</a> <span class="muted small">(the next 200 registered instances, by name, under the same applications)</span></p>}
      {data?.nextToken !== undefined && <p><a href={`/fleet?applications=${encodeURIComponent(data.nextToken)}`}>More applications</a></p>}
    </section>
  );
}

function Agents(): preact.JSX.Element {
  const { data, error, reload } = useData(() => client.listAgents(), []);
  useLive((change) => change.type === 'BuildStateChanged' || change.type === 'DeploymentChanged', reload);
  usePeriodicRefresh(reload, 15_000);
  return (
    <section aria-labelledby="agents">
      <h2 id="agents">Agents</h2>
      {error !== undefined && <ErrorNote error={error} />}
      {data === undefined ? (error === undefined ? <Loading /> : null) : data.agents.length === 0 ? (
        <Empty title="No agents yet">
          <p>Start one on a host: <code>nagare agent-token create</code>, then <code>nagare agent --server {window.location.origin} --token TOKEN</code>.</p>
        </Empty>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Agents table">
          <table>
            <thead><tr><th scope="col">Agent</th><th scope="col">Health</th><th scope="col">Last heartbeat</th><th scope="col">Fleet / labels</th><th scope="col">Tags</th><th scope="col">Current job</th></tr></thead>
            <tbody>
              {data.agents.map((agent) => (
                <tr key={agent.id}>
                  <td>{agent.name} <span class="muted small">{agent.id}</span></td>
                  <td><Status status={agent.health} /></td>
                  <td><Time iso={agent.lastSeenAt} /></td>
                  <td>{agent.fleet ?? '—'}{agent.labels.length > 0 ? ` · ${agent.labels.join(', ')}` : ''}</td>
                  <td>{Object.entries(agent.tags).map(([k, v]) => `${k}=${v}`).join(', ') || '—'}</td>
                  <td><Jobs jobs={agent.currentJobs.map((id) => ({ id, deploymentId: deploymentOfJob(id) }))} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function FleetPage({ query }: { query: URLSearchParams }): preact.JSX.Element {
  return (
    <>
      <h1>Fleet</h1>
      <p class="muted">Each application’s deployment groups, the instances they pick by tag, the revision each serves and the health of the <code>nagare agent</code> on it; then every agent.</p>
      <DeployedWhere from={query.get('applications') ?? undefined} instancesFrom={query.get('instances') ?? undefined} />
      <Agents />
    </>
  );
}
